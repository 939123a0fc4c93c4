// The Swift tables emitter: one standard-library-only Swift file per policy with the policy's
// contexts, callbacks, kfuncs, sets and nesting graph, and decision functions that answer as
// `Policy.isAllowed` / `Policy.decide` do. The C header is for the kernel; these are for tools,
// tests and anything else written in Swift that needs the same answers.

/// The one authority for generated Swift names.
///
/// - The file is named after the policy *file* (`scx.policy` -> `ScxPolicy.swift`), so a build
///   tool knows it before reading the policy; the namespace type after the policy's name
///   (`policy tcp_cong for ...` -> `TcpCongPolicy`). `prefix` names C symbols (`bpf_tcp_ca`
///   there, to match the kernel's); in Swift the type is the namespace.
/// - Cases and members keep the policy's own identifiers (`Kfunc.scx_bpf_consume`), so a
///   Swift name greps to the kernel symbol and two policy names never map to one Swift name.
/// - Swift's reserved words are escaped here and nowhere else: keywords get backticks
///   (`` `default` ``); words that stay special even in backticks after a dot (`self`, `Type`,
///   `init`, ...) and names that would clash with a member the emitter itself declares in the
///   same scope (`Contexts.all`, `allCases`) get a trailing `_` until unique.
public struct SwiftNamer: Sendable {
    /// Keywords that need backticks to be used as a member name.
    public static let keywords: Set<String> = [
        // declarations
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension",
        "fileprivate", "func", "import", "inout", "internal", "let", "nonisolated", "open",
        "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static",
        "struct", "subscript", "typealias", "var",
        // statements
        "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while",
        // expressions and types
        "Any", "as", "await", "false", "is", "nil", "super", "throws", "true", "try",
        // contextual, but reserved in some positions a generated member can reach
        "yield", "package", "some", "any",
    ]
    /// Words that cannot name a member usable as `Type.word` even in backticks.
    public static let unusable: Set<String> = ["self", "Self", "Type", "Protocol", "init", "_"]

    /// Members the emitter declares itself, per scope, that a policy name must not shadow.
    static let contextsMembers: Set<String> = ["all"]
    static let enumMembers: Set<String> = ["allCases"]

    public let typeName: String
    /// Swift spelling of each context and group name (one scope: `Contexts`'s statics).
    public let masks: [String: String]
    public let callbacks: [String: String]
    public let kfuncs: [String: String]
    public let sets: [String: String]
    public let requirements: [String: String]

    public init(_ p: Policy) {
        // Named after the policy's file, as the file it goes in is: two policies of one name
        // (scx.policy and scx-6.12.policy) get two types.
        typeName = Self.upperCamel(p.files.first.map(Generator.stem) ?? p.name) + "Policy"
        masks = Self.scope(p.contexts.map(\.name) + p.groups.map(\.name), taken: Self.contextsMembers.union(Self.enumMembers))
        callbacks = Self.scope(p.callbacks.map(\.name), taken: Self.enumMembers)
        kfuncs = Self.scope(p.kfuncs.map(\.name), taken: Self.enumMembers)
        sets = Self.scope(p.sets.map(\.name), taken: Self.enumMembers)
        requirements = Self.scope(["sleepable"] + p.requirements.map(\.name), taken: Self.enumMembers)
    }

    /// `tcp_cong` -> `TcpCong`: words split at anything but letters and digits.
    public static func upperCamel(_ s: String) -> String {
        var out = ""
        for word in s.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }) {
            out += word.prefix(1).uppercased() + word.dropFirst()
        }
        if out.isEmpty || out.first!.isNumber { out = "P" + out }
        return out
    }

    /// The file `gen --emit swift` writes for a policy file: `Policies/tcp_cong.policy` ->
    /// `TcpCongPolicy.swift`. Depends on the file name only.
    public static func fileName(forPolicyAt path: String) -> String {
        upperCamel(Generator.stem(of: path)) + "Policy.swift"
    }

    /// Spells each name of one scope, in order, so that none is a keyword, none is unusable
    /// after a dot and none collides with `taken` or with an earlier one.
    static func scope(_ names: [String], taken: Set<String>) -> [String: String] {
        var used = taken.union(names)
        var out: [String: String] = [:]
        for n in names where out[n] == nil {
            if keywords.contains(n) { out[n] = "`\(n)`"; continue }
            guard unusable.contains(n) || taken.contains(n) else { out[n] = n; continue }
            var s = n + "_"
            while used.contains(s) { s += "_" }
            used.insert(s)
            out[n] = s
        }
        return out
    }
}

public enum SwiftEmitter {
    /// The Swift file for `policy`, read from `sourceName` (a name, not a path, goes in the banner).
    public static func source(_ policy: Policy, sourceName: String) -> String {
        var e = SwiftTablesEmitter(policy: policy, n: SwiftNamer(policy), c: CNamer(policy), out: CodePrinter(indent: "    "))
        e.emit(sourceName: sourceName)
        return e.out.text
    }

    /// The file for a `.policy` file that declares no policy (shared declarations that other
    /// policies include): no tables, only a note. A build tool that must name its outputs
    /// before running it still gets the file it expects.
    public static func includeOnlySource(sourceName: String) -> String {
        """
        // Generated by kfpolicy \(kfpolicyVersion) from \(sourceName).
        // Do not edit: change the policy and run 'kfpolicy gen --emit swift'.
        //
        // \(sourceName) declares no policy: it holds shared declarations that other policies
        // include, and its facts are in the tables of those policies.

        """
    }
}

extension Compilation {
    /// True when the root file declares no `policy` and has no syntax error: a file of shared
    /// declarations (like common/shared.policy), checked as part of each policy that includes it.
    public var isIncludeOnly: Bool {
        guard let root = rootSyntax else { return false }
        if root.items.contains(where: { if case .policy = $0.kind { return true } else { return false } }) { return false }
        let syntax: Set<DiagID> = [.invalidCharacter, .unterminatedString, .unterminatedComment, .expectedToken, .unexpectedToken, .invalidUTF8]
        return !diagnostics.items.contains { $0.severity == .error && $0.range.file == root.file && syntax.contains($0.id) }
    }
}

private struct SwiftTablesEmitter {
    let policy: Policy
    let n: SwiftNamer
    let c: CNamer
    var out: CodePrinter

    var T: String { n.typeName }

    func hex(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
    }

    /// `[.a, .b]`: a mask as a `Contexts` literal of its contexts.
    func contexts(_ m: ContextMask) -> String {
        "[" + m.indices.filter { $0 < policy.contexts.count }.map { "." + n.masks[policy.contexts[$0].name]! }.joined(separator: ", ") + "]"
    }
    func callbacks(_ cs: [Int]) -> String { "[" + cs.map { "." + n.callbacks[policy.callbacks[$0].name]! }.joined(separator: ", ") + "]" }
    func list(_ xs: [String]) -> String { "[" + xs.joined(separator: ", ") + "]" }
    func quoted(_ s: String) -> String {
        var o = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            default: o.unicodeScalars.append(ch)
            }
        }
        return o + "\""
    }

    /// A `///` doc comment from the policy's doc string and extra paragraphs.
    /// Lines longer than the page are wrapped at spaces; the policy's own line breaks stay.
    mutating func doc(_ parts: String?...) {
        let paragraphs = parts.compactMap { $0 }.filter { !$0.isEmpty }
        let width = max(40, 100 - 4 * out.level - 4)
        for (i, p) in paragraphs.enumerated() {
            if i > 0 { out.line("///") }
            for l in p.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = ""
                for word in l.split(separator: " ", omittingEmptySubsequences: false) {
                    if !line.isEmpty, line.count + 1 + word.count > width {
                        out.line("/// \(line)")
                        line = String(word)
                    } else {
                        line += (line.isEmpty ? "" : " ") + word
                    }
                }
                out.line(line.isEmpty ? "///" : "/// \(line)")
            }
        }
    }

    /// An enum whose raw value is an index. When the policy declares none, a struct with no
    /// values stands in: Swift rejects a raw type on an enum without cases, and an enum without
    /// cases would make every function that takes one warn that its body never runs.
    mutating func openIndexEnum(_ name: String, empty: Bool) {
        guard empty else { return open("public enum \(name): Int, CaseIterable, Hashable, Sendable {") }
        open("public struct \(name): RawRepresentable, CaseIterable, Hashable, Sendable {")
        out.line("// The policy declares none: no value of this type exists.")
        out.line("public let rawValue: Int")
        out.line("public init?(rawValue: Int) { return nil }")
        out.line("public static let allCases: [\(name)] = []")
    }

    /// `header [rows]`, one row per line, or `header []`.
    mutating func array(_ header: String, _ rows: [String]) {
        if rows.isEmpty { return out.line("\(header) []") }
        out.line("\(header) [")
        out.indent()
        for r in rows { out.line("\(r),") }
        out.outdent()
        out.line("]")
    }

    mutating func emit(sourceName: String) {
        out.line("// Generated by kfpolicy \(kfpolicyVersion) from \(sourceName): policy '\(policy.name)' for struct \(policy.structName).")
        out.line("// Do not edit: change the policy and run 'kfpolicy gen --emit swift'.")
        out.line("//")
        out.line("// Swift tables of the policy (standard library only): its contexts, callbacks, kfuncs, sets")
        out.line("// and nesting graph, and decision functions that answer as kfpolicy's model does.")
        out.line()
        doc(policy.doc, """
            The tables of policy `\(policy.name)` for `struct \(policy.structName)`. Raw values match the C \
            header (\(Generator.stem(of: sourceName))_kfpolicy.h): a context's is its bit number, a kfunc's its index \
            in declaration order, a callback's its place in declaration order.
            """)
        out.line("public enum \(T): Sendable {}")
        // Re-open as an extension per section keeps each part short; the namespace itself is empty.
        out.line()
        extensionBlock { e in
            e.out.line("/// The policy's name, from its `policy` line.")
            e.out.line("public static let name = \(e.quoted(e.policy.name))")
            e.out.line("/// The C struct whose function-pointer members are the callbacks.")
            e.out.line("public static let structName = \(e.quoted(e.policy.structName))")
            e.out.line("/// The prefix of generated C names (\(e.c.upper)_*).")
            e.out.line("public static let prefix = \(e.quoted(e.policy.prefix))")
        }
        contextTypes()
        callbackType()
        kfuncType()
        setAndRequirementTypes()
        fixedTypes()
        graph()
        decisions()
        tables()
    }

    /// `header {` and one level in; `close()` ends it.
    mutating func open(_ header: String) { out.line(header); out.indent() }
    mutating func close() { out.outdent(); out.line("}") }

    mutating func extensionBlock(_ mark: String? = nil, _ body: (inout SwiftTablesEmitter) -> Void) {
        if let mark { out.line("// MARK: - \(mark)"); out.line() }
        out.line("extension \(T) {")
        out.indent()
        body(&self)
        out.outdent()
        out.line("}")
        out.line()
    }

    mutating func contextTypes() {
        extensionBlock("Contexts") { e in
            let p = e.policy
            e.doc("""
                A context a callback runs in. The raw value is the context's bit number (declaration \
                order), so `mask.rawValue` is the C constant \(e.c.upper)_CTX_<NAME>.
                """)
            e.openIndexEnum("Context", empty: p.contexts.isEmpty)
                for (i, ctx) in p.contexts.enumerated() {
                    e.doc(ctx.doc, "C: \(e.c.ctx(ctx.name)) = \(e.hex(1 << UInt32(i))).")
                    e.out.line("case \(e.n.masks[ctx.name]!) = \(i)")
                }
                e.out.line()
                e.out.line("/// The context's name in the policy.")
                e.out.line("public var name: String { \(e.T).contextNames[rawValue] }")
                e.out.line("/// The mask with only this context.")
                e.out.line("public var mask: Contexts { Contexts(rawValue: 1 << UInt32(rawValue)) }")
            e.close()
            e.out.line()
            e.doc("""
                A set of contexts. The raw value is the C mask (\(e.c.upper)_CTX_* or-ed together); bit 31, \
                which the C context words use for sleepability, is never set here.
                """)
            e.open("public struct Contexts: OptionSet, Hashable, Sendable, CustomStringConvertible {")
                e.out.line("public let rawValue: UInt32")
                e.out.line("public init(rawValue: UInt32) { self.rawValue = rawValue }")
                e.out.line()
                for (i, ctx) in p.contexts.enumerated() {
                    e.doc(ctx.doc)
                    e.out.line("public static let \(e.n.masks[ctx.name]!) = Contexts(rawValue: \(e.hex(1 << UInt32(i))))")
                }
                for g in p.groups {
                    e.doc(g.doc, "Group `\(g.name)`: \(p.describe(g.mask)) (C: \(e.c.ctx(g.name))).")
                    e.out.line("public static let \(e.n.masks[g.name]!): Contexts = \(e.contexts(g.mask))")
                }
                e.out.line("/// Every context of the policy.")
                e.out.line("public static let all = Contexts(rawValue: \(e.hex(p.allContexts.bits)))")
                e.out.line()
                e.out.line("/// The contexts in the set, lowest bit first.")
                e.out.line("public var contexts: [Context] { Context.allCases.filter { rawValue & $0.mask.rawValue != 0 } }")
                e.out.line("/// `a | b`, or `none`: the contexts as `kfpolicy explain` names them.")
                e.out.line("public var description: String {")
                e.out.line("    let names = contexts.map(\\.name)")
                e.out.line("    return names.isEmpty ? \"none\" : names.joined(separator: \" | \")")
                e.out.line("}")
            e.close()
            e.out.line()
            e.out.line("/// The context with this name in the policy, if any.")
            e.out.line("public static func context(named name: String) -> Context? { Context.allCases.first { $0.name == name } }")
        }
    }

    mutating func callbackType() {
        extensionBlock("Callbacks") { e in
            let p = e.policy
            e.doc("""
                A callback: a function-pointer member of `struct \(p.structName)`. The raw value is the \
                callback's place in declaration order. It is not the C op index (\(e.c.opMacro)(member)): that \
                is the member's offset in the struct divided by the size of a function pointer, which only a \
                C compiler that sees the struct knows.
                """)
            e.openIndexEnum("Callback", empty: p.callbacks.isEmpty)
                for (i, cb) in p.callbacks.enumerated() {
                    e.doc(cb.doc, "Runs in: \(p.describe(cb.contexts))\(cb.sleepable ? "; may be sleepable" : "").")
                    e.out.line("case \(e.n.callbacks[cb.name]!) = \(i)")
                }
                e.out.line()
                e.out.line("/// The member's name in `struct \(p.structName)`.")
                e.out.line("public var name: String { \(e.T).callbackTable[rawValue].name }")
                e.out.line("/// The contexts the kernel sets while it runs the callback.")
                e.out.line("public var contexts: Contexts { \(e.T).callbackTable[rawValue].contexts }")
                e.out.line("/// True when the callback may be a sleepable program (`sleepable` in the policy).")
                e.out.line("public var isSleepable: Bool { \(e.T).callbackTable[rawValue].sleepable }")
                e.out.line("/// The callbacks the kernel runs directly inside this one (`nest` lines).")
                e.out.line("public var nests: [Callback] { \(e.T).callbackTable[rawValue].nests }")
                e.out.line("/// Every callback that may run nested inside this one, through kfuncs it may call and")
                e.out.line("/// kernel nestings, in declaration order.")
                e.out.line("public var nestedCallbacks: [Callback] { \(e.T).callbackTable[rawValue].nested }")
                e.out.line("/// The kfuncs this callback may call, in declaration order.")
                e.out.line("public var allowedKfuncs: [Kfunc] { Kfunc.allCases.filter { \(e.T).isAllowed($0, in: self) } }")
            e.close()
            e.out.line()
            e.out.line("/// The callback with this member name, if the policy declares one.")
            e.out.line("public static func callback(named name: String) -> Callback? { Callback.allCases.first { $0.name == name } }")
        }
    }

    mutating func kfuncType() {
        extensionBlock("Kfuncs") { e in
            let p = e.policy
            e.doc("A kfunc of the policy. The raw value is its index in declaration order.")
            e.openIndexEnum("Kfunc", empty: p.kfuncs.isEmpty)
                for (i, k) in p.kfuncs.enumerated() {
                    var facts = "Allowed in: \(p.describe(k.mask))"
                    if !k.requires.isEmpty { facts += "; requires \(k.requires.joined(separator: ", "))" }
                    facts += ". Sets: \(k.sets.map { p.sets[$0].name }.joined(separator: ", "))."
                    if !k.flags.isEmpty { facts += " Flags: \(k.flags.map(\.rawValue).joined(separator: " | "))." }
                    e.doc(k.doc, facts)
                    e.out.line("case \(e.n.kfuncs[k.name]!) = \(i)")
                }
                e.out.line()
                e.out.line("/// The kfunc's name: the BPF-visible kernel function.")
                e.out.line("public var name: String { \(e.T).kfuncTable[rawValue].name }")
                e.out.line("/// Its KF_ flags, as in the kfunc sets.")
                e.out.line("public var flags: KFFlags { \(e.T).kfuncTable[rawValue].flags }")
                e.out.line("/// The contexts it may be called from (`allow`).")
                e.out.line("public var contexts: Contexts { \(e.T).kfuncTable[rawValue].contexts }")
                e.out.line("/// Its requirements, in the order written (`sleepable` is built in).")
                e.out.line("public var requirements: [Requirement] { \(e.T).kfuncTable[rawValue].requirements }")
                e.out.line("/// True when only sleepable callbacks may call it (`requires sleepable`).")
                e.out.line("public var requiresSleepable: Bool { requirements.contains(.\(e.n.requirements["sleepable"]!)) }")
                e.out.line("/// The C context word: the contexts, plus bit 31 (\(e.c.sleepable)) when it requires a")
                e.out.line("/// sleepable callback.")
                e.out.line("public var contextWord: UInt32 { contexts.rawValue | (requiresSleepable ? 0x8000_0000 : 0) }")
                e.out.line("/// The kfunc sets it is registered in, in the order written.")
                e.out.line("public var sets: [KfuncSet] { \(e.T).kfuncTable[rawValue].sets }")
                e.out.line("/// The program types that reach it through its sets, in `ProgramType` order.")
                e.out.line("public var programTypes: [ProgramType] { \(e.T).kfuncTable[rawValue].programTypes }")
                e.out.line("/// The callbacks it may call back into (`invokes`).")
                e.out.line("public var invokes: [Callback] { \(e.T).kfuncTable[rawValue].invokes }")
                e.out.line("/// Its context-dependent implementations (`impl` lines).")
                e.out.line("public var implementations: [Implementation] { \(e.T).kfuncTable[rawValue].implementations }")
                e.out.line("/// The kernel function that implements it when called from `callback`: the one an `impl`")
                e.out.line("/// line names for that callback, or the kfunc itself.")
                e.out.line("public func implementation(in callback: Callback) -> String {")
                e.out.line("    implementations.first { $0.callbacks.contains(callback) }?.symbol ?? name")
                e.out.line("}")
                e.out.line("/// The callbacks that may call it, in declaration order.")
                e.out.line("public var allowedCallbacks: [Callback] { Callback.allCases.filter { \(e.T).isAllowed(self, in: $0) } }")
            e.close()
            e.out.line()
            e.out.line("/// The kfunc with this name, if the policy declares one.")
            e.out.line("public static func kfunc(named name: String) -> Kfunc? { Kfunc.allCases.first { $0.name == name } }")
        }
    }

    mutating func setAndRequirementTypes() {
        extensionBlock("Sets and requirements") { e in
            let p = e.policy
            e.doc("A BTF kfunc set. The raw value is its place in declaration order.")
            e.openIndexEnum("KfuncSet", empty: p.sets.isEmpty)
                for (i, s) in p.sets.enumerated() {
                    e.doc(s.doc, "Registered for: \(s.progTypes.map(\.rawValue).joined(separator: ", ")).")
                    e.out.line("case \(e.n.sets[s.name]!) = \(i)")
                }
                e.out.line()
                e.out.line("/// The set's name (the C symbol of its BTF id set).")
                e.out.line("public var name: String { \(e.T).setTable[rawValue].name }")
                e.out.line("/// The program types it is registered for, in the order written.")
                e.out.line("public var programTypes: [ProgramType] { \(e.T).setTable[rawValue].programTypes }")
            e.close()
            e.out.line()
            e.doc("A condition a kfunc can require. `sleepable` is built in (the caller must be a sleepable callback); the others are checked by the kernel at run time on the kfunc's arguments.")
            e.open("public enum Requirement: String, CaseIterable, Hashable, Sendable {")
                e.out.line("/// Built in: only callbacks declared `sleepable` may call the kfunc.")
                e.out.line("case \(e.n.requirements["sleepable"]!) = \"sleepable\"")
                for r in p.requirements {
                    e.doc(r.doc)
                    e.out.line("case \(e.n.requirements[r.name]!) = \(e.quoted(r.name))")
                }
                e.out.line()
                e.out.line("/// The requirement's name in the policy.")
                e.out.line("public var name: String { rawValue }")
            e.close()
        }
    }

    mutating func fixedTypes() {
        extensionBlock("Program types, flags and implementations") { e in
            e.doc("""
                A BPF program type a kfunc set can be registered for. The raw value is the policy's \
                spelling; `cName` the kernel's `enum bpf_prog_type` constant.
                """)
            e.open("public enum ProgramType: String, CaseIterable, Hashable, Sendable {")
                for t in ProgType.allCases { e.out.line("case \(t.rawValue)") }
                e.out.line()
                e.out.line("/// The kernel's constant, e.g. `BPF_PROG_TYPE_STRUCT_OPS`.")
                e.out.line("public var cName: String { \"BPF_PROG_TYPE_\" + rawValue.uppercased() }")
            e.close()
            e.out.line()
            e.doc("""
                KF_ flags (include/linux/btf.h). Bit numbers are those of Linux 6.12 plus later \
                additions; generated C uses the kernel's own macros.
                """)
            e.open("public struct KFFlags: OptionSet, Hashable, Sendable {")
                e.out.line("public let rawValue: UInt32")
                e.out.line("public init(rawValue: UInt32) { self.rawValue = rawValue }")
                e.out.line()
                for f in KFFlag.allCases {
                    e.out.line("public static let \(f.rawValue) = KFFlags(rawValue: 1 << \(f.bit))")
                }
                e.out.line()
                e.out.line("/// The flags' kernel names, lowest bit first.")
                e.out.line("public var names: [String] { KFFlags.named.filter { contains($0.flag) }.map(\\.name) }")
                e.out.line("static let named: [(name: String, flag: KFFlags)] = [")
                e.out.indent()
                for f in KFFlag.allCases { e.out.line("(\(e.quoted(f.rawValue)), .\(f.rawValue)),") }
                e.out.outdent()
                e.out.line("]")
            e.close()
            e.out.line()
            e.doc("One kernel function that implements a kfunc in some callbacks (`impl CALLBACKS = SYMBOL;`).")
            e.open("public struct Implementation: Hashable, Sendable {")
                e.out.line("/// The callbacks in which the call goes to `symbol`.")
                e.out.line("public let callbacks: [Callback]")
                e.out.line("/// The implementing kernel function.")
                e.out.line("public let symbol: String")
            e.close()
        }
    }

    mutating func graph() {
        extensionBlock("Nesting graph") { e in
            e.doc("""
                An edge of the nesting graph, as the checker builds it to prove the graph acyclic: a \
                callback may call a kfunc that invokes callbacks (`calls`, only for such kfuncs), a kfunc \
                invokes a callback (`invokes`), the kernel runs one callback inside another (`nests`).
                """)
            e.open("public enum NestingEdge: Hashable, Sendable {")
                e.out.line("case calls(Callback, Kfunc)")
                e.out.line("case invokes(Kfunc, Callback)")
                e.out.line("case nests(outer: Callback, inner: Callback)")
            e.close()
            e.out.line()
            e.out.line("/// Every edge, grouped by source node: callbacks in declaration order, then kfuncs.")
            let g = NestingGraph(e.policy)
            let nc = e.policy.callbacks.count
            func cb(_ i: Int) -> String { "." + e.n.callbacks[e.policy.callbacks[i].name]! }
            func kf(_ i: Int) -> String { "." + e.n.kfuncs[e.policy.kfuncs[i - nc].name]! }
            let rows = g.edges.joined().map { x in
                switch x.kind {
                case .calls: ".calls(\(cb(x.from)), \(kf(x.to)))"
                case .invokes: ".invokes(\(kf(x.from)), \(cb(x.to)))"
                case .nests: ".nests(outer: \(cb(x.from)), inner: \(cb(x.to)))"
                }
            }
            e.array("public static let nestingGraph: [NestingEdge] =", rows)
        }
    }

    mutating func decisions() {
        let T = self.T
        let structName = policy.structName
        extensionBlock("Decisions") { e in
            e.out.lines("""
                /// Who calls a kfunc.
                public enum Caller: Hashable, Sendable {
                    /// A struct_ops program of `struct \(structName)` implementing this callback.
                    case callback(Callback)
                    /// A program of another type. `.struct_ops` here means a struct_ops program of some
                    /// other interface, which may call none of this policy's kfuncs.
                    case programType(ProgramType)
                }

                /// A decision and why, worded as `kfpolicy explain` words it (without source locations).
                public struct Explanation: Hashable, Sendable {
                    public let allowed: Bool
                    /// One sentence saying why.
                    public let summary: String
                    /// The facts that decide it, most decisive first.
                    public let reasons: [String]
                }

                /// May `kfunc` be called from `callback`: it is in a set registered for struct_ops, its
                /// contexts meet the callback's, and a `requires sleepable` kfunc needs a sleepable callback.
                public static func isAllowed(_ kfunc: Kfunc, in callback: Callback) -> Bool {
                    kfunc.sets.contains { $0.programTypes.contains(.struct_ops) }
                        && kfunc.contexts.rawValue & callback.contexts.rawValue != 0
                        && (!kfunc.requiresSleepable || callback.isSleepable)
                }

                /// May `kfunc` be called from a program of `programType`: it is in a set registered for
                /// that type. Always false for `.struct_ops`, which here means another interface.
                public static func isAllowed(_ kfunc: Kfunc, from programType: ProgramType) -> Bool {
                    programType != .struct_ops && kfunc.sets.contains { $0.programTypes.contains(programType) }
                }

                /// May `kfunc` be called by `caller`.
                public static func isAllowed(_ kfunc: Kfunc, by caller: Caller) -> Bool {
                    switch caller {
                    case .callback(let c): return isAllowed(kfunc, in: c)
                    case .programType(let t): return isAllowed(kfunc, from: t)
                    }
                }

                /// The kfuncs a program of `programType` may call, in declaration order.
                public static func kfuncs(allowedFrom programType: ProgramType) -> [Kfunc] {
                    Kfunc.allCases.filter { isAllowed($0, from: programType) }
                }

                /// Why `kfunc` may or may not be called from `callback`.
                public static func explain(_ kfunc: Kfunc, in callback: Callback) -> Explanation {
                    let k = kfunc.name, op = "ops.\\(callback.name)"
                    guard let reg = kfunc.sets.first(where: { $0.programTypes.contains(.struct_ops) }) else {
                        return Explanation(allowed: false, summary: "'\\(k)' is in no set registered for struct_ops programs",
                                           reasons: setReasons(kfunc))
                    }
                    let maskReason = "'\\(k)' may be called in: \\(kfunc.contexts)"
                    let cbReason = "\\(op) runs in: \\(callback.contexts)\\(callback.isSleepable ? " (sleepable)" : "")"
                    if kfunc.contexts.isDisjoint(with: callback.contexts) {
                        return Explanation(allowed: false,
                                           summary: "'\\(k)' is not allowed in \\(op): its contexts (\\(kfunc.contexts)) do not meet those of \\(op) (\\(callback.contexts))",
                                           reasons: [maskReason, cbReason])
                    }
                    if kfunc.requiresSleepable && !callback.isSleepable {
                        return Explanation(allowed: false, summary: "'\\(k)' requires a sleepable callback and \\(op) is not sleepable",
                                           reasons: ["'\\(k)' requires sleepable", cbReason])
                    }
                    var reasons = [maskReason, cbReason, "set '\\(reg.name)' is registered for struct_ops"]
                    if kfunc.requiresSleepable { reasons.append("'\\(k)' requires sleepable; \\(op) is sleepable") }
                    let impl = kfunc.implementation(in: callback)
                    if impl != k { reasons.append("in \\(op) it is implemented by '\\(impl)'") }
                    return Explanation(allowed: true, summary: "'\\(k)' is allowed in \\(op) (common contexts: \\(kfunc.contexts.intersection(callback.contexts)))",
                                       reasons: reasons)
                }

                /// Why `kfunc` may or may not be called from a program of `programType`.
                public static func explain(_ kfunc: Kfunc, from programType: ProgramType) -> Explanation {
                    let k = kfunc.name, t = programType.rawValue
                    if programType == .struct_ops {
                        return Explanation(allowed: false, summary: "'\\(k)' is not allowed in struct_ops programs of other interfaces than struct \\(\(T).structName)",
                                           reasons: ["policy '\\(\(T).name)' covers struct \\(\(T).structName) only"])
                    }
                    if let s = kfunc.sets.first(where: { $0.programTypes.contains(programType) }) {
                        return Explanation(allowed: true, summary: "'\\(k)' is allowed in \\(t) programs",
                                           reasons: ["'\\(k)' is in set '\\(s.name)'", "set '\\(s.name)' is registered for \\(t)"])
                    }
                    return Explanation(allowed: false, summary: "'\\(k)' is in no set registered for \\(t) programs", reasons: setReasons(kfunc))
                }

                /// Why `kfunc` may or may not be called by `caller`.
                public static func explain(_ kfunc: Kfunc, by caller: Caller) -> Explanation {
                    switch caller {
                    case .callback(let c): return explain(kfunc, in: c)
                    case .programType(let t): return explain(kfunc, from: t)
                    }
                }

                /// The kfunc's sets and what each is registered for.
                private static func setReasons(_ kfunc: Kfunc) -> [String] {
                    let names = kfunc.sets.map { "'\\($0.name)'" }
                    let list = names.isEmpty ? "no set" : (names.count == 1 ? "set " : "sets ") + names.joined(separator: ", ")
                    return ["'\\(kfunc.name)' is in \\(list)"]
                        + kfunc.sets.map { "set '\\($0.name)' is registered for \\($0.programTypes.map(\\.rawValue).joined(separator: ", "))" }
                }
                """)
        }
    }

    mutating func tables() {
        extensionBlock("Tables (one row per declaration, indexed by raw value)") { e in
            let p = e.policy
            e.out.line("static let contextNames: [String] = \(e.list(p.contexts.map { e.quoted($0.name) }))")
            e.out.line()
            e.out.line("struct CallbackRow: Sendable {")
            e.out.line("    let name: String, contexts: Contexts, sleepable: Bool, nests: [Callback], nested: [Callback]")
            e.out.line("}")
            let g = NestingGraph(p)
            e.array("static let callbackTable: [CallbackRow] =", p.callbacks.enumerated().map { i, cb in
                let nests = p.nests.filter { $0.outer == i }.map(\.inner)
                return "CallbackRow(name: \(e.quoted(cb.name)), contexts: \(e.contexts(cb.contexts)), sleepable: \(cb.sleepable), nests: \(e.callbacks(nests)), nested: \(e.callbacks(g.nestedCallbacks(of: i))))"
            })
            e.out.line()
            e.out.line("struct KfuncRow: Sendable {")
            e.out.line("    let name: String, flags: KFFlags, contexts: Contexts, requirements: [Requirement], sets: [KfuncSet]")
            e.out.line("    let programTypes: [ProgramType], invokes: [Callback], implementations: [Implementation]")
            e.out.line("}")
            e.array("static let kfuncTable: [KfuncRow] =", p.kfuncs.enumerated().map { k, kf in
                let flags = e.list(kf.flags.sorted().map { "." + $0.rawValue })
                let reqs = e.list(kf.requires.map { "." + e.n.requirements[$0]! })
                let sets = e.list(kf.sets.map { "." + e.n.sets[p.sets[$0].name]! })
                let types = e.list(p.progTypes(of: k).map { "." + $0.rawValue })
                let impls = e.list(kf.impls.map { "Implementation(callbacks: \(e.callbacks($0.callbacks)), symbol: \(e.quoted($0.symbol)))" })
                return "KfuncRow(name: \(e.quoted(kf.name)), flags: \(flags), contexts: \(e.contexts(kf.mask)), requirements: \(reqs), sets: \(sets), programTypes: \(types), invokes: \(e.callbacks(kf.invokes)), implementations: \(impls))"
            })
            e.out.line()
            e.out.line("struct SetRow: Sendable { let name: String, programTypes: [ProgramType] }")
            e.array("static let setTable: [SetRow] =", p.sets.map { s in
                "SetRow(name: \(e.quoted(s.name)), programTypes: \(e.list(s.progTypes.map { "." + $0.rawValue })))"
            })
        }
    }
}

extension Generator {
    /// The outputs for an include-only file (see `Compilation.isIncludeOnly`): the Swift note
    /// when Swift is asked for, nothing else. Used by `kfpolicy-gen --allow-include-only`, which
    /// the build plugin runs on every .policy file of a target, shared ones included.
    public static func includeOnlyOutputs(path: String, emit: [OutputKind]) -> [GeneratedFile] {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return emit.contains(.swift)
            ? [GeneratedFile(name: SwiftNamer.fileName(forPolicyAt: path), contents: SwiftEmitter.includeOnlySource(sourceName: base))]
            : []
    }
}

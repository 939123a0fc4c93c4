// `kfpolicy import`: write a policy from what a kernel's hand-written rules enforce for one
// struct_ops interface. It reads (as libclang tokens, see KernelSource.swift):
// - the struct's function-pointer members (the callbacks);
// - the context constants: the enum whose constants the call-op macros are given (sched_ext:
//   enum scx_kf_mask), each value evaluated with libclang;
// - each callback's contexts: the union of the masks passed at its call sites, through the
//   interface's call-op macros (function-like macros whose first two parameters are `mask` and
//   `op`, e.g. SCX_CALL_OP_TASK(mask, op, task, args...));
// - which callbacks may be sleepable programs: the `case offsetof(struct S, member):` labels of
//   the struct_ops' .check_member function;
// - the BTF kfunc sets of the interface's file, their KF_ flags, and the program types they are
//   registered for;
// - each kfunc's run-time context check: guards `if (<condition>) return/goto ...;` at the top
//   level of the kfunc and of the file's functions it calls, whose condition uses sched_ext's
//   checks scx_kf_allowed(mask), scx_kf_allowed_on_arg_tasks(mask, task) and
//   scx_kf_allowed_if_unlocked(), combined with !, && and ||.
// What it cannot infer (nesting, checks used any other way, callbacks without call sites) it
// reports, with locations, and leaves out of the policy instead of guessing.

import KFPolicy

public struct ImportResult: Sendable {
    /// The policy, formatted canonically.
    public var policyText: String
    /// What could not be inferred (warnings), each at a kernel source location.
    public var diagnostics: [Diagnostic]
}

public struct ImportError: Error, CustomStringConvertible {
    public let description: String
}

public enum PolicyImporter {
    /// Imports the rules for `structName` from the kernel sources under `root`. `name` is the
    /// policy's name and prefix (default: the struct's name without `_ops`).
    public static func importPolicy(kernelSource root: String, structName: String, name: String? = nil,
                                    sources: SourceManager) throws -> ImportResult {
        let ks: KernelSource
        do { ks = try KernelSource(root: root, structNames: [structName], sources: sources) } catch {
            throw ImportError(description: "\(error)")
        }
        var imp = Importer(ks: ks, structName: structName, name: name ?? (structName.hasSuffix("_ops") ? String(structName.dropLast(4)) : structName))
        return try imp.run()
    }
}

/// The run-time checks of sched_ext (6.12) the importer understands, by function name.
enum ContextCheck {
    /// True in the contexts of the mask argument (scx_kf_allowed).
    case mask
    /// As `mask`, and the task argument must be one the running callback operates on.
    case maskOnSubjectTask
    /// True when no context bit is set (scx_kf_allowed_if_unlocked).
    case unlocked

    static let known: [String: ContextCheck] = [
        "scx_kf_allowed": .mask,
        "scx_kf_allowed_on_arg_tasks": .maskOnSubjectTask,
        "scx_kf_allowed_if_unlocked": .unlocked,
    ]
}

/// Three-valued truth for guard conditions: whether a condition is true, false, or depends on
/// something other than the context (an argument, the state of the system).
enum Truth {
    case yes, no, depends
    static prefix func ! (a: Truth) -> Truth { a == .yes ? .no : a == .no ? .yes : .depends }
    static func && (a: Truth, b: Truth) -> Truth { a == .no || b == .no ? .no : a == .yes && b == .yes ? .yes : .depends }
    static func || (a: Truth, b: Truth) -> Truth { a == .yes || b == .yes ? .yes : a == .no && b == .no ? .no : .depends }
}

private struct Importer {
    let ks: KernelSource
    let structName: String
    let name: String
    var diagnostics: [Diagnostic] = []
    var notInferred: [String] = []

    // Contexts.
    var contextNames: [String] = []          // in policy order
    var contextBits: [Int64] = []            // the C value of each (0 for the no-bit context)
    var contextConstants: [String] = []      // the C constant of each
    var groups: [(name: String, constant: String, contexts: Set<Int>)] = []
    var maskValues: [String: Int64] = [:]    // mask expression text -> value
    var enumPrelude = ""
    var enumDescription = ""
    var enumFile: String?

    // Per-function analysis.
    var admitted: [String: Set<Int>] = [:]
    var requirementsOf: [String: Set<String>] = [:]
    var evidence: [String: [String]] = [:]   // function -> "check at path:line" notes
    var inProgress: Set<String> = []

    init(ks: KernelSource, structName: String, name: String) {
        self.ks = ks
        self.structName = structName
        self.name = name
    }

    /// `path:line` relative to the kernel tree, for comments in the policy.
    func rel(_ l: KernelLocation) -> String {
        guard let p = ks.sources.position(l.range) else { return "?" }
        let path = p.path.hasPrefix(ks.root + "/") ? String(p.path.dropFirst(ks.root.count + 1)) : p.path
        return "\(path):\(p.line)"
    }

    func location(_ f: Int, _ i: Int) -> KernelLocation { ks.location(f, i) }

    mutating func cannot(_ message: String, at l: KernelLocation?) {
        notInferred.append(message + (l.map { " (\(rel($0)))" } ?? ""))
        diagnostics.append(Diagnostic(.warning, .importNotInferred, "import: " + message, at: l?.range ?? .none))
    }

    var allContexts: Set<Int> { Set(contextNames.indices) }

    func describe(_ s: Set<Int>, groups useGroups: Bool = true) -> String {
        if s == allContexts { return "any" }
        if s.isEmpty { return "none" }
        if useGroups, let g = groups.first(where: { $0.contexts == s }) { return g.name }
        return s.sorted().map { contextNames[$0] }.joined(separator: " | ")
    }

    // MARK: Running

    mutating func run() throws -> ImportResult {
        guard let st = ks.structs[structName] else {
            throw ImportError(description: "struct \(structName) is not defined in the kernel sources under '\(ks.root)'")
        }
        let members = st.members.filter(\.isFunctionPointer)
        guard let structFile = ks.fileIDs.firstIndex(of: st.location.range.file) else { throw ImportError(description: "internal: struct file") }
        let iface = interfaceFile(default: structFile)

        // Call sites of the call-op macros: op -> [(mask text, location)].
        let callMacros = Set(ks.files[iface].macros.values.filter { Array(($0.params ?? []).prefix(2)) == ["mask", "op"] }.map(\.name))
        var sites: [String: [(mask: String, loc: KernelLocation)]] = [:]
        let code = ks.files[iface].code
        for i in code.indices where callMacros.contains(code[i].text) {
            guard let (args, _) = ks.files[iface].arguments(at: i + 1), args.count >= 2 else { continue }
            sites[tokenText(args[1]), default: []].append((tokenText(args[0]), location(iface, i)))
        }
        let oneContext = callMacros.isEmpty
        if oneContext {
            // Nothing in the sources tells callbacks apart: one context holds them all.
            cannot("no call-op macro (a function-like macro with parameters (mask, op, ...)) is defined in \(ks.fileNames[iface]): the sources set no per-callback context, so every callback is put in one context 'any_callback'; rules kept elsewhere (filters, helper access, members BPF cannot implement) are not read", at: st.location)
            contextNames = ["any_callback"]
            contextBits = [0]
            contextConstants = ["no C constant"]
            enumDescription = "none in the sources; one context for every callback"
        } else {
            try inferContexts(masks: sites.values.flatMap { $0.map(\.mask) }, sites: sites)
        }
        for (v, info) in ks.idSets.sorted(by: { $0.key < $1.key }) where info.filter != nil && ks.sets.contains(where: { $0.name == info.set && $0.file == ks.fileNames[iface] }) {
            cannot("'\(v)' registers set '\(info.set ?? "?")' with the filter \(info.filter!)(): per-callback rules in a filter are not read", at: info.location)
        }

        // Sleepable callbacks.
        let sleepable = sleepableMembers(iface)

        // The policy text.
        var out = """
            // Imported by 'kfpolicy import --struct \(structName)' from the kernel sources: \(sourcesUsed(iface, structFile).joined(separator: ", ")).
            // Each fact names the source line it comes from; what import could not infer is listed at the end.

            /// \(structName) as the kernel's hand-written rules enforce it.
            policy \(name) for struct \(structName);
            prefix \(name);

            // Contexts: \(enumDescription).

            """
        for (i, c) in contextNames.enumerated() {
            out += oneContext ? "context \(c);\n"
                : "context \(c); // \(contextConstants[i])\(contextBits[i] == 0 ? " = 0: no bit is set in C; a context of its own here" : "")\n"
        }
        for g in groups { out += "group \(g.name) = \(describe(g.contexts, groups: false)); // \(g.constant)\n" }
        out += "\n// Callbacks: the function-pointer members of struct \(structName) (\(rel(st.location))), in order.\n"
        out += oneContext ? "// The sources set no per-callback context: every callback is in the one context.\n"
            : "// Each runs in the union of the masks its \(callMacros.sorted().joined(separator: "/")) call sites pass.\n"
        for m in members {
            if oneContext {
                let sl = sleepable.members[m.name].map { " sleepable; // sleepable: \($0)" } ?? ";"
                out += "callback \(m.name): any_callback\(sl)\n"
                continue
            }
            guard let ss = sites[m.name], !ss.isEmpty else {
                cannot("callback '\(m.name)': no \(callMacros.isEmpty ? "call-op macro" : callMacros.sorted().joined(separator: "/")) call site names it, so its contexts are unknown; left out", at: m.location)
                out += "// callback \(m.name): not imported (no call site found)\n"
                continue
            }
            var mask = Set<Int>()
            var unknown = false
            for s in ss {
                if let v = maskValues[s.mask] { mask.formUnion(contexts(of: v)) } else {
                    unknown = true
                    cannot("callback '\(m.name)': the mask '\(s.mask)' of a call site is not a constant import can evaluate", at: s.loc)
                }
            }
            if unknown && mask.isEmpty { out += "// callback \(m.name): not imported (mask unknown)\n"; continue }
            var notes = ss.map { rel($0.loc).split(separator: "/").last.map(String.init) ?? "" }
            notes = notes.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            var sl = ""
            if let s = sleepable.members[m.name] {
                sl = " sleepable"
                notes.append("sleepable: \(s)")
            }
            out += "callback \(m.name): \(describe(mask))\(sl); // \(notes.joined(separator: ", "))\n"
        }

        // Sets of the interface's file, and their registrations.
        let sets = ks.sets.filter { $0.file == ks.fileNames[iface] }
        var kfuncOrder: [String] = []
        var kfuncSets: [String: [String]] = [:]
        var kfuncFlags: [String: (flags: [String], set: String, loc: KernelLocation)] = [:]
        var setLines = ""
        for s in sets {
            let regs = ks.registrations(of: s.name)
            var types: [String] = []
            for r in regs {
                if let t = ProgType.allCases.first(where: { $0.cName == r.progType }) {
                    if !types.contains(t.rawValue) { types.append(t.rawValue) }
                } else {
                    cannot("set '\(s.name)' is registered for \(r.progType), which the policy language has no name for", at: r.location)
                }
            }
            if types.isEmpty {
                cannot("set '\(s.name)' is registered for no program type kfpolicy knows; left out", at: s.location)
                continue
            }
            let order = ProgType.allCases.map(\.rawValue)
            types.sort { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! }
            setLines += "set \(s.name): \(types.joined(separator: ", ")); // \(rel(s.location)); registered at \(regs.map { rel($0.location).split(separator: ":").last.map { "line " + $0 } ?? "" }.joined(separator: ", "))\n"
            for e in s.entries {
                if kfuncSets[e.kfunc] == nil { kfuncOrder.append(e.kfunc) }
                kfuncSets[e.kfunc, default: []].append(s.name)
                if let old = kfuncFlags[e.kfunc] {
                    if Set(old.flags) != Set(e.flags) {
                        cannot("kfunc '\(e.kfunc)' has flags \(e.flags.isEmpty ? "none" : e.flags.joined(separator: " | ")) in set '\(s.name)' but \(old.flags.isEmpty ? "none" : old.flags.joined(separator: " | ")) in set '\(old.set)'; the policy keeps the first", at: e.location)
                    }
                } else {
                    kfuncFlags[e.kfunc] = (e.flags, s.name, e.location)
                }
            }
        }

        // Kfuncs: flags, run-time checks, requirements.
        var requirementsUsed = Set<String>()
        var kfuncText = ""
        for k in kfuncOrder {
            let flags = kfuncFlags[k]!.flags
            let known = flags.filter { f in KFFlag.allCases.contains { $0.rawValue == f } }
            for f in flags where !known.contains(f) { cannot("kfunc '\(k)': flag '\(f)' is not a KF_ flag kfpolicy knows; left out", at: kfuncFlags[k]!.loc) }
            var allow = allContexts
            var reqs = Set<String>()
            var why = "no run-time context check"
            if let fn = ks.functions[k], fn.body != nil, ks.fileIDs[fn.body!.file] == ks.fileIDs[iface] {
                allow = admittedContexts(k)
                reqs = requirementsOf[k] ?? []
                if let ev = evidence[k], !ev.isEmpty { why = ev.joined(separator: "; ") }
            } else if let fn = ks.functions[k] {
                why = "defined in \(rel(fn.location)), outside \(ks.fileNames[iface]): its checks were not read"
                cannot("kfunc '\(k)' is defined outside \(ks.fileNames[iface]); import assumed it checks no context", at: fn.location)
            } else {
                cannot("kfunc '\(k)' has no definition in the sources read; import assumed it checks no context", at: kfuncFlags[k]!.loc)
            }
            if known.contains("KF_SLEEPABLE") { reqs.insert("sleepable") }
            requirementsUsed.formUnion(reqs.subtracting(["sleepable"]))
            kfuncText += "\nkfunc \(k) {\n"
            kfuncText += "    in \(kfuncSets[k]!.joined(separator: ", "));\n"
            kfuncText += "    flags \(known.isEmpty ? "none" : known.joined(separator: " | "));\n"
            kfuncText += "    allow \(describe(allow)); // \(why)\n"
            if !reqs.isEmpty {
                let sorted = reqs.sorted { a, b in a == "sleepable" ? true : b == "sleepable" ? false : a < b }
                kfuncText += "    requires \(sorted.joined(separator: ", "));\(reqs.contains("sleepable") ? " // KF_SLEEPABLE: the verifier allows it in sleepable programs only" : "")\n"
            }
            kfuncText += "}\n"
        }
        if !requirementsUsed.isEmpty {
            out += "\n"
            for r in requirementsUsed.sorted() {
                out += "/// The task argument must be a task the running callback operates on (scx_kf_allowed_on_arg_tasks).\nrequirement \(r);\n"
            }
        }
        out += "\n// kfunc sets defined in \(ks.fileNames[iface]) and the program types register_btf_kfunc_id_set() registers each for.\n"
        out += setLines
        out += kfuncText

        // What was not inferred.
        let nestingCheck = ks.functions["scx_kf_allowed"].flatMap { $0.location.range.file == ks.fileIDs[iface] ? $0.location : nil }
        cannot("nesting (invokes, nest) is not inferred: which callbacks the kernel runs inside others, or calls back from a kfunc, depends on kernel paths import does not follow"
               + (nestingCheck == nil ? "" : " (scx_kf_allowed() refuses some nestings at run time)"), at: nestingCheck ?? st.location)
        out += "\n// Not inferred by import (each was reported with its location):\n"
        for n in notInferred { out += "// - \(n)\n" }

        // Canonical layout.
        let file = SourceFile(path: "\(name).policy", text: out)
        let (tree, bag) = Parser.parse(file, file: 0)
        var text = bag.hasErrors ? out : Formatter.format(tree)
        if !text.hasSuffix("\n") { text += "\n" }
        return ImportResult(policyText: text, diagnostics: diagnostics)
    }

    /// The files the facts come from: the interface's, the struct's and the context enum's.
    func sourcesUsed(_ iface: Int, _ structFile: Int) -> [String] {
        var out = [ks.fileNames[iface]]
        if !out.contains(ks.fileNames[structFile]) { out.append(ks.fileNames[structFile]) }
        if let e = enumFile, !out.contains(e) { out.append(e) }
        return out
    }

    /// The file that defines the struct_ops (`.name = "<struct>"` in a struct bpf_struct_ops),
    /// else the file that defines the struct.
    func interfaceFile(default d: Int) -> Int {
        for (f, st) in ks.files.enumerated() {
            let c = st.code
            for i in c.indices where c[i].text == "." && i + 3 < c.count && c[i + 1].text == "name" && c[i + 2].text == "="
                && c[i + 3].text == "\"\(structName)\"" {
                return f
            }
        }
        return d
    }

    // MARK: Contexts

    /// Finds the enum whose constants the masks use, evaluates it, and names the contexts.
    mutating func inferContexts(masks: [String], sites: [String: [(mask: String, loc: KernelLocation)]]) throws {
        // A constant named in a mask: the first identifier of any mask.
        let firstConstant = masks.lazy.compactMap { m in
            m.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).first.map(String.init)
        }.first
        guard let constant = firstConstant, let (enumName, body, loc) = findEnum(containing: constant) else {
            cannot("the context constants (the enum the call-op masks use) were not found", at: nil)
            return
        }
        // Evaluate every constant and every mask with libclang.
        let consts = splitArguments(body).compactMap { item -> (String, KernelLocation?)? in
            guard let first = item.first, first.kind == .identifier else { return nil }
            return (first.text, nil)
        }
        enumPrelude = "enum \(enumName) { \(tokenText(body)) };"
        let exprs = consts.map(\.0) + masks
        let (values, errors) = try evaluateIntegerExpressions(exprs, prelude: enumPrelude)
        if let e = errors.first { cannot("libclang could not evaluate the context constants of enum \(enumName): \(e.message)", at: loc) }
        var valueOf: [String: Int64] = [:]
        for (i, v) in values.enumerated() { if let v { valueOf[exprs[i]] = v } }
        for m in masks { if let v = valueOf[m] { maskValues[m] = v } }
        // Contexts: constants with no bit or one bit, in bit order (the no-bit one first);
        // constants with several bits are groups.
        let prefix = commonPrefix(consts.map(\.0).filter { !$0.hasPrefix("__") })
        var singles: [(String, Int64)] = []
        for (c, _) in consts {
            guard let v = valueOf[c] else { continue }
            if v == 0 || v & (v - 1) == 0 { singles.append((c, v)) }
        }
        singles.sort { $0.1 < $1.1 }
        for (c, v) in singles {
            contextNames.append(String(c.dropFirst(prefix.count)).lowercased())
            contextBits.append(v)
            contextConstants.append(c)
        }
        for (c, _) in consts where !singles.contains(where: { $0.0 == c }) {
            guard let v = valueOf[c] else { continue }
            let set = contexts(of: v)
            var g = String(c.drop(while: { $0 == "_" }).dropFirst(prefix.count)).lowercased()
            if g.isEmpty || contextNames.contains(g) { g = "group_" + g }
            groups.append((g, c, set))
        }
        enumDescription = "the constants of enum \(enumName) (\(rel(loc))), in bit order, evaluated with libclang"
        enumFile = ks.sources.position(loc.range).map { $0.path.hasPrefix(ks.root + "/") ? String($0.path.dropFirst(ks.root.count + 1)) : $0.path }
        _ = sites
    }

    /// The contexts a C mask value stands for (0: the no-bit context).
    func contexts(of v: Int64) -> Set<Int> {
        var s = Set<Int>()
        for (i, b) in contextBits.enumerated() {
            if b == 0 { if v == 0 { s.insert(i) } } else if v & b == b { s.insert(i) }
        }
        return s
    }

    func commonPrefix(_ names: [String]) -> String {
        guard var p = names.first else { return "" }
        for n in names.dropFirst() { while !n.hasPrefix(p) { p.removeLast() } }
        // Cut back to the last underscore so names stay whole words.
        if let u = p.lastIndex(of: "_") { p = String(p[...u]) } else { p = "" }
        return p
    }

    /// The enum (name, body tokens, location) that declares `constant`: in the files already
    /// read, else in any file under the tree that mentions it.
    func findEnum(containing constant: String) -> (String, [ClangToken], KernelLocation)? {
        func search(_ st: SourceTokens, _ f: Int?) -> (String, [ClangToken], KernelLocation?)? {
            let c = st.code
            for i in c.indices where c[i].text == "enum" && i + 2 < c.count && c[i + 2].text == "{" {
                guard let close = st.matching(i + 2) else { continue }
                let body = Array(c[(i + 3)..<close])
                if body.contains(where: { $0.text == constant }) {
                    return (c[i + 1].text, body, f.map { ks.location($0, i + 1) })
                }
            }
            return nil
        }
        for (f, st) in ks.files.enumerated() {
            if let (n, b, l) = search(st, f), let l { return (n, b, l) }
        }
        for relPath in KernelSource.cFiles(under: ks.root) where !ks.fileNames.contains(relPath) {
            let path = ks.root + "/" + relPath
            guard let bytes = try? readFileBytes(path), bytes.containsBytes(Array(constant.utf8)),
                  let st = try? SourceTokens.lex(path: path, contents: String(decoding: bytes, as: UTF8.self)) else { continue }
            ks.adopt(relPath, st, bytes)
            if let (n, b, _) = search(st, nil), let i = st.code.firstIndex(where: { $0.text == n }) {
                return (n, b, ks.location(ks.files.count - 1, i))
            }
        }
        return nil
    }

    // MARK: Sleepable callbacks

    /// Members named in `case offsetof(struct S, m):` labels of the struct_ops' .check_member
    /// function, when that function looks at `sleepable`: member -> where.
    mutating func sleepableMembers(_ iface: Int) -> (members: [String: String], function: String?) {
        let c = ks.files[iface].code
        var checkMember: String?
        for i in c.indices where c[i].text == "." && i + 3 < c.count && c[i + 1].text == "check_member" && c[i + 2].text == "=" {
            checkMember = c[i + 3].text
        }
        guard let fnName = checkMember, let fn = ks.functions[fnName], let body = fn.body else {
            cannot("no .check_member function of struct \(structName)'s struct_ops was found: no callback is marked sleepable", at: nil)
            return ([:], nil)
        }
        let bc = ks.files[body.file].code
        guard bc[body.open...body.close].contains(where: { $0.text == "sleepable" }) else {
            cannot("\(fnName)() does not look at 'sleepable': no callback is marked sleepable", at: fn.location)
            return ([:], fnName)
        }
        var out: [String: String] = [:]
        for i in body.open..<body.close where bc[i].text == "case" && i + 7 < body.close && bc[i + 1].text == "offsetof" {
            // case offsetof ( struct S , member ) :
            if bc[i + 3].text == "struct", bc[i + 4].text == structName, bc[i + 5].text == ",", bc[i + 6].kind == .identifier {
                let cond = ks.files[body.file].conditions(at: i)
                let l = ks.location(body.file, i)
                out[bc[i + 6].text] = "\(fnName) \(rel(l).split(separator: "/").last ?? "")" + (cond.isEmpty ? "" : " if \(cond.joined(separator: " && "))")
            }
        }
        return (out, fnName)
    }

    // MARK: Run-time checks

    /// The contexts in which function `name` gets past its context checks (and those of the
    /// file's functions it calls).
    mutating func admittedContexts(_ name: String) -> Set<Int> {
        if let a = admitted[name] { return a }
        guard let fn = ks.functions[name], let body = fn.body, !inProgress.contains(name) else { return allContexts }
        inProgress.insert(name)
        defer { inProgress.remove(name) }
        let st = ks.files[body.file]
        let c = st.code
        var result = allContexts
        var reqs = Set<String>()
        var ev: [String] = []
        var handled = Set<Int>()
        // Guards among the top-level statements.
        var i = body.open + 1
        while i < body.close {
            if c[i].text == "if", i + 1 < body.close, c[i + 1].text == "(", let close = st.matching(i + 1), close < body.close,
               let stmtEnd = guardEnd(st, close + 1, limit: body.close) {
                let cond = Array((i + 2)..<close)
                if cond.contains(where: { involvesChecks(c[$0].text) }) {
                    let (truth, r, used) = evaluate(st, body.file, cond)
                    let passes = Set(contextNames.indices.filter { truth[$0] != .yes })
                    result.formIntersection(passes)
                    reqs.formUnion(r)
                    handled.formUnion(used)
                    ev.append("'if (\(tokenText(cond.map { c[$0] })))' at \(rel(ks.location(body.file, i)))")
                }
                i = stmtEnd
                continue
            }
            if c[i].text == "{", let close = st.matching(i) { i = close + 1; continue }
            i += 1
        }
        // Checks and checked functions used elsewhere in the body.
        var j = body.open + 1
        while j < body.close {
            defer { j += 1 }
            guard !handled.contains(j), c[j].kind == .identifier, j + 1 < body.close, c[j + 1].text == "(" else { continue }
            let callee = c[j].text
            if ContextCheck.known[callee] != nil {
                cannot("\(name)(): \(callee)() is used in a way import does not follow (not as the condition of a top-level 'if (...) return/goto'); its effect is not in the policy", at: ks.location(body.file, j))
                continue
            }
            if callee != name, ks.functions[callee]?.body != nil {
                let a = admittedContexts(callee)
                if a != allContexts {
                    result.formIntersection(a)
                    reqs.formUnion(requirementsOf[callee] ?? [])
                    ev.append("calls \(callee)() at \(rel(ks.location(body.file, j))), which checks: " + (evidence[callee] ?? []).joined(separator: "; "))
                }
            }
        }
        admitted[name] = result
        requirementsOf[name] = reqs
        evidence[name] = ev
        return result
    }

    /// True for a check or a function whose own checks restrict contexts.
    mutating func involvesChecks(_ s: String) -> Bool {
        if ContextCheck.known[s] != nil { return true }
        guard ks.functions[s]?.body != nil, !inProgress.contains(s) else { return false }
        return admittedContexts(s) != allContexts
    }

    /// The index after the statement that follows an `if (...)`, when that statement leaves
    /// the function (return or goto, alone or ending a block); nil otherwise.
    func guardEnd(_ st: SourceTokens, _ start: Int, limit: Int) -> Int? {
        let c = st.code
        guard start < limit else { return nil }
        if c[start].text == "return" || c[start].text == "goto" {
            guard let semi = (start..<limit).first(where: { c[$0].text == ";" }) else { return nil }
            if semi + 1 < limit && c[semi + 1].text == "else" { return nil }
            return semi + 1
        }
        if c[start].text == "{", let close = st.matching(start), close < limit {
            // The block's last statement must be a return or goto.
            var k = close - 1
            while k > start && c[k].text != ";" { k -= 1 }
            var s = k - 1
            while s > start && c[s].text != ";" && c[s].text != "{" && c[s].text != "}" { s -= 1 }
            guard c[s + 1].text == "return" || c[s + 1].text == "goto" else { return nil }
            if close + 1 < limit && c[close + 1].text == "else" { return nil }
            return close + 1
        }
        return nil
    }

    /// Evaluates a condition (token indices) per context. Returns the truth in each context,
    /// the requirements its checks add, and the token indices it used.
    mutating func evaluate(_ st: SourceTokens, _ file: Int, _ idx: [Int]) -> ([Truth], Set<String>, Set<Int>) {
        var reqs = Set<String>()
        var used = Set<Int>()
        let c = st.code
        func all(_ t: Truth) -> [Truth] { [Truth](repeating: t, count: contextNames.count) }
        func expr(_ r: ArraySlice<Int>) -> [Truth] {
            let parts = split(r, "||")
            if parts.count > 1 { return parts.map(expr).reduce(all(.no)) { zip($0, $1).map { $0 || $1 } } }
            let ands = split(r, "&&")
            if ands.count > 1 { return ands.map(expr).reduce(all(.yes)) { zip($0, $1).map { $0 && $1 } } }
            guard let first = r.first else { return all(.depends) }
            if c[first].text == "!" { return expr(r.dropFirst()).map { !$0 } }
            if c[first].text == "(", let close = st.matching(first), close == r.last { return expr(r.dropFirst().dropLast()) }
            // A call that is the whole operand.
            if c[first].kind == .identifier, r.count >= 3, c[r[r.startIndex + 1]].text == "(",
               let close = st.matching(r[r.startIndex + 1]), close == r.last {
                let callee = c[first].text
                let args = splitIndices(Array(r.dropFirst(2).dropLast()))
                if callee == "likely" || callee == "unlikely", args.count == 1 { return expr(args[0][...]) }
                if let kind = ContextCheck.known[callee] {
                    used.insert(first)
                    switch kind {
                    case .unlocked:
                        return contextBits.map { $0 == 0 ? .yes : .no }
                    case .mask, .maskOnSubjectTask:
                        guard let m = args.first, let v = maskValue(m.map { c[$0] }) else {
                            return all(.depends)
                        }
                        let ctx = contexts(of: v)
                        if kind == .maskOnSubjectTask { reqs.insert("subject_task") }
                        // A mask check is false when no bit is set (the no-bit context).
                        return contextNames.indices.map { i in
                            contextBits[i] != 0 && ctx.contains(i) ? (kind == .mask ? .yes : .depends) : .no
                        }
                    }
                }
                if ks.functions[callee]?.body != nil {
                    let a = admittedContexts(callee)
                    if a != allContexts {
                        used.insert(first)
                        reqs.formUnion(requirementsOf[callee] ?? [])
                        return contextNames.indices.map { a.contains($0) ? .depends : .no }
                    }
                }
            }
            return all(.depends)
        }
        func split(_ r: ArraySlice<Int>, _ op: String) -> [ArraySlice<Int>] {
            var out: [ArraySlice<Int>] = []
            var depth = 0
            var start = r.startIndex
            for k in r.indices {
                let t = c[r[k]].text
                if t == "(" || t == "[" { depth += 1 } else if t == ")" || t == "]" { depth -= 1 } else if t == op && depth == 0 {
                    out.append(r[start..<k])
                    start = k + 1
                }
            }
            out.append(r[start..<r.endIndex])
            return out
        }
        func splitIndices(_ r: [Int]) -> [[Int]] {
            var out: [[Int]] = [[]]
            var depth = 0
            for k in r {
                let t = c[k].text
                if t == "(" || t == "[" { depth += 1 } else if t == ")" || t == "]" { depth -= 1 }
                if t == "," && depth == 0 { out.append([]) } else { out[out.count - 1].append(k) }
            }
            return r.isEmpty ? [] : out
        }
        let truth = expr(idx[...])
        return (truth, reqs, used)
    }

    /// The value of a mask argument, evaluated against the context enum.
    mutating func maskValue(_ tokens: [ClangToken]) -> Int64? {
        let text = tokenText(tokens)
        if let v = maskValues[text] { return v }
        guard !enumPrelude.isEmpty, let r = try? evaluateIntegerExpressions([text], prelude: enumPrelude), let v = r.values.first ?? nil else { return nil }
        maskValues[text] = v
        return v
    }
}

extension KernelSource {
    /// Adds a file read after the initial scan (to find a declaration elsewhere in the tree).
    func adopt(_ rel: String, _ st: SourceTokens, _ bytes: [UInt8]) {
        appendFile(rel, st, sources.add(SourceFile(path: root + "/" + rel, bytes: bytes)))
    }
}

// Generated Swift names: the one place that turns policy names into Swift identifiers.

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

    /// Names a generated type already has, per scope, that a policy name must not take: members
    /// the runtime's protocols give it (`Contexts.all`, `allCases`) and its type aliases.
    static let contextsMembers: Set<String> = ["all", "Policy", "RawValue", "Element", "ArrayLiteralElement"]
    static let enumMembers: Set<String> = ["allCases", "Policy", "RawValue", "AllCases"]

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
        masks = Self.scope(p.contexts.map(\.name) + p.groups.map(\.name),
                           taken: Self.contextsMembers.union(Self.enumMembers))
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

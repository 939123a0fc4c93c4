// What fuzzing checks on one input: the libFuzzer target (Sources/kfpolicy-fuzz/Main) and the
// seeded fuzz tests (Tests/KFPolicyTests/FuzzTests.swift) both run `FuzzOracle.check`. A broken
// property stops the process (precondition), which libFuzzer reports as a crash with the input.

import KFPolicy

public enum FuzzOracle {
    /// The names an input may include: itself (an include cycle), a small shared file, and
    /// anything else is missing.
    static func reader(_ input: [UInt8]) -> (String) throws(FileError) -> [UInt8] {
        { (p: String) throws(FileError) -> [UInt8] in
            switch p {
            case "fuzz.policy", "self.policy": return input
            case "shared.policy", "inc/shared.policy": return Array("/// Shared.\ncontext shared_ctx;\ngroup shared_grp = shared_ctx;\n".utf8)
            default: throw FileError(path: p, reason: "No such file or directory")
            }
        }
    }

    /// Errors that leave a damaged syntax tree (the formatter needs a whole one).
    static let syntaxIDs: Set<DiagID> = [.invalidCharacter, .unterminatedString, .unterminatedComment, .expectedToken,
                                         .unexpectedToken, .invalidUTF8, .nestingTooDeep]

    /// Runs every check on one input.
    public static func check(_ input: [UInt8]) {
        let c = Compilation.compile(path: "fuzz.policy", bytes: input, reader: reader(input))
        checkDiagnostics(c)
        let syntaxOK = !c.diagnostics.items.contains { $0.severity == .error && syntaxIDs.contains($0.id) }
        if syntaxOK, let root = c.rootSyntax { checkFormatter(root, original: c) }
        if !c.diagnostics.hasErrors { checkModel(c.policy) }
    }

    /// Every diagnostic has a location inside its file and renders, as text and JSON; no
    /// control character of the input reaches a terminal.
    static func checkDiagnostics(_ c: Compilation) {
        let r = DiagnosticRenderer(sources: c.sources, color: false)
        for d in c.diagnostics.items {
            for range in [d.range] + d.notes.map(\.range) where !range.isNone {
                let f = c.sources.file(range)!
                precondition(range.start >= 0 && range.start <= range.end && range.end <= f.text.count, "diagnostic range outside its file: \(d.message)")
            }
            let text = r.render(d)
            precondition(!text.utf8.contains(0x1B) && !text.utf8.contains(0), "a control character reached the rendered diagnostic")
        }
        _ = r.json(c.diagnostics.sorted)
    }

    /// Formatting a file without syntax errors gives text that parses without errors, formats
    /// to itself, and (for a policy without errors) means the same policy.
    static func checkFormatter(_ root: SyntaxFile, original: Compilation) {
        let once = Formatter.format(root)
        let (again, bag) = Parser.parse(SourceFile(path: "fuzz.policy", text: once), file: 0)
        let bad = bag.items.first { $0.severity == .error && syntaxIDs.contains($0.id) }
        precondition(bad == nil, "formatted text does not parse: \(bad?.message ?? "")\n\(once)")
        precondition(Formatter.format(again) == once, "the formatter is not idempotent:\n\(once)")
        guard !original.diagnostics.hasErrors else { return }
        let bytes = Array(once.utf8)
        let re = Compilation.compile(path: "fuzz.policy", bytes: bytes, reader: reader(bytes))
        precondition(!re.diagnostics.hasErrors, "the formatted policy has errors: \(re.diagnostics.items.first?.message ?? "")")
        precondition(summary(re.policy) == summary(original.policy), "formatting changed the policy:\n\(once)")
    }

    /// A policy without errors: its nesting graph is acyclic, the decision function agrees
    /// with its quick form, and both emitters run.
    static func checkModel(_ p: Policy) {
        precondition(p.nesting == .per_instance || NestingGraph(p).cycles().isEmpty, "a checked policy has a nesting cycle")
        for k in p.kfuncs.indices.prefix(64) {
            for cb in p.callbacks.indices.prefix(64) {
                precondition(p.decide(k, .callback(cb)).allowed == p.isAllowed(k, .callback(cb)), "decide and isAllowed disagree")
            }
            for t in ProgType.allCases {
                precondition(p.decide(k, .progType(t)).allowed == p.isAllowed(k, .progType(t)), "decide and isAllowed disagree")
            }
        }
        let header = CEmitter.header(p, sourceName: "fuzz.policy")
        precondition(header.hasSuffix("#endif /* \(CNamer(p).includeGuard) */\n"), "the header is cut short")
        _ = SwiftEmitter.source(p, sourceName: "fuzz.policy")
    }

    /// What a policy means, as comparable text.
    static func summary(_ p: Policy) -> String {
        var s = "\(p.name) \(p.structName) \(p.prefix)\n"
        s += p.contexts.map(\.name).joined(separator: ",") + "\n"
        s += p.groups.map { "\($0.name)=\($0.mask.bits)" }.joined(separator: ",") + "\n"
        s += p.callbacks.map { "\($0.name):\($0.contexts.bits):\($0.sleepable):\($0.config)" }.joined(separator: ",") + "\n"
        s += p.sets.map { "\($0.name):\($0.progTypes.map(\.rawValue)):\($0.external):\($0.config)" }.joined(separator: ",") + "\n"
        for k in p.kfuncs {
            s += "\(k.name) \(k.sets) \(k.flags.map(\.rawValue)) \(k.mask.bits) \(k.requires) \(k.invokes) \(k.invokesChild) "
            s += "\(k.impls.map { "\($0.callbacks)=\($0.symbol)" }) \(k.was) \(k.config)\n"
        }
        s += p.nests.map { "\($0.outer)->\($0.inner)" }.joined(separator: ",")
        return s
    }
}

// The diff's working state: the two sides, the renames found between them, the changes so far.

/// One side of a diff: its policy and where its declarations are.
struct DiffInput {
    let p: Policy
    let sources: SourceManager
    var label: String { sources.files.first?.path ?? "/dev/null" }
    init(_ c: Compilation) { p = c.policy; sources = c.sources }

    func loc(_ r: SourceRange, _ message: String) -> DiffLocation? {
        guard let pos = sources.position(r) else { return nil }
        return DiffLocation(path: pos.path, line: pos.line, column: pos.column, message: message)
    }
    func evidence(_ summary: String, _ locs: [(SourceRange, String)]) -> DiffEvidence {
        DiffEvidence(summary: summary, locations: locs.compactMap { loc($0.0, $0.1) })
    }
    func contextNames(_ m: ContextMask) -> [String] {
        m.indices.filter { $0 < p.contexts.count }.map { p.contexts[$0].name }
    }
    func callbackIndex(_ n: String) -> Int? { p.callback(named: n) }
    func kfuncIndex(_ n: String) -> Int? { p.kfunc(named: n) }
    func setIndex(_ n: String) -> Int? { p.sets.firstIndex { $0.name == n } }
    func contextIndex(_ n: String) -> Int? { p.contexts.firstIndex { $0.name == n } }
    /// Non-struct_ops program types, the callers besides callbacks.
    static let otherProgTypes = ProgType.allCases.filter { $0 != .struct_ops }

    func allowedProgTypes(_ k: Int) -> [ProgType] { DiffInput.otherProgTypes.filter { p.isAllowed(k, .progType($0)) } }
    func kfuncFacts(_ k: Int) -> [(SourceRange, String)] {
        let kf = p.kfuncs[k]
        var out: [(SourceRange, String)] = [(kf.range, "kfunc '\(kf.name)' is declared here")]
        out.append((kf.setsRange, "'\(kf.name)' is in \(kf.sets.map { p.sets[$0].name }.joined(separator: ", "))"))
        out.append((kf.maskRange, "'\(kf.name)' may be called in: \(p.describe(kf.mask))"))
        if !kf.requires.isEmpty {
            out.append((kf.requiresRange, "'\(kf.name)' requires \(kf.requires.joined(separator: ", "))"))
        }
        return out
    }
    func callbackFact(_ c: Int) -> (SourceRange, String) {
        let cb = p.callbacks[c]
        return (cb.maskRange, "ops.\(cb.name) runs in: \(p.describe(cb.contexts))\(cb.sleepable ? " (sleepable)" : "")")
    }
}

/// Builds the list of changes. Old names are translated to new names through `renames` before
/// anything is compared, so a rename shows once, as a rename.
struct Differ {
    let old: DiffInput
    let new: DiffInput
    var renames = Renames()
    var changes: [PolicyChange] = []

    init(old: DiffInput, new: DiffInput) { self.old = old; self.new = new }

    // MARK: - Names

    func ctx(_ n: String) -> String { renames.contexts[n] ?? n }
    func cb(_ n: String) -> String { renames.callbacks[n] ?? n }
    func kf(_ n: String) -> String { renames.kfuncs[n] ?? n }
    func set(_ n: String) -> String { renames.sets[n] ?? n }
    func grp(_ n: String) -> String { renames.groups[n] ?? n }
    func req(_ n: String) -> String { n == "sleepable" ? n : (renames.requirements[n] ?? n) }

    /// Context names of an old mask, in new names, sorted.
    func oldContexts(_ m: ContextMask) -> [String] { old.contextNames(m).map(ctx).sorted() }
    func newContexts(_ m: ContextMask) -> [String] { new.contextNames(m).sorted() }
    /// A mask's context names in the new policy's bit order (unknown names last).
    func describeNames(_ names: [String]) -> String {
        if names.isEmpty { return "none" }
        func bit(_ n: String) -> (Int, String) { (new.contextIndex(n) ?? Int.max, n) }
        return names.sorted { bit($0) < bit($1) }.joined(separator: " | ")
    }

    mutating func add(_ kind: PolicyChange.Kind, _ subject: String, _ summary: String,
                      old o: DiffEvidence?, new n: DiffEvidence?, key: String? = nil) {
        changes.append(PolicyChange(kind: kind, subject: subject, summary: summary, old: o, new: n,
                                    sortKey: key ?? subject))
    }

    mutating func compareAll() {
        comparePolicy()
        reportRenames()
        compareContexts()
        compareGroups()
        compareRequirements()
        compareSets()
        compareCallbacks()
        compareKfuncs()
        compareCalls()
        compareProgTypes()
        compareNesting()
    }

    /// Pairs of (old index, new index) for entities present on both sides.
    func commonCallbacks() -> [(Int, Int)] {
        old.p.callbacks.indices.compactMap { o in new.callbackIndex(cb(old.p.callbacks[o].name)).map { (o, $0) } }
    }
    func commonKfuncs() -> [(Int, Int)] {
        old.p.kfuncs.indices.compactMap { o in new.kfuncIndex(kf(old.p.kfuncs[o].name)).map { (o, $0) } }
    }
}

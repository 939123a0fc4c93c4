// The semantic diff: compares two checked policies (never their syntax) and says what a change
// lets BPF programs do that they could not before (widenings), what it stops them doing
// (narrowings), and what else changed. Reordering, reformatting and comments are invisible to it
// because the checked model does not hold them.

/// Which way a change moves what BPF programs may do.
public enum Impact: String, Sendable, CaseIterable, Comparable {
    /// BPF programs may do more than before.
    case widening
    /// BPF programs that load today may be refused.
    case narrowing
    /// Neither: docs, sets, implementations, renames, declarations with no effect on decisions.
    case other

    var rank: Int { Impact.allCases.firstIndex(of: self)! }
    public static func < (a: Impact, b: Impact) -> Bool { a.rank < b.rank }
}

/// A declaration on one side of a diff, resolved to a printable position.
public struct DiffLocation: Sendable, Hashable {
    public let path: String
    public let line: Int
    public let column: Int
    public let message: String
    /// `path:line:col`.
    public var position: String { "\(path):\(line):\(column)" }
}

/// What one side of a change says, and the declarations that say it.
public struct DiffEvidence: Sendable {
    public let summary: String
    public let locations: [DiffLocation]
}

/// One semantic change between two policies.
public struct PolicyChange: Sendable {
    /// The kinds of change. The raw value is a stable id printed in every format; the order of
    /// the cases is the order of the report inside each impact group.
    public enum Kind: String, Sendable, CaseIterable {
        // Widenings.
        case kfuncAdded = "kfunc-added"
        case callbackAdded = "callback-added"
        case progTypeAdded = "program-type-added"
        case contextGained = "callback-context-gained"
        case sleepableGained = "callback-sleepable-gained"
        case flagRemoved = "kfunc-flag-removed"
        case requirementDropped = "kfunc-requirement-dropped"
        case nestingEdgeAdded = "nesting-edge-added"
        /// Last of its group: the per-pair verdicts the facts above lead to.
        case callAllowed = "call-allowed"
        // Narrowings.
        case kfuncRemoved = "kfunc-removed"
        /// A kfunc's name changed: programs that call the old name no longer load (a narrowing),
        /// and the new name is callable (counted as a widening too).
        case kfuncRenamed = "kfunc-renamed"
        case callbackRemoved = "callback-removed"
        case progTypeRemoved = "program-type-removed"
        case contextLost = "callback-context-lost"
        case sleepableLost = "callback-sleepable-lost"
        case flagAdded = "kfunc-flag-added"
        case requirementAdded = "kfunc-requirement-added"
        case nestingEdgeRemoved = "nesting-edge-removed"
        case callDenied = "call-denied"
        // Other changes.
        case policyChanged = "policy-changed"
        case renamed = "renamed"
        case contextDeclared = "context-added"
        case contextUndeclared = "context-removed"
        case contextOrder = "context-order"
        case groupChanged = "group-changed"
        case requirementDeclChanged = "requirement-changed"
        case setChanged = "set-changed"
        case kfuncSetsChanged = "kfunc-sets-changed"
        case allowChanged = "kfunc-allow-changed"
        case flagChanged = "kfunc-flag-changed"
        case implChanged = "kfunc-impl-changed"
        case docChanged = "doc-changed"

        public var impact: Impact {
            switch self {
            case .kfuncAdded, .callbackAdded, .progTypeAdded, .callAllowed, .contextGained, .sleepableGained,
                 .flagRemoved, .requirementDropped, .nestingEdgeAdded:
                return .widening
            case .kfuncRemoved, .kfuncRenamed, .callbackRemoved, .progTypeRemoved, .callDenied, .contextLost,
                 .sleepableLost, .flagAdded, .requirementAdded, .nestingEdgeRemoved:
                return .narrowing
            default:
                return .other
            }
        }
        var rank: Int { Kind.allCases.firstIndex(of: self)! }
        /// Whether the change also counts as a widening (listed once, with its impact).
        public var alsoWidens: Bool { self == .kfuncRenamed }
    }

    public let kind: Kind
    /// The entity the change is about (a kfunc, callback, set, ... by its new name).
    public let subject: String
    /// One line saying what changed.
    public let summary: String
    /// The old side (nil when the thing did not exist there).
    public let old: DiffEvidence?
    /// The new side (nil when the thing no longer exists).
    public let new: DiffEvidence?
    /// Orders changes of one kind.
    let sortKey: String
    public var impact: Impact { kind.impact }
}

/// A permission-matrix cell (kfunc, caller) whose verdict changed.
public struct MatrixCellChange: Sendable, Hashable {
    /// The kfunc, by its new name (its old name when it was removed).
    public let kfunc: String
    /// `ops.NAME` for a callback, the program type's name otherwise.
    public let caller: String
    public let isCallback: Bool
    /// Allowed on the old side; nil when the kfunc or the callback did not exist there.
    public let old: Bool?
    /// Allowed on the new side; nil when the kfunc or the callback no longer exists.
    public let new: Bool?
}

/// A cell's verdict on each side: nil when the kfunc or the caller does not exist there.
public struct CellVerdict: Sendable, Hashable {
    public let old: Bool?
    public let new: Bool?
    public var changed: Bool { (old ?? false) != (new ?? false) }
}

/// The part of the permission matrix a diff touches: kfuncs (rows) and callers (columns) with
/// at least one changed cell, in declaration order (removed ones last).
public struct ChangedCells: Sendable {
    public let kfuncs: [String]
    public let callers: [String]
    /// verdicts[row][column]
    public let verdicts: [[CellVerdict]]
    let changes: [MatrixCellChange]
}

/// Old names mapped to new names, for declarations that were renamed and decide the same.
public struct Renames: Sendable, Equatable {
    public var contexts: [String: String] = [:]
    public var callbacks: [String: String] = [:]
    public var kfuncs: [String: String] = [:]
    public var sets: [String: String] = [:]
    public var groups: [String: String] = [:]
    public var requirements: [String: String] = [:]
    public init() {}
}

/// KF_ flags that restrict how a kfunc may be called or how its result must be used: removing
/// one lets programs do more (a widening), adding one may refuse programs that load today.
/// The remaining flags (iterators, fastcall, arena, implicit arguments) change the calling
/// protocol rather than restrict it and are reported as other changes.
public let restrictingFlags: [KFFlag: String] = [
    .KF_ACQUIRE: "the caller must release the returned reference",
    .KF_RELEASE: "the caller must pass a reference it owns, which the kfunc consumes",
    .KF_RET_NULL: "the caller must check the result for NULL",
    .KF_TRUSTED_ARGS: "pointer arguments must be trusted",
    .KF_SLEEPABLE: "callable only from sleepable programs",
    .KF_DESTRUCTIVE: "callable only with CAP_SYS_BOOT",
    .KF_RCU: "pointer arguments must be RCU-protected or trusted",
    .KF_RCU_PROTECTED: "callable only inside an RCU read-side section",
]

/// The result of comparing two checked policies.
public struct SemanticDiff: Sendable {
    /// The root files' paths as shown (e.g. `HEAD~1:Policies/scx.policy`), or `/dev/null`.
    public let oldLabel: String
    public let newLabel: String
    /// The policy's name (the new one, or the old one if the new side is absent).
    public let policyName: String
    /// Every change, grouped by impact, then by kind, then by subject.
    public let changes: [PolicyChange]
    /// Every permission-matrix cell whose verdict changed, by kfunc then caller.
    public let cells: [MatrixCellChange]
    /// The rows and columns of the permission matrix that hold a changed cell, with every
    /// verdict in them (changed or not), for rendering.
    public let changedCells: ChangedCells
    public let renames: Renames

    /// Widenings, including changes listed under another impact that also widen (a renamed kfunc).
    public var widenings: [PolicyChange] { changes.filter { $0.impact == .widening || $0.kind.alsoWidens } }
    public var narrowings: [PolicyChange] { changes.filter { $0.impact == .narrowing } }
    public var others: [PolicyChange] { changes.filter { $0.impact == .other } }
    public var hasWidenings: Bool { !widenings.isEmpty }
    public var hasNarrowings: Bool { changes.contains { $0.impact == .narrowing } }
    public var isEmpty: Bool { changes.isEmpty }

    /// Compares two successfully checked compilations. Each keeps its own SourceManager, so
    /// locations name the file and revision each side was read from.
    public static func compare(old: Compilation, new: Compilation) -> SemanticDiff {
        var d = Differ(old: DiffInput(old), new: DiffInput(new))
        d.detectRenames()
        d.compareAll()
        let sorted = d.changes.sorted {
            ($0.impact.rank, $0.kind.rank, $0.sortKey, $0.summary) < ($1.impact.rank, $1.kind.rank, $1.sortKey, $1.summary)
        }
        let grid = d.cellGrid()
        let cells = grid.changes.sorted {
            ($0.kfunc, $0.isCallback ? 0 : 1, $0.caller) < ($1.kfunc, $1.isCallback ? 0 : 1, $1.caller)
        }
        let name = new.policy.name.isEmpty ? old.policy.name : new.policy.name
        return SemanticDiff(oldLabel: DiffInput(old).label, newLabel: DiffInput(new).label, policyName: name,
                            changes: sorted, cells: cells, changedCells: grid, renames: d.renames)
    }
}

extension Compilation {
    /// A side that does not exist (a policy file added or deleted): no declarations at all.
    public static func absent() -> Compilation {
        Compilation(sources: SourceManager(), policy: Policy(), diagnostics: DiagnosticBag(), rootSyntax: nil)
    }

    /// The same compilation with every file's displayed path rewritten, e.g. to prefix a git
    /// revision. Ranges stay valid: files keep their indices.
    public func relabeled(_ label: (String) -> String) -> Compilation {
        let s = SourceManager()
        for f in sources.files { _ = s.add(SourceFile(path: label(f.path), bytes: f.text)) }
        var p = policy
        p.files = policy.files.map(label)
        return Compilation(sources: s, policy: p, diagnostics: diagnostics, rootSyntax: rootSyntax)
    }
}

/// One side of a diff: its policy and where its declarations are.
struct DiffInput {
    let p: Policy
    let sources: SourceManager
    var label: String { p.name.isEmpty && sources.files.isEmpty ? "/dev/null" : (sources.files.first?.path ?? "/dev/null") }
    init(_ c: Compilation) { p = c.policy; sources = c.sources }

    func loc(_ r: SourceRange, _ message: String) -> DiffLocation? {
        guard let pos = sources.position(r) else { return nil }
        return DiffLocation(path: pos.path, line: pos.line, column: pos.column, message: message)
    }
    func evidence(_ summary: String, _ locs: [(SourceRange, String)]) -> DiffEvidence {
        DiffEvidence(summary: summary, locations: locs.compactMap { loc($0.0, $0.1) })
    }
    func contextNames(_ m: ContextMask) -> [String] { m.indices.filter { $0 < p.contexts.count }.map { p.contexts[$0].name } }
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
        if !kf.requires.isEmpty { out.append((kf.requiresRange, "'\(kf.name)' requires \(kf.requires.joined(separator: ", "))")) }
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
        return names.sorted { (new.contextIndex($0) ?? Int.max, $0) < (new.contextIndex($1) ?? Int.max, $1) }.joined(separator: " | ")
    }

    mutating func add(_ kind: PolicyChange.Kind, _ subject: String, _ summary: String, old o: DiffEvidence?, new n: DiffEvidence?, key: String? = nil) {
        changes.append(PolicyChange(kind: kind, subject: subject, summary: summary, old: o, new: n, sortKey: key ?? subject))
    }

    // MARK: - Renames

    /// Pairs removed names with added names whose signature (what they decide) is equal.
    /// Several candidates are paired by closest spelling, then by name, so the result is stable.
    static func match(removed: [String], added: [String], oldSig: (String) -> String, newSig: (String) -> String) -> [String: String] {
        let os = Dictionary(uniqueKeysWithValues: removed.map { ($0, oldSig($0)) })
        let ns = Dictionary(uniqueKeysWithValues: added.map { ($0, newSig($0)) })
        var pairs: [(Int, String, String)] = []
        for r in removed { for a in added where os[r] == ns[a] { pairs.append((editDistance(r, a), r, a)) } }
        pairs.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        var out: [String: String] = [:], used = Set<String>()
        for (_, r, a) in pairs where out[r] == nil && !used.contains(a) { out[r] = a; used.insert(a) }
        return out
    }

    static func removedAdded(_ o: [String], _ n: [String], map: (String) -> String) -> ([String], [String]) {
        let nset = Set(n), mapped = Set(o.map(map))
        return (o.filter { !nset.contains(map($0)) }.sorted(), n.filter { !mapped.contains($0) }.sorted())
    }

    mutating func detectRenames() {
        let op = old.p, np = new.p
        // Contexts: which callbacks run in them, which kfuncs allow them, which groups hold them.
        do {
            func sig(_ d: DiffInput, _ i: Int) -> String {
                let m = ContextMask.bit(i)
                return [d.p.callbacks.filter { $0.contexts.meets(m) }.map(\.name).sorted().joined(separator: ","),
                        d.p.kfuncs.filter { $0.mask.meets(m) }.map(\.name).sorted().joined(separator: ","),
                        d.p.groups.filter { $0.mask.meets(m) }.map(\.name).sorted().joined(separator: ",")].joined(separator: ";")
            }
            let (r, a) = Differ.removedAdded(op.contexts.map(\.name), np.contexts.map(\.name)) { $0 }
            renames.contexts = Differ.match(removed: r, added: a,
                                            oldSig: { sig(old, old.contextIndex($0)!) }, newSig: { sig(new, new.contextIndex($0)!) })
        }
        // Callbacks: contexts, sleepable, and the verdict for every kfunc both sides declare.
        do {
            let common = Set(op.kfuncs.map(\.name)).intersection(np.kfuncs.map(\.name)).sorted()
            func sig(_ d: DiffInput, _ c: Int, _ ctxs: [String]) -> String {
                let allowed = common.filter { d.p.isAllowed(d.kfuncIndex($0)!, .callback(c)) }
                return ctxs.joined(separator: ",") + ";" + (d.p.callbacks[c].sleepable ? "s" : "") + ";" + allowed.joined(separator: ",")
            }
            let (r, a) = Differ.removedAdded(op.callbacks.map(\.name), np.callbacks.map(\.name)) { $0 }
            renames.callbacks = Differ.match(removed: r, added: a,
                oldSig: { let c = old.callbackIndex($0)!; return sig(old, c, oldContexts(op.callbacks[c].contexts)) },
                newSig: { let c = new.callbackIndex($0)!; return sig(new, c, newContexts(np.callbacks[c].contexts)) })
        }
        // Kfuncs: the verdict for every callback both sides declare and every program type.
        do {
            let common = Set(op.callbacks.map { cb($0.name) }).intersection(np.callbacks.map(\.name))
            func sig(_ d: DiffInput, _ k: Int, _ name: (String) -> String) -> String {
                let cbs = d.p.allowedCallbacks(of: k).map { name(d.p.callbacks[$0].name) }.filter { common.contains($0) }.sorted()
                return cbs.joined(separator: ",") + ";" + d.allowedProgTypes(k).map(\.rawValue).joined(separator: ",")
            }
            // Renames the new side declares (`was OLD`) first, then those that decide the same.
            // (Either side may say it: a diff read backwards sees the rename backwards.)
            var declared: [String: String] = [:]
            for k in np.kfuncs where op.kfunc(named: k.name) == nil {
                for o in k.was where op.kfunc(named: o) != nil && np.kfunc(named: o) == nil && declared[o] == nil { declared[o] = k.name }
            }
            for k in op.kfuncs where np.kfunc(named: k.name) == nil && declared[k.name] == nil {
                if let n = k.was.first(where: { np.kfunc(named: $0) != nil && op.kfunc(named: $0) == nil && !declared.values.contains($0) }) {
                    declared[k.name] = n
                }
            }
            let (r, a) = Differ.removedAdded(op.kfuncs.map(\.name), np.kfuncs.map(\.name)) { $0 }
            let found = Differ.match(removed: r.filter { declared[$0] == nil }, added: a.filter { !declared.values.contains($0) },
                                     oldSig: { sig(old, old.kfuncIndex($0)!, cb) }, newSig: { sig(new, new.kfuncIndex($0)!, { $0 }) })
            renames.kfuncs = declared.merging(found) { d, _ in d }
        }
        // Sets: program types and members.
        do {
            func sig(_ s: KfuncSet, _ members: [String]) -> String {
                s.progTypes.sorted().map(\.rawValue).joined(separator: ",") + ";" + members.sorted().joined(separator: ",")
            }
            func members(_ d: DiffInput, _ i: Int) -> [String] { d.p.kfuncs.filter { $0.sets.contains(i) }.map(\.name) }
            let (r, a) = Differ.removedAdded(op.sets.map(\.name), np.sets.map(\.name)) { $0 }
            renames.sets = Differ.match(removed: r, added: a,
                oldSig: { let i = old.setIndex($0)!; return sig(op.sets[i], members(old, i).map(kf)) },
                newSig: { let i = new.setIndex($0)!; return sig(np.sets[i], members(new, i)) })
        }
        // Groups: their mask. Requirements: the kfuncs that carry them.
        do {
            let (r, a) = Differ.removedAdded(op.groups.map(\.name), np.groups.map(\.name)) { $0 }
            renames.groups = Differ.match(removed: r, added: a,
                oldSig: { n in oldContexts(op.groups.first { $0.name == n }!.mask).joined(separator: ",") },
                newSig: { n in newContexts(np.groups.first { $0.name == n }!.mask).joined(separator: ",") })
        }
        do {
            let (r, a) = Differ.removedAdded(op.requirements.map(\.name), np.requirements.map(\.name)) { $0 }
            renames.requirements = Differ.match(removed: r, added: a,
                oldSig: { n in op.kfuncs.filter { $0.requires.contains(n) }.map { kf($0.name) }.sorted().joined(separator: ",") },
                newSig: { n in np.kfuncs.filter { $0.requires.contains(n) }.map(\.name).sorted().joined(separator: ",") })
        }
    }

    // MARK: - Comparison

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

    mutating func comparePolicy() {
        let o = old.p, n = new.p
        func ev(_ d: DiffInput, _ s: String) -> DiffEvidence { d.evidence(s, [(d.p.range, "policy '\(d.p.name)' for struct \(d.p.structName)")]) }
        if o.name.isEmpty && !n.name.isEmpty {
            add(.policyChanged, n.name, "policy '\(n.name)' for struct \(n.structName) is new", old: nil, new: ev(new, "policy \(n.name) for struct \(n.structName)"))
            return
        }
        if n.name.isEmpty && !o.name.isEmpty {
            add(.policyChanged, o.name, "policy '\(o.name)' for struct \(o.structName) is removed", old: ev(old, "policy \(o.name) for struct \(o.structName)"), new: nil)
            return
        }
        if o.name != n.name {
            add(.policyChanged, n.name, "policy renamed from '\(o.name)' to '\(n.name)'", old: ev(old, o.name), new: ev(new, n.name))
        }
        if o.structName != n.structName {
            add(.policyChanged, n.name, "struct changed from \(o.structName) to \(n.structName): every callback now belongs to another interface",
                old: ev(old, "struct \(o.structName)"), new: ev(new, "struct \(n.structName)"))
        }
        if o.prefix != n.prefix {
            add(.policyChanged, n.name, "prefix of generated names changed from '\(o.prefix)' to '\(n.prefix)'",
                old: ev(old, "prefix \(o.prefix)"), new: ev(new, "prefix \(n.prefix)"))
        }
        compareDoc("policy", n.name, o.doc, o.range, n.doc, n.range)
    }

    /// `name` is the new name; `oldName` the old one when it was renamed.
    mutating func compareDoc(_ what: String, _ name: String, _ od: String?, _ or: SourceRange, _ nd: String?, _ nr: SourceRange, oldName: String? = nil) {
        guard od != nd else { return }
        func q(_ d: String?) -> String { d.map { "\"" + $0.replacingAll("\n", with: " ") + "\"" } ?? "no doc comment" }
        add(.docChanged, "\(what) \(name)", "doc comment of \(what) '\(name)' changed",
            old: old.evidence(q(od), [(or, "\(what) '\(oldName ?? name)'")]), new: new.evidence(q(nd), [(nr, "\(what) '\(name)'")]),
            key: "\(name) \(what)")
    }

    mutating func reportRenames() {
        func one(_ what: String, _ map: [String: String], _ oldRange: (String) -> SourceRange, _ newRange: (String) -> SourceRange) {
            for (o, n) in map.sorted(by: { $0.key < $1.key }) {
                add(.renamed, n, "\(what) '\(o)' renamed to '\(n)' (it decides the same)",
                    old: old.evidence("\(what) \(o)", [(oldRange(o), "\(what) '\(o)'")]),
                    new: new.evidence("\(what) \(n)", [(newRange(n), "\(what) '\(n)'")]), key: "\(n) \(what)")
            }
        }
        // A kfunc's name is what BPF programs call: a renamed kfunc breaks those that call the old one.
        for (o, n) in renames.kfuncs.sorted(by: { $0.key < $1.key }) {
            let ok = old.p.kfuncs[old.p.kfunc(named: o)!], nk = new.p.kfuncs[new.p.kfunc(named: n)!]
            var oldLocs: [(SourceRange, String)] = [(ok.range, "kfunc '\(o)'")]
            var newLocs: [(SourceRange, String)] = [(nk.range, "kfunc '\(n)'")]
            if nk.was.contains(o) { newLocs.append((nk.wasRange, "'\(n)' was '\(o)'")) }
            if ok.was.contains(n) { oldLocs.append((ok.wasRange, "'\(o)' was '\(n)'")) }
            add(.kfuncRenamed, n, "kfunc '\(o)' renamed to '\(n)': programs that call '\(o)' no longer load",
                old: old.evidence("kfunc \(o)", oldLocs), new: new.evidence("kfunc \(n)", newLocs), key: n)
        }
        let op = old.p, np = new.p
        one("context", renames.contexts, { n in op.contexts.first { $0.name == n }!.range }, { n in np.contexts.first { $0.name == n }!.range })
        one("group", renames.groups, { n in op.groups.first { $0.name == n }!.range }, { n in np.groups.first { $0.name == n }!.range })
        one("callback", renames.callbacks, { op.callbacks[op.callback(named: $0)!].range }, { np.callbacks[np.callback(named: $0)!].range })
        one("requirement", renames.requirements, { n in op.requirements.first { $0.name == n }!.range }, { n in np.requirements.first { $0.name == n }!.range })
        one("set", renames.sets, { n in op.sets.first { $0.name == n }!.range }, { n in np.sets.first { $0.name == n }!.range })
    }

    mutating func compareContexts() {
        let op = old.p, np = new.p
        let oldNames = op.contexts.map { ctx($0.name) }
        let newNames = np.contexts.map(\.name)
        for (i, c) in np.contexts.enumerated() where !oldNames.contains(c.name) {
            add(.contextDeclared, c.name, "context '\(c.name)' is declared (bit \(i))", old: nil,
                new: new.evidence("context \(c.name)", [(c.range, "context '\(c.name)'")]))
        }
        for c in op.contexts where !newNames.contains(ctx(c.name)) {
            add(.contextUndeclared, c.name, "context '\(c.name)' is no longer declared", old: old.evidence("context \(c.name)", [(c.range, "context '\(c.name)'")]), new: nil)
        }
        // Context order is bit order, and the order in which nested contexts may be entered.
        let commonOld = oldNames.filter { newNames.contains($0) }
        let commonNew = newNames.filter { oldNames.contains($0) }
        if commonOld != commonNew {
            add(.contextOrder, "contexts", "context order (bit order, the order nested contexts may be entered) changed: \(commonOld.joined(separator: ", ")) -> \(commonNew.joined(separator: ", "))",
                old: old.evidence(op.contexts.map(\.name).joined(separator: ", "), op.contexts.prefix(1).map { ($0.range, "first context") }),
                new: new.evidence(np.contexts.map(\.name).joined(separator: ", "), np.contexts.prefix(1).map { ($0.range, "first context") }))
        }
        for c in np.contexts {
            guard let oc = op.contexts.first(where: { ctx($0.name) == c.name }) else { continue }
            compareDoc("context", c.name, oc.doc, oc.range, c.doc, c.range, oldName: oc.name)
        }
    }

    mutating func compareGroups() {
        let op = old.p, np = new.p
        for g in np.groups {
            guard let og = op.groups.first(where: { grp($0.name) == g.name }) else {
                add(.groupChanged, g.name, "group '\(g.name)' is declared: \(describeNames(newContexts(g.mask)))", old: nil,
                    new: new.evidence("group \(g.name) = \(np.describe(g.mask))", [(g.range, "group '\(g.name)'")]))
                continue
            }
            let a = oldContexts(og.mask), b = newContexts(g.mask)
            if a != b {
                add(.groupChanged, g.name, "group '\(g.name)' changed from \(describeNames(a)) to \(describeNames(b))",
                    old: old.evidence("group \(og.name) = \(op.describe(og.mask))", [(og.range, "group '\(og.name)'")]),
                    new: new.evidence("group \(g.name) = \(np.describe(g.mask))", [(g.range, "group '\(g.name)'")]))
            }
            compareDoc("group", g.name, og.doc, og.range, g.doc, g.range, oldName: og.name)
        }
        for g in op.groups where !np.groups.contains(where: { $0.name == grp(g.name) }) {
            add(.groupChanged, g.name, "group '\(g.name)' is removed",
                old: old.evidence("group \(g.name) = \(op.describe(g.mask))", [(g.range, "group '\(g.name)'")]), new: nil)
        }
    }

    mutating func compareRequirements() {
        let op = old.p, np = new.p
        for r in np.requirements {
            guard let orq = op.requirements.first(where: { req($0.name) == r.name }) else {
                add(.requirementDeclChanged, r.name, "requirement '\(r.name)' is declared", old: nil,
                    new: new.evidence("requirement \(r.name)", [(r.range, "requirement '\(r.name)'")]))
                continue
            }
            compareDoc("requirement", r.name, orq.doc, orq.range, r.doc, r.range, oldName: orq.name)
        }
        for r in op.requirements where !np.requirements.contains(where: { $0.name == req(r.name) }) {
            add(.requirementDeclChanged, r.name, "requirement '\(r.name)' is removed",
                old: old.evidence("requirement \(r.name)", [(r.range, "requirement '\(r.name)'")]), new: nil)
        }
    }

    mutating func compareSets() {
        let op = old.p, np = new.p
        func types(_ s: KfuncSet) -> String { s.progTypes.sorted().map(\.rawValue).joined(separator: ", ") }
        for s in np.sets {
            guard let os = op.sets.first(where: { set($0.name) == s.name }) else {
                add(.setChanged, s.name, "set '\(s.name)' is declared, registered for \(types(s))", old: nil,
                    new: new.evidence("set \(s.name): \(types(s))", [(s.range, "set '\(s.name)'")]))
                continue
            }
            if Set(os.progTypes) != Set(s.progTypes) {
                add(.setChanged, s.name, "set '\(s.name)' is registered for \(types(s)) (was \(types(os)))",
                    old: old.evidence("set \(os.name): \(types(os))", [(os.range, "set '\(os.name)'")]),
                    new: new.evidence("set \(s.name): \(types(s))", [(s.range, "set '\(s.name)'")]))
            }
            compareDoc("set", s.name, os.doc, os.range, s.doc, s.range, oldName: os.name)
        }
        for s in op.sets where !np.sets.contains(where: { $0.name == set(s.name) }) {
            add(.setChanged, s.name, "set '\(s.name)' is removed",
                old: old.evidence("set \(s.name): \(types(s))", [(s.range, "set '\(s.name)'")]), new: nil)
        }
    }

    /// Pairs of (old index, new index) for entities present on both sides.
    func commonCallbacks() -> [(Int, Int)] {
        old.p.callbacks.indices.compactMap { o in new.callbackIndex(cb(old.p.callbacks[o].name)).map { (o, $0) } }
    }
    func commonKfuncs() -> [(Int, Int)] {
        old.p.kfuncs.indices.compactMap { o in new.kfuncIndex(kf(old.p.kfuncs[o].name)).map { (o, $0) } }
    }

    mutating func compareCallbacks() {
        let op = old.p, np = new.p
        let mapped = Set(op.callbacks.map { cb($0.name) })
        for (c, x) in np.callbacks.enumerated() where !mapped.contains(x.name) {
            let may = np.kfuncs.indices.filter { np.isAllowed($0, .callback(c)) }.map { np.kfuncs[$0].name }
            add(.callbackAdded, x.name, "callback ops.\(x.name) is new; it may call \(may.isEmpty ? "no kfunc" : "\(may.count) kfunc\(may.count == 1 ? "" : "s")")",
                old: nil, new: new.evidence("ops.\(x.name) may call: \(may.isEmpty ? "nothing" : may.joined(separator: ", "))",
                                            [(x.range, "callback '\(x.name)'"), new.callbackFact(c)]))
        }
        for (c, x) in op.callbacks.enumerated() where new.callbackIndex(cb(x.name)) == nil {
            let may = op.kfuncs.indices.filter { op.isAllowed($0, .callback(c)) }.map { op.kfuncs[$0].name }
            add(.callbackRemoved, x.name, "callback ops.\(x.name) is removed; programs for it no longer load (it could call \(may.count) kfunc\(may.count == 1 ? "" : "s"))",
                old: old.evidence("ops.\(x.name) may call: \(may.isEmpty ? "nothing" : may.joined(separator: ", "))",
                                  [(x.range, "callback '\(x.name)'"), old.callbackFact(c)]), new: nil)
        }
        for (o, n) in commonCallbacks() {
            let ocb = op.callbacks[o], ncb = np.callbacks[n]
            let a = Set(oldContexts(ocb.contexts)), b = Set(newContexts(ncb.contexts))
            let oe = old.evidence("ops.\(ocb.name) runs in: \(op.describe(ocb.contexts))\(ocb.sleepable ? " (sleepable)" : "")", [old.callbackFact(o)])
            let ne = new.evidence("ops.\(ncb.name) runs in: \(np.describe(ncb.contexts))\(ncb.sleepable ? " (sleepable)" : "")", [new.callbackFact(n)])
            let gained = b.subtracting(a), lost = a.subtracting(b)
            if !gained.isEmpty {
                add(.contextGained, ncb.name, "ops.\(ncb.name) now also runs in: \(describeNames(Array(gained)))", old: oe, new: ne)
            }
            if !lost.isEmpty {
                add(.contextLost, ncb.name, "ops.\(ncb.name) no longer runs in: \(describeNames(Array(lost)))", old: oe, new: ne)
            }
            if ncb.sleepable && !ocb.sleepable {
                add(.sleepableGained, ncb.name, "ops.\(ncb.name) may now be a sleepable program", old: oe, new: ne)
            } else if ocb.sleepable && !ncb.sleepable {
                add(.sleepableLost, ncb.name, "ops.\(ncb.name) may no longer be a sleepable program", old: oe, new: ne)
            }
            compareDoc("callback", ncb.name, ocb.doc, ocb.range, ncb.doc, ncb.range, oldName: ocb.name)
        }
    }

    mutating func compareKfuncs() {
        let op = old.p, np = new.p
        let mapped = Set(op.kfuncs.map { kf($0.name) })
        func where_(_ d: DiffInput, _ k: Int) -> String {
            let cbs = d.p.allowedCallbacks(of: k).map { "ops." + d.p.callbacks[$0].name }
            let types = d.allowedProgTypes(k).map(\.rawValue)
            var s = cbs.isEmpty ? "no callback" : cbs.joined(separator: ", ")
            if !types.isEmpty { s += "; program types: " + types.joined(separator: ", ") }
            return s
        }
        for (k, x) in np.kfuncs.enumerated() where !mapped.contains(x.name) {
            add(.kfuncAdded, x.name, "kfunc '\(x.name)' is new", old: nil,
                new: new.evidence("allowed in: " + where_(new, k), new.kfuncFacts(k)))
        }
        for (k, x) in op.kfuncs.enumerated() where new.kfuncIndex(kf(x.name)) == nil {
            add(.kfuncRemoved, x.name, "kfunc '\(x.name)' is removed; programs that call it no longer load",
                old: old.evidence("allowed in: " + where_(old, k), old.kfuncFacts(k)), new: nil)
        }
        for (o, n) in commonKfuncs() {
            let ok = op.kfuncs[o], nk = np.kfuncs[n]
            let name = nk.name
            // Flags.
            let of = Set(ok.flags), nf = Set(nk.flags)
            func flagsText(_ f: [KFFlag]) -> String { f.isEmpty ? "none" : f.map(\.rawValue).joined(separator: " | ") }
            let oe = old.evidence("flags \(flagsText(ok.flags))", [(ok.flagsRange, "'\(ok.name)' has flags \(flagsText(ok.flags))")])
            let ne = new.evidence("flags \(flagsText(nk.flags))", [(nk.flagsRange, "'\(nk.name)' has flags \(flagsText(nk.flags))")])
            for f in of.subtracting(nf).sorted() {
                if let why = restrictingFlags[f] {
                    add(.flagRemoved, name, "'\(name)' no longer has \(f.rawValue) (\(why))", old: oe, new: ne, key: "\(name) \(f.rawValue)")
                } else {
                    add(.flagChanged, name, "'\(name)' no longer has \(f.rawValue)", old: oe, new: ne, key: "\(name) \(f.rawValue)")
                }
            }
            for f in nf.subtracting(of).sorted() {
                if let why = restrictingFlags[f] {
                    add(.flagAdded, name, "'\(name)' now has \(f.rawValue) (\(why))", old: oe, new: ne, key: "\(name) \(f.rawValue)")
                } else {
                    add(.flagChanged, name, "'\(name)' now has \(f.rawValue)", old: oe, new: ne, key: "\(name) \(f.rawValue)")
                }
            }
            // Requirements.
            let orq = Set(ok.requires.map(req)), nrq = Set(nk.requires)
            let ore = old.evidence(ok.requires.isEmpty ? "no requirement" : "requires \(ok.requires.joined(separator: ", "))",
                                   [(ok.requiresRange, ok.requires.isEmpty ? "'\(ok.name)' has no 'requires'" : "'\(ok.name)' requires \(ok.requires.joined(separator: ", "))")])
            let nre = new.evidence(nk.requires.isEmpty ? "no requirement" : "requires \(nk.requires.joined(separator: ", "))",
                                   [(nk.requiresRange, nk.requires.isEmpty ? "'\(nk.name)' has no 'requires'" : "'\(nk.name)' requires \(nk.requires.joined(separator: ", "))")])
            for r in orq.subtracting(nrq).sorted() {
                add(.requirementDropped, name, "'\(name)' no longer requires \(r)", old: ore, new: nre, key: "\(name) \(r)")
            }
            for r in nrq.subtracting(orq).sorted() {
                add(.requirementAdded, name, "'\(name)' now requires \(r)", old: ore, new: nre, key: "\(name) \(r)")
            }
            // Allow mask, as names.
            let a = oldContexts(ok.mask), b = newContexts(nk.mask)
            if a != b {
                add(.allowChanged, name, "'\(name)' may be called in: \(describeNames(b)) (was \(describeNames(a)))",
                    old: old.evidence("allow \(op.describe(ok.mask))", [(ok.maskRange, "'\(ok.name)' may be called in: \(op.describe(ok.mask))")]),
                    new: new.evidence("allow \(np.describe(nk.mask))", [(nk.maskRange, "'\(nk.name)' may be called in: \(np.describe(nk.mask))")]))
            }
            // Set membership.
            let os = ok.sets.map { set(op.sets[$0].name) }.sorted(), ns = nk.sets.map { np.sets[$0].name }.sorted()
            if os != ns {
                add(.kfuncSetsChanged, name, "'\(name)' is in \(ns.joined(separator: ", ")) (was \(os.joined(separator: ", ")))",
                    old: old.evidence("in \(ok.sets.map { op.sets[$0].name }.joined(separator: ", "))", [(ok.setsRange, "'\(ok.name)' is in its sets here")]),
                    new: new.evidence("in \(nk.sets.map { np.sets[$0].name }.joined(separator: ", "))", [(nk.setsRange, "'\(nk.name)' is in its sets here")]))
            }
            // Implementations, per callback.
            var oi: [String: (String, SourceRange)] = [:], ni: [String: (String, SourceRange)] = [:]
            for i in ok.impls { for c in i.callbacks { oi[cb(op.callbacks[c].name)] = (i.symbol, i.range) } }
            for i in nk.impls { for c in i.callbacks { ni[np.callbacks[c].name] = (i.symbol, i.range) } }
            for c in Set(oi.keys).union(ni.keys).sorted() {
                let a = oi[c]?.0 ?? ok.name, b = ni[c]?.0 ?? nk.name
                if a == b || (oi[c] == nil && ni[c] == nil) { continue }
                add(.implChanged, name, "in ops.\(c), '\(name)' is implemented by '\(b)' (was '\(a)')",
                    old: old.evidence("implemented by \(a)", [(oi[c]?.1 ?? ok.range, "in ops.\(c): '\(a)'")]),
                    new: new.evidence("implemented by \(b)", [(ni[c]?.1 ?? nk.range, "in ops.\(c): '\(b)'")]), key: "\(name) \(c)")
            }
            compareDoc("kfunc", name, ok.doc, ok.range, nk.doc, nk.range, oldName: ok.name)
        }
    }

    static func decisionEvidence(_ d: DiffInput, _ x: Decision) -> DiffEvidence {
        d.evidence((x.allowed ? "allowed: " : "denied: ") + x.summary, x.reasons.map { ($0.range, $0.message) })
    }

    mutating func compareCalls() {
        let kfs = commonKfuncs(), cbs = commonCallbacks()
        for (ok, nk) in kfs {
            let name = new.p.kfuncs[nk].name
            for (oc, nc) in cbs {
                let a = old.p.isAllowed(ok, .callback(oc)), b = new.p.isAllowed(nk, .callback(nc))
                guard a != b else { continue }
                let cbn = new.p.callbacks[nc].name
                add(b ? .callAllowed : .callDenied, name, "'\(name)' is now \(b ? "allowed" : "denied") in ops.\(cbn)",
                    old: Differ.decisionEvidence(old, old.p.decide(ok, .callback(oc))),
                    new: Differ.decisionEvidence(new, new.p.decide(nk, .callback(nc))), key: "\(name) 0 \(cbn)")
            }
            for t in DiffInput.otherProgTypes {
                let a = old.p.isAllowed(ok, .progType(t)), b = new.p.isAllowed(nk, .progType(t))
                guard a != b else { continue }
                add(b ? .callAllowed : .callDenied, name, "'\(name)' is now \(b ? "allowed" : "denied") in \(t.rawValue) programs",
                    old: Differ.decisionEvidence(old, old.p.decide(ok, .progType(t))),
                    new: Differ.decisionEvidence(new, new.p.decide(nk, .progType(t))), key: "\(name) 1 \(t.rawValue)")
            }
        }
    }

    /// A program type is added when some kfunc of the policy becomes callable from it where none was.
    mutating func compareProgTypes() {
        func callable(_ d: DiffInput, _ t: ProgType) -> [Int] { d.p.kfuncs.indices.filter { d.p.isAllowed($0, .progType(t)) } }
        func ev(_ d: DiffInput, _ t: ProgType, _ ks: [Int]) -> DiffEvidence {
            let sets = d.p.sets.filter { $0.progTypes.contains(t) }
            return d.evidence("\(t.rawValue) programs may call: \(ks.map { d.p.kfuncs[$0].name }.joined(separator: ", "))",
                              sets.map { ($0.range, "set '\($0.name)' is registered for \(t.rawValue)") })
        }
        for t in DiffInput.otherProgTypes {
            let a = callable(old, t), b = callable(new, t)
            if a.isEmpty && !b.isEmpty {
                add(.progTypeAdded, t.rawValue, "\(t.rawValue) programs may now call \(b.count) kfunc\(b.count == 1 ? "" : "s") of this policy", old: nil, new: ev(new, t, b))
            } else if !a.isEmpty && b.isEmpty {
                add(.progTypeRemoved, t.rawValue, "\(t.rawValue) programs may no longer call any kfunc of this policy", old: ev(old, t, a), new: nil)
            }
        }
    }

    /// `invokes` and `nest` edges by name. The graph's callback -> kfunc edges are call
    /// verdicts and are reported as such.
    mutating func compareNesting() {
        struct E: Hashable { let from: String; let to: String; let kind: String }
        func edges(_ d: DiffInput, _ kfName: (String) -> String, _ cbName: (String) -> String) -> [E: (SourceRange, String)] {
            var out: [E: (SourceRange, String)] = [:]
            for k in d.p.kfuncs {
                for c in k.invokes {
                    out[E(from: kfName(k.name), to: "ops." + cbName(d.p.callbacks[c].name), kind: "invokes")] =
                        (k.invokesRange, "'\(k.name)' invokes ops.\(d.p.callbacks[c].name)")
                }
            }
            for n in d.p.nests {
                out[E(from: "ops." + cbName(d.p.callbacks[n.outer].name), to: "ops." + cbName(d.p.callbacks[n.inner].name), kind: "nest")] =
                    (n.range, "the kernel runs ops.\(d.p.callbacks[n.inner].name) inside ops.\(d.p.callbacks[n.outer].name)")
            }
            return out
        }
        let a = edges(old, kf, cb), b = edges(new, { $0 }, { $0 })
        func text(_ e: E) -> String { e.kind == "invokes" ? "'\(e.from)' invokes \(e.to)" : "\(e.to) runs nested inside \(e.from)" }
        for (e, r) in b where a[e] == nil {
            add(.nestingEdgeAdded, e.from, "new nesting edge: \(text(e))", old: nil, new: new.evidence(text(e), [r]), key: "\(e.from) \(e.to)")
        }
        for (e, r) in a where b[e] == nil {
            add(.nestingEdgeRemoved, e.from, "nesting edge removed: \(text(e))", old: old.evidence(text(e), [r]), new: nil, key: "\(e.from) \(e.to)")
        }
    }

    // MARK: - Matrix cells

    /// The verdict of every (kfunc, caller) pair on both sides, by new names (removed ones keep
    /// their old name): kfuncs and callers in new declaration order, removed ones after.
    func cellGrid() -> ChangedCells {
        let op = old.p, np = new.p
        var kfs: [(name: String, o: Int?, n: Int?)] = np.kfuncs.indices.map { (np.kfuncs[$0].name, nil, $0) }
        for (i, k) in op.kfuncs.enumerated() {
            if let j = kfs.firstIndex(where: { $0.name == kf(k.name) }) { kfs[j].o = i } else { kfs.append((k.name, i, nil)) }
        }
        var cbs: [(name: String, o: Int?, n: Int?)] = np.callbacks.indices.map { (np.callbacks[$0].name, nil, $0) }
        for (i, c) in op.callbacks.enumerated() {
            if let j = cbs.firstIndex(where: { $0.name == cb(c.name) }) { cbs[j].o = i } else { cbs.append((c.name, i, nil)) }
        }
        var columns: [(caller: String, isCallback: Bool, verdict: (Int?, Int?) -> (Bool?, Bool?))] = []
        for c in cbs {
            columns.append(("ops." + c.name, true, { ok, nk in
                (ok != nil && c.o != nil ? op.isAllowed(ok!, .callback(c.o!)) : nil,
                 nk != nil && c.n != nil ? np.isAllowed(nk!, .callback(c.n!)) : nil)
            }))
        }
        for t in DiffInput.otherProgTypes {
            columns.append((t.rawValue, false, { ok, nk in (ok.map { op.isAllowed($0, .progType(t)) }, nk.map { np.isAllowed($0, .progType(t)) }) }))
        }
        var all: [[(Bool?, Bool?)]] = []
        for k in kfs { all.append(columns.map { $0.verdict(k.o, k.n) }) }
        func changed(_ v: (Bool?, Bool?)) -> Bool { (v.0 ?? false) != (v.1 ?? false) }
        let rows = kfs.indices.filter { r in all[r].contains(where: changed) }
        let cols = columns.indices.filter { c in all.contains { changed($0[c]) } }
        var cells: [MatrixCellChange] = []
        for r in rows {
            for c in cols where changed(all[r][c]) {
                cells.append(MatrixCellChange(kfunc: kfs[r].name, caller: columns[c].caller, isCallback: columns[c].isCallback,
                                              old: all[r][c].0, new: all[r][c].1))
            }
        }
        return ChangedCells(kfuncs: rows.map { kfs[$0].name }, callers: cols.map { columns[$0].caller },
                            verdicts: rows.map { r in cols.map { c in CellVerdict(old: all[r][c].0, new: all[r][c].1) } },
                            changes: cells)
    }
}

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
        func order(_ c: PolicyChange) -> (Int, Int, String, String) {
            (c.impact.rank, c.kind.rank, c.sortKey, c.summary)
        }
        let sorted = d.changes.sorted { order($0) < order($1) }
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

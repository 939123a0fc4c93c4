// The permission matrix: for every kfunc (rows, grouped by set) and every caller (columns:
// callbacks grouped by the contexts they run in, then other program types), the verdict of
// `Policy.isAllowed`, optionally next to an older policy's verdict.

public struct PermissionMatrix: Sendable {
    public struct Column: Sendable {
        /// `ops.NAME` for a callback, the program type's name otherwise.
        public let caller: String
        /// The callback's or program type's name.
        public let name: String
        public let isCallback: Bool
        public let sleepable: Bool
        /// Only in the old policy (compared matrices).
        public let removed: Bool
        /// Only in the new policy (compared matrices).
        public let added: Bool
    }
    public struct ColumnGroup: Sendable {
        /// The contexts its callbacks run in, or "program types".
        public let label: String
        public let columns: [Column]
    }
    public struct Row: Sendable {
        public let kfunc: String
        /// Further sets it is in, besides the one it is grouped under.
        public let alsoIn: [String]
        public let removed: Bool
        public let added: Bool
    }
    public struct RowGroup: Sendable {
        /// The set's name.
        public let label: String
        /// The program types it is registered for.
        public let progTypes: String
        public let rows: [Row]
    }

    public let policyName: String
    public let structName: String
    public let columnGroups: [ColumnGroup]
    public let rowGroups: [RowGroup]
    /// verdicts[row][column], rows and columns flattened in group order.
    public let verdicts: [[CellVerdict]]
    /// True when built against an older policy.
    public let compared: Bool
    /// What the old side was, for titles.
    public let oldLabel: String?

    public var columns: [Column] { columnGroups.flatMap(\.columns) }
    public var rows: [Row] { rowGroups.flatMap(\.rows) }
    public var changedCount: Int { verdicts.reduce(0) { $0 + $1.filter(\.changed).count } }

    /// The matrix of one policy.
    public init(_ p: Policy) { self.init(new: p, old: nil, renames: Renames(), oldLabel: nil) }

    /// The matrix of `diff`'s new side with the old verdicts beside it; removed kfuncs and
    /// callbacks get rows and columns of their own, renamed ones are matched.
    public init(new: Compilation, old: Compilation, diff: SemanticDiff) {
        self.init(new: new.policy, old: old.policy, renames: diff.renames, oldLabel: diff.oldLabel)
    }

    init(new np: Policy, old op: Policy?, renames: Renames, oldLabel: String?) {
        policyName = np.name
        structName = np.structName
        compared = op != nil
        self.oldLabel = oldLabel
        let b = MatrixBuilder(new: np, old: op, renames: renames)
        let columns = b.columns()
        let rows = b.rows()
        columnGroups = columns.groups
        rowGroups = rows.map { RowGroup(label: $0.label, progTypes: $0.types, rows: $0.rows.map(\.row)) }
        verdicts = rows.flatMap(\.rows).map { r in
            columns.callers.map { c in
                let o: Bool? = op == nil ? nil : (r.old != nil && c.old != nil ? op!.isAllowed(r.old!, c.old!) : nil)
                let n: Bool? = r.new != nil && c.new != nil ? np.isAllowed(r.new!, c.new!) : nil
                return CellVerdict(old: op == nil ? n : o, new: n)
            }
        }
    }
}

/// Builds a matrix's columns and rows from the new policy and, when compared, the old one.
struct MatrixBuilder {
    let np: Policy
    let op: Policy?
    let renames: Renames
    /// New names to old ones.
    let kfuncOld: [String: String], callbackOld: [String: String]

    init(new np: Policy, old op: Policy?, renames: Renames) {
        self.np = np; self.op = op; self.renames = renames
        kfuncOld = Dictionary(uniqueKeysWithValues: renames.kfuncs.map { ($1, $0) })
        callbackOld = Dictionary(uniqueKeysWithValues: renames.callbacks.map { ($1, $0) })
    }

    typealias Column = PermissionMatrix.Column
    /// A column, the label of its group, the group's order, and the caller on each side.
    typealias Col = (col: Column, label: String, order: UInt64, o: Int?, n: Int?)

    /// The new policy's context bits of some context names (unknown names sort last).
    func bits(_ names: [String]) -> UInt64 {
        var b: UInt64 = 0
        for n in names {
            b |= np.contexts.firstIndex { $0.name == n }.map { UInt64(1) << UInt64($0) } ?? (UInt64(1) << 40)
        }
        return b
    }

    /// Groups in context bit order: by lowest bit, then by the whole mask; no context last.
    func order(_ b: UInt64) -> UInt64 { b == 0 ? UInt64.max : (UInt64(b.trailingZeroBitCount) << 48) | b }

    /// Columns: callbacks grouped by their exact contexts, groups in context bit order, then
    /// the other program types that reach some set (old or new): those of the kfunc hooks the
    /// sets are registered for. With each column, the caller on each side.
    func columns() -> (groups: [PermissionMatrix.ColumnGroup], callers: [(old: Caller?, new: Caller?)]) {
        var cols: [Col] = []
        for (i, c) in np.callbacks.enumerated() {
            let names = c.contexts.indices.filter { $0 < np.contexts.count }.map { np.contexts[$0].name }
            let o = op?.callback(named: callbackOld[c.name] ?? c.name)
            let col = Column(caller: "ops." + c.name, name: c.name, isCallback: true, sleepable: c.sleepable,
                             removed: false, added: op != nil && o == nil)
            cols.append((col, np.describe(c.contexts), order(bits(names)), o, i))
        }
        if let op {
            let mapped = Set(np.callbacks.map(\.name))
            for (i, c) in op.callbacks.enumerated() where !mapped.contains(renames.callbacks[c.name] ?? c.name) {
                let names = c.contexts.indices.filter { $0 < op.contexts.count }.map { i in
                    renames.contexts[op.contexts[i].name] ?? op.contexts[i].name
                }
                let sorted = names.sorted { bits([$0]) < bits([$1]) }
                let col = Column(caller: "ops." + c.name, name: c.name, isCallback: true, sleepable: c.sleepable,
                                 removed: true, added: false)
                let label = sorted.isEmpty ? "none" : sorted.joined(separator: " | ")
                cols.append((col, label, order(bits(names)), i, nil))
            }
        }
        var groups: [(label: String, order: UInt64, cols: [Col])] = []
        for c in cols {
            if let g = groups.firstIndex(where: { $0.label == c.label }) {
                groups[g].cols.append(c)
            } else {
                groups.append((c.label, c.order, [c]))
            }
        }
        groups = groups.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }
            .map(\.element)
        // The program types that reach a set of either policy through their kernel's hooks.
        let types = ProgType.allCases.filter { t in
            t != .struct_ops && (np.reachesSets(from: t) || op?.reachesSets(from: t) == true)
        }
        var callers: [(old: Caller?, new: Caller?)] = []
        var columnGroups: [PermissionMatrix.ColumnGroup] = []
        for g in groups {
            columnGroups.append(PermissionMatrix.ColumnGroup(label: g.label, columns: g.cols.map(\.col)))
            callers += g.cols.map { ($0.o.map { .callback($0) }, $0.n.map { .callback($0) }) }
        }
        if !types.isEmpty {
            let tc = types.map { t in
                Column(caller: t.rawValue, name: t.rawValue, isCallback: false, sleepable: false, removed: false,
                       added: false)
            }
            columnGroups.append(PermissionMatrix.ColumnGroup(label: "program types", columns: tc))
            callers += types.map { t in (op == nil ? nil : Caller.progType(t), Caller.progType(t)) }
        }
        return (columnGroups, callers)
    }

    /// Rows: kfuncs grouped by their first set, groups in set order; removed kfuncs in their
    /// old set's group (or a group of their own). With each row, the kfunc on each side.
    func rows() -> [(label: String, types: String, rows: [(row: PermissionMatrix.Row, old: Int?, new: Int?)])] {
        typealias Row = PermissionMatrix.Row
        let setNew = { (n: String) in renames.sets[n] ?? n }
        var groups: [(label: String, types: String, rows: [(row: Row, old: Int?, new: Int?)])] = np.sets.map {
            ($0.name, $0.progTypes.map(\.rawValue).joined(separator: ", "), [])
        }
        for (i, k) in np.kfuncs.enumerated() {
            let first = k.sets.first ?? 0
            let o = op?.kfunc(named: kfuncOld[k.name] ?? k.name)
            let row = Row(kfunc: k.name, alsoIn: k.sets.dropFirst().map { np.sets[$0].name }, removed: false,
                          added: op != nil && o == nil)
            if first < groups.count { groups[first].rows.append((row, o, i)) }
        }
        if let op {
            let mapped = Set(np.kfuncs.map(\.name))
            for (i, k) in op.kfuncs.enumerated() where !mapped.contains(renames.kfuncs[k.name] ?? k.name) {
                let setName = k.sets.first.map { setNew(op.sets[$0].name) } ?? "(no set)"
                let row = Row(kfunc: k.name, alsoIn: k.sets.dropFirst().map { setNew(op.sets[$0].name) }, removed: true,
                              added: false)
                if let g = groups.firstIndex(where: { $0.label == setName }) {
                    groups[g].rows.append((row, i, nil))
                } else {
                    let types = k.sets.first.map { op.sets[$0].progTypes.map(\.rawValue).joined(separator: ", ") } ?? ""
                    groups.append((setName, types + " (removed)", [(row, i, nil)]))
                }
            }
        }
        return groups.filter { !$0.rows.isEmpty }
    }
}

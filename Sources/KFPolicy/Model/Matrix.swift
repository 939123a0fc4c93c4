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
        let kfOld = Dictionary(uniqueKeysWithValues: renames.kfuncs.map { ($1, $0) })
        let cbOld = Dictionary(uniqueKeysWithValues: renames.callbacks.map { ($1, $0) })
        let ctxNew = { (n: String) in renames.contexts[n] ?? n }
        let setNew = { (n: String) in renames.sets[n] ?? n }
        func oldKfunc(_ newName: String) -> Int? { op?.kfunc(named: kfOld[newName] ?? newName) }
        func oldCallback(_ newName: String) -> Int? { op?.callback(named: cbOld[newName] ?? newName) }

        // Columns: callbacks grouped by their exact contexts, groups in context bit order.
        typealias Col = (col: Column, label: String, order: UInt64, o: Int?, n: Int?)
        var cols: [Col] = []
        func bits(_ names: [String]) -> UInt64 {
            var b: UInt64 = 0
            for n in names { b |= np.contexts.firstIndex { $0.name == n }.map { UInt64(1) << UInt64($0) } ?? (UInt64(1) << 40) }
            return b
        }
        func order(_ b: UInt64) -> UInt64 { b == 0 ? UInt64.max : (UInt64(b.trailingZeroBitCount) << 48) | b }
        for (i, c) in np.callbacks.enumerated() {
            let names = c.contexts.indices.filter { $0 < np.contexts.count }.map { np.contexts[$0].name }
            let o = oldCallback(c.name)
            cols.append((Column(caller: "ops." + c.name, name: c.name, isCallback: true, sleepable: c.sleepable, removed: false,
                                added: op != nil && o == nil),
                         np.describe(c.contexts), order(bits(names)), o, i))
        }
        if let op {
            let mapped = Set(np.callbacks.map(\.name))
            for (i, c) in op.callbacks.enumerated() where !mapped.contains(renames.callbacks[c.name] ?? c.name) {
                let names = c.contexts.indices.filter { $0 < op.contexts.count }.map { ctxNew(op.contexts[$0].name) }
                let sorted = names.sorted { bits([$0]) < bits([$1]) }
                cols.append((Column(caller: "ops." + c.name, name: c.name, isCallback: true, sleepable: c.sleepable, removed: true, added: false),
                             sorted.isEmpty ? "none" : sorted.joined(separator: " | "), order(bits(names)), i, nil))
            }
        }
        var groups: [(label: String, order: UInt64, cols: [Col])] = []
        for c in cols {
            if let g = groups.firstIndex(where: { $0.label == c.label }) { groups[g].cols.append(c) }
            else { groups.append((c.label, c.order, [c])) }
        }
        groups = groups.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }.map(\.element)
        // Other program types that reach some set (old or new): those of the kfunc hooks the
        // sets are registered for.
        let hooks = Set((np.sets.flatMap(\.progTypes) + (op?.sets.flatMap(\.progTypes) ?? [])).compactMap(\.hook))
        let types = ProgType.allCases.filter { $0 != .struct_ops && $0.hook.map(hooks.contains) == true }
        var allCols: [(Column, Caller?, Caller?)] = []
        var columnGroups: [ColumnGroup] = []
        for g in groups {
            columnGroups.append(ColumnGroup(label: g.label, columns: g.cols.map(\.col)))
            allCols += g.cols.map { ($0.col, $0.o.map { .callback($0) }, $0.n.map { .callback($0) }) }
        }
        if !types.isEmpty {
            let tc = types.map { Column(caller: $0.rawValue, name: $0.rawValue, isCallback: false, sleepable: false, removed: false, added: false) }
            columnGroups.append(ColumnGroup(label: "program types", columns: tc))
            allCols += types.map { t in (Column(caller: t.rawValue, name: t.rawValue, isCallback: false, sleepable: false, removed: false, added: false),
                                         op == nil ? nil : Caller.progType(t), Caller.progType(t)) }
        }
        self.columnGroups = columnGroups

        // Rows: kfuncs grouped by their first set, groups in set order.
        var rowGroups: [(label: String, types: String, rows: [(Row, Int?, Int?)])] = np.sets.map {
            ($0.name, $0.progTypes.map(\.rawValue).joined(separator: ", "), [])
        }
        for (i, k) in np.kfuncs.enumerated() {
            let first = k.sets.first ?? 0
            let o = oldKfunc(k.name)
            let row = Row(kfunc: k.name, alsoIn: k.sets.dropFirst().map { np.sets[$0].name }, removed: false, added: op != nil && o == nil)
            if first < rowGroups.count { rowGroups[first].rows.append((row, o, i)) }
        }
        if let op {
            let mapped = Set(np.kfuncs.map(\.name))
            for (i, k) in op.kfuncs.enumerated() where !mapped.contains(renames.kfuncs[k.name] ?? k.name) {
                let setName = k.sets.first.map { setNew(op.sets[$0].name) } ?? "(no set)"
                let row = Row(kfunc: k.name, alsoIn: k.sets.dropFirst().map { setNew(op.sets[$0].name) }, removed: true, added: false)
                if let g = rowGroups.firstIndex(where: { $0.label == setName }) { rowGroups[g].rows.append((row, i, nil)) }
                else {
                    let types = k.sets.first.map { op.sets[$0].progTypes.map(\.rawValue).joined(separator: ", ") } ?? ""
                    rowGroups.append((setName, types + " (removed)", [(row, i, nil)]))
                }
            }
        }
        rowGroups.removeAll { $0.rows.isEmpty }
        self.rowGroups = rowGroups.map { RowGroup(label: $0.label, progTypes: $0.types, rows: $0.rows.map(\.0)) }
        verdicts = rowGroups.flatMap(\.rows).map { r in
            allCols.map { c in
                let o: Bool? = op == nil ? nil : (r.1 != nil && c.1 != nil ? op!.isAllowed(r.1!, c.1!) : nil)
                let n: Bool? = r.2 != nil && c.2 != nil ? np.isAllowed(r.2!, c.2!) : nil
                return CellVerdict(old: op == nil ? n : o, new: n)
            }
        }
    }
}

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

/// Markdown and HTML renderings of a permission matrix.
public enum MatrixRenderer {
    static func symbol(_ v: CellVerdict, compared: Bool) -> String {
        if compared { return DiffRenderer.cellSymbol(v) }
        return v.new == true ? "✓" : " "
    }

    /// A markdown table. Within a context group, callbacks whose columns are identical (same
    /// verdict for every kfunc, before and after) share one column, so the table stays narrow
    /// enough for a pull request or a README.
    public static func markdown(_ m: PermissionMatrix) -> String {
        var out = "## Permission matrix: policy `\(m.policyName)` (struct \(m.structName))\n\n"
        if m.compared {
            out += "Compared with `\(m.oldLabel ?? "old")`: \(m.changedCount) changed cell\(m.changedCount == 1 ? "" : "s"). "
            out += "**+** newly allowed, **−** newly denied, ✓ allowed before and after, blank: denied.\n\n"
        } else {
            out += "✓ allowed, blank: denied. "
        }
        out += "Columns are callbacks grouped by the contexts they run in (callbacks with identical columns share one; † sleepable), then other program types; rows are kfuncs grouped by set.\n\n"
        // Merge identical columns inside each group.
        let flat = m.columns
        var merged: [(header: String, index: Int)] = []
        var base = 0
        for g in m.columnGroups {
            var classes: [(names: [String], index: Int, sleepable: Bool)] = []
            for (j, c) in g.columns.enumerated() {
                let idx = base + j
                let name = "`\(c.isCallback ? c.name : c.name)`\(c.sleepable ? "†" : "")\(c.removed ? " (removed)" : c.added ? " (new)" : "")"
                if let k = classes.firstIndex(where: { cl in m.verdicts.allSatisfy { $0[cl.index] == $0[idx] } && cl.sleepable == c.sleepable }) {
                    classes[k].names.append(name)
                } else {
                    classes.append(([name], idx, c.sleepable))
                }
            }
            for cl in classes {
                merged.append(("*\(DiffRenderer.mdCell(g.label))*<br>" + cl.names.joined(separator: "<br>"), cl.index))
            }
            base += g.columns.count
        }
        _ = flat
        out += "| kfunc | " + merged.map(\.header).joined(separator: " | ") + " |\n"
        out += "|---|" + String(repeating: ":-:|", count: merged.count) + "\n"
        var r = 0
        for g in m.rowGroups {
            out += "| **\(DiffRenderer.mdCell(g.label))** <sub>\(DiffRenderer.mdCell(g.progTypes))</sub> |" + String(repeating: " |", count: merged.count) + "\n"
            for row in g.rows {
                var label = "`\(row.kfunc)`"
                if row.removed { label += " (removed)" } else if row.added { label += " (new)" }
                if !row.alsoIn.isEmpty { label += " <sub>also in \(row.alsoIn.map { DiffRenderer.mdCell($0) }.joined(separator: ", "))</sub>" }
                out += "| \(label) | " + merged.map { symbol(m.verdicts[r][$0.index], compared: m.compared) }.joined(separator: " | ") + " |\n"
                r += 1
            }
        }
        return out
    }

    static func html(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A self-contained HTML page (inline CSS, no script): the full matrix with vertical
    /// callback names, context groups as column bands and sets as row bands.
    public static func html(_ m: PermissionMatrix) -> String {
        let title = "Permission matrix: policy \(m.policyName) (struct \(m.structName))"
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(html(title))</title>
            <style>
            body { font: 13px/1.4 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1f2328; margin: 24px; }
            h1 { font-size: 20px; margin: 0 0 4px; }
            p.legend { margin: 4px 0 16px; color: #59636e; }
            .swatch { display: inline-block; width: 14px; height: 14px; vertical-align: -2px; border: 1px solid #d0d7de; margin: 0 3px 0 10px; text-align: center; font-size: 11px; line-height: 14px; }
            table { border-collapse: separate; border-spacing: 0; }
            th, td { border-right: 1px solid #d8dee4; border-bottom: 1px solid #d8dee4; }
            thead th { position: sticky; background: #ffffff; z-index: 2; }
            thead tr.ctx th { top: 0; font-weight: 600; font-size: 12px; color: #1f2328; padding: 2px 4px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 1px; }
            thead tr.ctx th.vert { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; vertical-align: bottom; padding: 4px 2px; max-width: none; }
            th.chg { background: #fff8c5 !important; }
            th.corner { left: 0; z-index: 3; text-align: left; vertical-align: bottom; padding: 6px 8px; font-weight: 600; }
            th.cb { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: 500; padding: 8px 3px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; text-align: left; }
            th.k { position: sticky; left: 0; background: #ffffff; z-index: 1; text-align: left; font-weight: 400; padding: 2px 10px 2px 8px; white-space: nowrap; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
            th.k small { color: #59636e; font-family: -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
            tr.set th { position: sticky; left: 0; text-align: left; background: #eef1f4; padding: 4px 8px; font-weight: 600; z-index: 1; }
            tr.set td { background: #eef1f4; }
            tr.set th span { font-weight: 400; color: #59636e; }
            td.c { width: 20px; min-width: 20px; height: 20px; text-align: center; padding: 0; font-size: 12px; }
            td.y { background: #d1f2d9; color: #1a7f37; }
            td.n { background: #ffffff; }
            td.add { background: #1f883d; color: #ffffff; font-weight: 700; }
            td.del { background: #cf222e; color: #ffffff; font-weight: 700; }
            .g0 { border-left: 2px solid #57606a; }
            tr:hover td.n { background: #f3f5f7; }
            tr:hover th.k { background: #f3f5f7; }
            .removed { text-decoration: line-through; color: #8c959f; }
            .added { color: #1a7f37; font-weight: 600; }
            </style>
            </head>
            <body>

            """
        out += "<h1>\(html(title))</h1>\n"
        var legend = "<p class=\"legend\">Rows: kfuncs grouped by the set that registers them. Columns: callbacks grouped by the contexts they run in, then other program types; (s) marks callbacks that may be sleepable programs."
        legend += "<br><span class=\"swatch\" style=\"background:#d1f2d9;color:#1a7f37\">✓</span>allowed"
        legend += "<span class=\"swatch\"></span>denied"
        if m.compared {
            legend += "<span class=\"swatch\" style=\"background:#1f883d;color:#fff\">+</span>newly allowed"
            legend += "<span class=\"swatch\" style=\"background:#cf222e;color:#fff\">−</span>newly denied"
            legend += " &nbsp;(\(m.changedCount) changed cell\(m.changedCount == 1 ? "" : "s") compared with \(html(m.oldLabel ?? "the old policy")))"
        }
        // A group label wider than its columns is written vertically; the header row is made
        // tall enough for the longest such label (about 7px per character at 12px).
        func vertical(_ g: PermissionMatrix.ColumnGroup) -> Bool { g.label.count * 7 + 8 > g.columns.count * 21 }
        let ctxHeight = max(22, m.columnGroups.filter(vertical).map { $0.label.count * 7 + 14 }.max() ?? 0)
        out += "<style>thead tr.ctx th { height: \(ctxHeight)px; } thead tr.cb th { top: \(ctxHeight + 5)px; }</style>\n"
        out += legend + "</p>\n<table>\n<thead>\n<tr class=\"ctx\"><th class=\"corner\" rowspan=\"2\">kfunc</th>"
        for g in m.columnGroups {
            let cls = vertical(g) ? "g0 vert" : "g0"
            out += "<th class=\"\(cls)\" colspan=\"\(g.columns.count)\" title=\"\(html(g.label))\">\(html(g.label))</th>"
        }
        out += "</tr>\n<tr class=\"cb\">"
        var firstOfGroup = Set<Int>()
        let changedColumns = Set(m.columns.indices.filter { c in m.verdicts.contains { $0[c].changed } })
        var i = 0
        for g in m.columnGroups {
            firstOfGroup.insert(i)
            for (j, c) in g.columns.enumerated() {
                let cls = "cb" + (j == 0 ? " g0" : "") + (changedColumns.contains(i) ? " chg" : "")
                let name = html(c.name) + (c.sleepable ? " (s)" : "")
                let span = c.removed ? "<span class=\"removed\">\(name)</span>" : c.added ? "<span class=\"added\">\(name)</span>" : name
                out += "<th class=\"\(cls)\">\(span)</th>"
                i += 1
            }
        }
        out += "</tr>\n</thead>\n<tbody>\n"
        let cols = m.columns
        var r = 0
        for g in m.rowGroups {
            out += "<tr class=\"set\"><th colspan=\"1\">\(html(g.label)) <span>\(html(g.progTypes))</span></th>"
            for c in cols.indices { out += "<td\(firstOfGroup.contains(c) ? " class=\"g0\"" : "")></td>" }
            out += "</tr>\n"
            for row in g.rows {
                var label = html(row.kfunc)
                if row.removed { label = "<span class=\"removed\">\(label)</span>" } else if row.added { label = "<span class=\"added\">\(label)</span>" }
                if !row.alsoIn.isEmpty { label += " <small>also in \(html(row.alsoIn.joined(separator: ", ")))</small>" }
                out += "<tr><th class=\"k\(m.verdicts[r].contains(where: \.changed) ? " chg" : "")\">\(label)</th>"
                for (c, col) in cols.enumerated() {
                    let v = m.verdicts[r][c]
                    let (cls, sym, word): (String, String, String)
                    switch (m.compared ? v.old ?? false : v.new ?? false, v.new ?? false) {
                    case (false, true): (cls, sym, word) = m.compared ? ("add", "+", "newly allowed") : ("y", "✓", "allowed")
                    case (true, false): (cls, sym, word) = ("del", "−", "newly denied")
                    case (true, true): (cls, sym, word) = ("y", "✓", "allowed")
                    case (false, false): (cls, sym, word) = ("n", "", "denied")
                    }
                    let g0 = firstOfGroup.contains(c) ? " g0" : ""
                    out += "<td class=\"c \(cls)\(g0)\" title=\"\(html(row.kfunc)) in \(html(col.caller)): \(word)\">\(sym)</td>"
                }
                out += "</tr>\n"
                r += 1
            }
        }
        out += "</tbody>\n</table>\n</body>\n</html>\n"
        return out
    }
}

// The permission matrix as markdown, for a pull request or a README.

import KFPolicy

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
            out += "Compared with `\(m.oldLabel ?? "old")`: \(cells(m.changedCount)). "
            out += "**+** newly allowed, **−** newly denied, ✓ allowed before and after, blank: denied.\n\n"
        } else {
            out += "✓ allowed, blank: denied. "
        }
        out += "Columns are callbacks grouped by the contexts they run in (callbacks with identical columns share one; "
            + "† sleepable), then other program types; rows are kfuncs grouped by set.\n\n"
        let merged = mergedColumns(m)
        out += "| kfunc | " + merged.map(\.header).joined(separator: " | ") + " |\n"
        out += "|---|" + String(repeating: ":-:|", count: merged.count) + "\n"
        var r = 0
        for g in m.rowGroups {
            out += "| **\(DiffRenderer.mdCell(g.label))** <sub>\(DiffRenderer.mdCell(g.progTypes))</sub> |"
                + String(repeating: " |", count: merged.count) + "\n"
            for row in g.rows {
                var label = "`\(row.kfunc)`"
                if row.removed { label += " (removed)" } else if row.added { label += " (new)" }
                if !row.alsoIn.isEmpty {
                    label += " <sub>also in \(row.alsoIn.map { DiffRenderer.mdCell($0) }.joined(separator: ", "))</sub>"
                }
                let symbols = merged.map { symbol(m.verdicts[r][$0.index], compared: m.compared) }
                out += "| \(label) | " + symbols.joined(separator: " | ") + " |\n"
                r += 1
            }
        }
        return out
    }

    /// "n changed cell(s)".
    static func cells(_ n: Int) -> String { "\(n) changed cell\(n == 1 ? "" : "s")" }

    /// The markdown columns: within each context group, callbacks with identical columns (and
    /// sleepability) merged into one, each with the index of the matrix column it shows.
    static func mergedColumns(_ m: PermissionMatrix) -> [(header: String, index: Int)] {
        var merged: [(header: String, index: Int)] = []
        var base = 0
        for g in m.columnGroups {
            var classes: [(names: [String], index: Int, sleepable: Bool)] = []
            for (j, c) in g.columns.enumerated() {
                let idx = base + j
                let name = "`\(c.name)`\(c.sleepable ? "†" : "")\(c.removed ? " (removed)" : c.added ? " (new)" : "")"
                let same = classes.firstIndex { cl in
                    m.verdicts.allSatisfy { $0[cl.index] == $0[idx] } && cl.sleepable == c.sleepable
                }
                if let k = same {
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
        return merged
    }
}

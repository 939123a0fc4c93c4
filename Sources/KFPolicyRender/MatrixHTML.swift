// The permission matrix as a self-contained HTML page (inline CSS, no script).

import KFPolicy

extension MatrixRenderer {
    /// Text for HTML: `&`, `<`, `>` and `"` escaped.
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

    /// The page's style sheet.
    static let style = """
        body { font: 13px/1.4 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; \
        color: #1f2328; margin: 24px; }
        h1 { font-size: 20px; margin: 0 0 4px; }
        p.legend { margin: 4px 0 16px; color: #59636e; }
        .swatch { display: inline-block; width: 14px; height: 14px; vertical-align: -2px; \
        border: 1px solid #d0d7de; margin: 0 3px 0 10px; text-align: center; font-size: 11px; line-height: 14px; }
        table { border-collapse: separate; border-spacing: 0; }
        th, td { border-right: 1px solid #d8dee4; border-bottom: 1px solid #d8dee4; }
        thead th { position: sticky; background: #ffffff; z-index: 2; }
        thead tr.ctx th { top: 0; font-weight: 600; font-size: 12px; color: #1f2328; padding: 2px 4px; \
        white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 1px; }
        thead tr.ctx th.vert { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; \
        vertical-align: bottom; padding: 4px 2px; max-width: none; }
        th.chg { background: #fff8c5 !important; }
        th.corner { left: 0; z-index: 3; text-align: left; vertical-align: bottom; padding: 6px 8px; \
        font-weight: 600; }
        th.cb { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: 500; \
        padding: 8px 3px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; \
        text-align: left; }
        th.k { position: sticky; left: 0; background: #ffffff; z-index: 1; text-align: left; font-weight: 400; \
        padding: 2px 10px 2px 8px; white-space: nowrap; \
        font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
        th.k small { color: #59636e; font-family: -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
        tr.set th { position: sticky; left: 0; text-align: left; background: #eef1f4; padding: 4px 8px; \
        font-weight: 600; z-index: 1; }
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
        """

    /// A self-contained HTML page (inline CSS, no script): the full matrix with vertical
    /// callback names, context groups as column bands and sets as row bands.
    public static func html(_ m: PermissionMatrix) -> String {
        let title = "Permission matrix: policy \(m.policyName) (struct \(m.structName))"
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<title>\(html(title))</title>\n<style>\n" + style + "\n</style>\n</head>\n<body>\n"
        out += "<h1>\(html(title))</h1>\n"
        var legend = "<p class=\"legend\">Rows: kfuncs grouped by the set that registers them. Columns: callbacks "
            + "grouped by the contexts they run in, then other program types; (s) marks callbacks that may be "
            + "sleepable programs."
        legend += "<br><span class=\"swatch\" style=\"background:#d1f2d9;color:#1a7f37\">✓</span>allowed"
        legend += "<span class=\"swatch\"></span>denied"
        if m.compared {
            legend += "<span class=\"swatch\" style=\"background:#1f883d;color:#fff\">+</span>newly allowed"
            legend += "<span class=\"swatch\" style=\"background:#cf222e;color:#fff\">−</span>newly denied"
            legend += " &nbsp;(\(cells(m.changedCount)) compared with \(html(m.oldLabel ?? "the old policy")))"
        }
        // A group label wider than its columns is written vertically; the header row is made
        // tall enough for the longest such label (about 7px per character at 12px).
        func vertical(_ g: PermissionMatrix.ColumnGroup) -> Bool { g.label.count * 7 + 8 > g.columns.count * 21 }
        let ctxHeight = max(22, m.columnGroups.filter(vertical).map { $0.label.count * 7 + 14 }.max() ?? 0)
        out += "<style>thead tr.ctx th { height: \(ctxHeight)px; } "
            + "thead tr.cb th { top: \(ctxHeight + 5)px; }</style>\n"
        out += legend + "</p>\n<table>\n<thead>\n<tr class=\"ctx\"><th class=\"corner\" rowspan=\"2\">kfunc</th>"
        for g in m.columnGroups {
            let label = html(g.label)
            let cls = vertical(g) ? "g0 vert" : "g0"
            out += "<th class=\"\(cls)\" colspan=\"\(g.columns.count)\" title=\"\(label)\">\(label)</th>"
        }
        out += "</tr>\n<tr class=\"cb\">"
        let changedColumns = Set(m.columns.indices.filter { c in m.verdicts.contains { $0[c].changed } })
        var firstOfGroup = Set<Int>()
        var i = 0
        for g in m.columnGroups {
            firstOfGroup.insert(i)
            for (j, c) in g.columns.enumerated() {
                let cls = "cb" + (j == 0 ? " g0" : "") + (changedColumns.contains(i) ? " chg" : "")
                let name = marked(html(c.name) + (c.sleepable ? " (s)" : ""), c.removed, c.added)
                out += "<th class=\"\(cls)\">\(name)</th>"
                i += 1
            }
        }
        out += "</tr>\n</thead>\n<tbody>\n"
        out += rows(m, firstOfGroup: firstOfGroup)
        out += "</tbody>\n</table>\n</body>\n</html>\n"
        return out
    }

    /// A name struck through when removed, highlighted when new.
    static func marked(_ name: String, _ removed: Bool, _ added: Bool) -> String {
        removed ? "<span class=\"removed\">\(name)</span>" : added ? "<span class=\"added\">\(name)</span>" : name
    }

    /// The table body: a band per set, a row per kfunc, a cell per caller.
    static func rows(_ m: PermissionMatrix, firstOfGroup: Set<Int>) -> String {
        var out = ""
        let cols = m.columns
        var r = 0
        for g in m.rowGroups {
            out += "<tr class=\"set\"><th colspan=\"1\">\(html(g.label)) <span>\(html(g.progTypes))</span></th>"
            for c in cols.indices { out += "<td\(firstOfGroup.contains(c) ? " class=\"g0\"" : "")></td>" }
            out += "</tr>\n"
            for row in g.rows {
                var label = marked(html(row.kfunc), row.removed, row.added)
                if !row.alsoIn.isEmpty {
                    label += " <small>also in \(html(row.alsoIn.joined(separator: ", ")))</small>"
                }
                out += "<tr><th class=\"k\(m.verdicts[r].contains(where: \.changed) ? " chg" : "")\">\(label)</th>"
                for (c, col) in cols.enumerated() {
                    let v = m.verdicts[r][c]
                    let (cls, sym, word): (String, String, String)
                    switch (m.compared ? v.old ?? false : v.new ?? false, v.new ?? false) {
                    case (false, true):
                        (cls, sym, word) = m.compared ? ("add", "+", "newly allowed") : ("y", "✓", "allowed")
                    case (true, false): (cls, sym, word) = ("del", "−", "newly denied")
                    case (true, true): (cls, sym, word) = ("y", "✓", "allowed")
                    case (false, false): (cls, sym, word) = ("n", "", "denied")
                    }
                    let g0 = firstOfGroup.contains(c) ? " g0" : ""
                    let title = "\(html(row.kfunc)) in \(html(col.caller)): \(word)"
                    out += "<td class=\"c \(cls)\(g0)\" title=\"\(title)\">\(sym)</td>"
                }
                out += "</tr>\n"
                r += 1
            }
        }
        return out
    }
}

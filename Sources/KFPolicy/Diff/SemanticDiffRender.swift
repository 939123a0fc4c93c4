// Renderers for the semantic diff: text for a terminal, markdown for a pull-request comment,
// JSON for bots. They see only `SemanticDiff`; every order comes from it.

public enum DiffFormat: String, Sendable, CaseIterable {
    case text, markdown, json
}

public enum DiffRenderer {
    static func plural(_ n: Int, _ word: String, _ words: String? = nil) -> String {
        "\(n) \(n == 1 ? word : (words ?? word + "s"))"
    }

    static func counts(_ d: [SemanticDiff]) -> (w: Int, n: Int, o: Int) {
        (d.reduce(0) { $0 + $1.widenings.count }, d.reduce(0) { $0 + $1.narrowings.count }, d.reduce(0) { $0 + $1.others.count })
    }

    static let headings: [Impact: (text: String, markdown: String)] = [
        .widening: ("Widenings (BPF programs may do more)", "Widenings: BPF programs may do more"),
        .narrowing: ("Narrowings (BPF programs that load today may be refused)", "Narrowings: BPF programs that load today may be refused"),
        .other: ("Other changes", "Other changes"),
    ]

    // MARK: - Text

    /// The report for a terminal. `color` adds ANSI colours.
    public static func text(_ diffs: [SemanticDiff], color: Bool = false) -> String {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        var out = ""
        for (i, d) in diffs.enumerated() {
            if i > 0 { out += "\n" }
            out += paint("policy \(d.policyName.isEmpty ? "(none)" : d.policyName): \(d.oldLabel) -> \(d.newLabel)", "1") + "\n"
            if d.isEmpty { out += "no semantic change\n"; continue }
            out += "\(plural(d.widenings.count, "widening")), \(plural(d.narrowings.count, "narrowing")), \(plural(d.others.count, "other change"))\n"
            for impact in Impact.allCases {
                let cs = d.changes.filter { $0.impact == impact }
                if cs.isEmpty { continue }
                let (mark, code) = impact == .widening ? ("+", "1;32") : impact == .narrowing ? ("-", "1;31") : ("~", "1;33")
                out += "\n" + paint(headings[impact]!.text + ":", "1") + "\n"
                for c in cs {
                    out += "  " + paint(mark, code) + " \(c.summary) [\(c.kind.rawValue)]\n"
                    for (side, ev) in [("old", c.old), ("new", c.new)] {
                        guard let ev else { continue }
                        out += "      \(side): \(ev.summary)\n"
                        for l in ev.locations { out += "        " + paint(l.position + ":", "2") + " \(l.message)\n" }
                    }
                }
            }
        }
        if diffs.count > 1 {
            let t = counts(diffs)
            out += "\ntotal: \(plural(t.w, "widening")), \(plural(t.n, "narrowing")), \(plural(t.o, "other change")) in \(plural(diffs.count, "policy", "policies"))\n"
        }
        return out
    }

    // MARK: - Markdown

    /// Quotes `'name'`, `ops.NAME` and `KF_FLAG` as code and escapes what markdown would
    /// otherwise interpret (GitHub's: intraword underscores are left alone).
    static func md(_ s: String) -> String {
        var out = ""
        let chars = Array(s)
        var i = 0
        func isIdent(_ c: Character) -> Bool { c == "_" || c == "." || c.isLetter || c.isNumber }
        func startsWith(_ p: String, at i: Int) -> Bool {
            let p = Array(p)
            return i + p.count < chars.count && Array(chars[i..<(i + p.count)]) == p
        }
        while i < chars.count {
            let c = chars[i]
            if c == "'", i + 1 < chars.count, let end = chars[(i + 1)...].firstIndex(of: "'"), end > i + 1,
               chars[(i + 1)..<end].allSatisfy(isIdent) {
                out += "`" + String(chars[(i + 1)..<end]) + "`"
                i = end + 1
                continue
            }
            if (i == 0 || !isIdent(chars[i - 1])) && (startsWith("ops.", at: i) || startsWith("KF_", at: i)) {
                var end = i
                while end < chars.count, isIdent(chars[end]) { end += 1 }
                while end > i, chars[end - 1] == "." { end -= 1 }
                out += "`" + String(chars[i..<end]) + "`"
                i = end
                continue
            }
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "*", "\\", "[", "]", "`", "~": out += "\\" + String(c)
            default: out.append(c)
            }
            i += 1
        }
        return out
    }

    /// `md` for a table cell, where `|` would end the cell.
    static func mdCell(_ s: String) -> String { md(s).replacingAll("|", with: "\\|") }

    /// A pull-request comment: a summary line, the changes with the declarations that decide
    /// them folded under each, and the permission-matrix cells that changed.
    public static func markdown(_ diffs: [SemanticDiff]) -> String {
        var out = ""
        let t = counts(diffs)
        out += "## kfpolicy diff\n"
        if diffs.count > 1 {
            out += "\n" + summaryLine(t.w, t.n, t.o) + " in \(plural(diffs.count, "policy", "policies")).\n"
        }
        for d in diffs {
            out += "\n### Policy `\(d.policyName.isEmpty ? "(none)" : d.policyName)`: `\(d.oldLabel)` → `\(d.newLabel)`\n\n"
            if d.isEmpty { out += "No semantic change.\n"; continue }
            out += summaryLine(d.widenings.count, d.narrowings.count, d.others.count) + ".\n"
            for impact in Impact.allCases {
                let cs = d.changes.filter { $0.impact == impact }
                if cs.isEmpty { continue }
                out += "\n#### \(headings[impact]!.markdown)\n\n"
                for c in cs {
                    out += "- \(impact == .other ? md(c.summary) : "**" + md(c.summary) + "**") <sub>`\(c.kind.rawValue)`</sub>\n"
                    let sides = [("old", c.old), ("new", c.new)].compactMap { s in s.1.map { (s.0, $0) } }
                    if sides.allSatisfy({ $0.1.locations.isEmpty }) { continue }
                    out += "  <details><summary>deciding declarations</summary>\n\n"
                    for (side, ev) in sides {
                        out += "  - **\(side)**: \(md(ev.summary))\n"
                        for l in ev.locations { out += "    - `\(l.position)` \(md(l.message))\n" }
                    }
                    out += "\n  </details>\n"
                }
            }
            if !d.cells.isEmpty { out += "\n" + changedCellsMarkdown(d) }
        }
        return out
    }

    static func summaryLine(_ w: Int, _ n: Int, _ o: Int) -> String {
        let ws = plural(w, "widening"), ns = plural(n, "narrowing")
        return "\(w > 0 ? "**\(ws)**" : ws), \(n > 0 ? "**\(ns)**" : ns), \(plural(o, "other change"))"
    }

    /// The rows and columns of the permission matrix that hold a changed cell.
    public static func changedCellsMarkdown(_ d: SemanticDiff) -> String {
        let g = d.changedCells
        var out = "#### Permission matrix: changed cells\n\n"
        out += "| kfunc | " + g.callers.map { "`\($0)`" }.joined(separator: " | ") + " |\n"
        out += "|---|" + String(repeating: ":-:|", count: g.callers.count) + "\n"
        for (r, k) in g.kfuncs.enumerated() {
            out += "| `\(k)` | " + g.verdicts[r].map(cellSymbol).joined(separator: " | ") + " |\n"
        }
        out += "\n**+** newly allowed · **−** newly denied · ✓ allowed before and after · blank: denied before and after\n"
        return out
    }

    static func cellSymbol(_ v: CellVerdict) -> String {
        switch (v.old ?? false, v.new ?? false) {
        case (false, true): return "**+**"
        case (true, false): return "**−**"
        case (true, true): return "✓"
        case (false, false): return " "
        }
    }

    // MARK: - JSON

    /// A stable JSON report: keys sorted at every level, arrays in the report's order.
    public static func json(_ diffs: [SemanticDiff]) -> String {
        let t = counts(diffs)
        func countsJSON(_ w: Int, _ n: Int, _ o: Int) -> JSONValue {
            .object(["widening": .int(w), "narrowing": .int(n), "other": .int(o)])
        }
        func evidence(_ e: DiffEvidence?) -> JSONValue {
            guard let e else { return .null }
            return .object(["summary": .string(e.summary), "locations": .array(e.locations.map {
                .object(["file": .string($0.path), "line": .int($0.line), "column": .int($0.column), "message": .string($0.message)])
            })])
        }
        func map(_ m: [String: String]) -> JSONValue { .object(m.mapValues { .string($0) }) }
        func opt(_ b: Bool?) -> JSONValue { b.map { .bool($0) } ?? .null }
        let policies: [JSONValue] = diffs.map { d in
            .object([
                "policy": .string(d.policyName),
                "old": .string(d.oldLabel),
                "new": .string(d.newLabel),
                "counts": countsJSON(d.widenings.count, d.narrowings.count, d.others.count),
                "changes": .array(d.changes.map { c in
                    .object(["impact": .string(c.impact.rawValue), "kind": .string(c.kind.rawValue), "subject": .string(c.subject),
                             "summary": .string(c.summary), "old": evidence(c.old), "new": evidence(c.new)])
                }),
                "matrix": .array(d.cells.map { c in
                    .object(["kfunc": .string(c.kfunc), "caller": .string(c.caller), "old": opt(c.old), "new": opt(c.new)])
                }),
                "renames": .object(["contexts": map(d.renames.contexts), "callbacks": map(d.renames.callbacks), "kfuncs": map(d.renames.kfuncs),
                                    "sets": map(d.renames.sets), "groups": map(d.renames.groups), "requirements": map(d.renames.requirements)]),
            ])
        }
        return JSONValue.object(["version": .int(1), "counts": countsJSON(t.w, t.n, t.o), "policies": .array(policies)]).render() + "\n"
    }
}

/// A JSON value that renders with sorted keys and two-space indentation.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public func render(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1), end = String(repeating: "  ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .string(let s): return jsonString(s)
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[\n" + a.map { pad + $0.render(indent: indent + 1) }.joined(separator: ",\n") + "\n" + end + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            return "{\n" + o.keys.sorted().map { pad + jsonString($0) + ": " + o[$0]!.render(indent: indent + 1) }.joined(separator: ",\n") + "\n" + end + "}"
        }
    }
}

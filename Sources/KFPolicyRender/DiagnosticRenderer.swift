// Diagnostics for people and for tools: compiler-style text with the source line and a caret,
// and JSON.

import KFPolicy

/// Renders diagnostics as `file:line:col: error: message [ID]` with the source line and a caret.
public struct DiagnosticRenderer {
    public let sources: SourceManager
    public let color: Bool
    public init(sources: SourceManager, color: Bool) { self.sources = sources; self.color = color }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    public func render(_ d: Diagnostic) -> String {
        var out = ""
        let sevColor = d.severity == .error ? "1;31" : d.severity == .warning ? "1;35" : "1;36"
        out += header(d.range, d.severity.rawValue, sevColor, escapeControls(d.message) + " [\(d.id.rawValue)]")
        out += snippet(d.range)
        for n in d.notes {
            out += header(n.range, "note", "1;36", escapeControls(n.message))
            out += snippet(n.range)
        }
        if let h = d.hint { out += paint("  hint: ", "1;32") + escapeControls(h) + "\n" }
        return out
    }

    /// Control characters from a hostile file (escape sequences, carriage returns) must not
    /// reach the terminal: `\x1b` in messages.
    private func escapeControls(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F {
                let h = String(u.value, radix: 16)
                out += "\\x" + (h.count == 1 ? "0" : "") + h
            } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    private func header(_ r: SourceRange, _ sev: String, _ code: String, _ msg: String) -> String {
        let loc = paint(sources.describe(r) + ":", "1")
        return "\(loc) \(paint(sev + ":", code)) \(msg)\n"
    }

    private func snippet(_ r: SourceRange) -> String {
        guard let f = sources.file(r) else { return "" }
        let (line, col) = f.lineColumn(r.start)
        let (endLine, endCol) = f.lineColumn(max(r.start, r.end))
        let bounds = f.lineBounds(line)
        let lineStart = bounds.lowerBound, lineEnd = bounds.upperBound
        let width = endLine == line ? max(1, endCol - col) : max(1, lineEnd - lineStart - col + 1)
        // Show at most 400 bytes of the line, around the caret: a long line (a 10 MB one, say)
        // must cost no more per diagnostic than a short one.
        var from = lineStart
        if col > 300 {
            from = r.start - 100
            while from < r.start, f.text[from] & 0xC0 == 0x80 { from += 1 } // not inside a character
        }
        var to = min(lineEnd, from + 400)
        while to < lineEnd, to > from, f.text[to] & 0xC0 == 0x80 { to -= 1 }
        let lead = from > lineStart ? "..." : ""
        // Control characters (but tabs) show as '?', one column each, so none reaches the terminal.
        func shown(_ b: UInt8) -> UInt8 { b == 9 || (b >= 0x20 && b != 0x7F) ? b : UInt8(ascii: "?") }
        let visible = f.text[from..<max(from, to)].map(shown)
        let shown = lead + String(decoding: visible, as: UTF8.self) + (to < lineEnd ? "..." : "")
        // Keep tabs so the caret lines up under the source text.
        let pad = String(repeating: " ", count: lead.utf8.count)
            + String(f.text[from..<min(max(from, r.start), max(from, to))].map { $0 == 9 ? "\t" : " " }.joined())
        return "  \(shown)\n  \(pad)\(paint("^" + String(repeating: "~", count: min(width, 200) - 1), "1;32"))\n"
    }

    /// JSON for tools: one object per diagnostic, keys sorted, no trailing spaces.
    public func json(_ ds: [Diagnostic]) -> String {
        var out = "[\n"
        for (i, d) in ds.enumerated() {
            out += "  {" + fields(d.range) + ", \"id\": \(jsonString(d.id.rawValue)), "
                + "\"severity\": \(jsonString(d.severity.rawValue)), \"message\": \(jsonString(d.message))"
            if let h = d.hint { out += ", \"hint\": \(jsonString(h))" }
            out += ", \"notes\": ["
            out += d.notes.map { "{" + fields($0.range) + ", \"message\": \(jsonString($0.message))}" }
                .joined(separator: ", ")
            out += "]}" + (i + 1 < ds.count ? ",\n" : "\n")
        }
        return out + "]\n"
    }

    private func fields(_ r: SourceRange) -> String {
        guard let p = sources.position(r) else { return "\"file\": null, \"line\": 0, \"column\": 0" }
        return "\"file\": \(jsonString(p.path)), \"line\": \(p.line), \"column\": \(p.column)"
    }
}

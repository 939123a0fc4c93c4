// GitHub Actions workflow commands (`::error file=F,line=L,col=C,title=T::message`) for
// kfpolicy's findings, so that a CI step annotates the lines of a pull request. One line per
// finding; notes, hints and the other side of a diff go into the message, which GitHub shows
// on several lines.

import KFPolicy

/// GitHub workflow commands (annotations) for diagnostics and semantic diffs.
public enum GitHubAnnotations {
    /// One command per diagnostic: `error`, `warning` or `notice` by severity, titled with the
    /// diagnostic id; its notes (with their positions) and hint follow the message.
    public static func diagnostics(_ ds: [Diagnostic], sources: SourceManager) -> String {
        var out = ""
        for d in ds {
            var message = d.message
            for n in d.notes {
                let at = sources.position(n.range) == nil ? "" : sources.describe(n.range) + ": "
                message += "\nnote: " + at + n.message
            }
            if let h = d.hint { message += "\nhint: " + h }
            var properties: [(String, String)] = []
            if let f = sources.file(d.range) {
                let (start, end) = (TextPosition(f, d.range.start), TextPosition(f, max(d.range.start, d.range.end)))
                properties = [("file", f.path), ("line", String(start.line)), ("col", String(start.column)),
                              ("endLine", String(end.line)), ("endColumn", String(end.column))]
            }
            properties.append(("title", d.id.rawValue))
            out += command(command(for: d.severity), properties, message)
        }
        return out
    }

    /// One command per change of each diff: a widening or narrowing is `error` when its
    /// impact is in `failing` (it makes `diff` exit non-zero) and `warning` otherwise; other
    /// changes are `notice`. The annotation sits at the change's first declaration on the new
    /// side (the old side for a removal); the message lists both sides' declarations.
    public static func diff(_ diffs: [SemanticDiff], failing: Set<Impact>) -> String {
        var out = ""
        for d in diffs {
            for c in d.changes {
                let level = c.fails(failing) ? "error" : c.impact == .other ? "notice" : "warning"
                var message = c.summary
                var first: DiffLocation?
                for (side, ev) in [("new", c.new), ("old", c.old)] {
                    guard let ev else { continue }
                    message += "\n\(side) (\(side == "new" ? d.newLabel : d.oldLabel)): \(ev.summary)"
                    for l in ev.locations { message += "\n  \(l.position): \(l.message)" }
                    if first == nil { first = ev.locations.first }
                }
                var properties: [(String, String)] = []
                if let first {
                    properties = [("file", first.path), ("line", String(first.line)), ("col", String(first.column))]
                }
                properties.append(("title", "\(c.impact.rawValue) \(c.kind.rawValue) (policy \(d.policyName))"))
                out += command(level, properties, message)
            }
        }
        return out
    }

    static func command(for s: Severity) -> String {
        switch s {
        case .error: return "error"
        case .warning: return "warning"
        case .note: return "notice"
        }
    }

    /// `::name k=v,...::message` with GitHub's escapes: `%`, CR and LF everywhere, and `:` and
    /// `,` in property values too.
    static func command(_ name: String, _ properties: [(String, String)], _ message: String) -> String {
        let props = properties.map { "\($0.0)=\(escape($0.1, propertyEscapes))" }.joined(separator: ",")
        return "::\(name)\(props.isEmpty ? "" : " " + props)::\(escape(message, messageEscapes))\n"
    }

    static let messageEscapes: [Unicode.Scalar: String] = ["%": "%25", "\r": "%0D", "\n": "%0A"]
    static let propertyEscapes = messageEscapes.merging([":": "%3A", ",": "%2C"]) { a, _ in a }

    static func escape(_ s: String, _ table: [Unicode.Scalar: String]) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if let e = table[u] { out += e } else { out.unicodeScalars.append(u) }
        }
        return out
    }
}

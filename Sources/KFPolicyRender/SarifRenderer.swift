// SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) logs of kfpolicy's findings,
// for code-scanning services: diagnostics of `check` and `lint`, and the changes `diff` finds.
// Keys are sorted and arrays keep the report's order, so a log is byte-identical across runs.

import KFPolicy

/// SARIF 2.1.0 logs of diagnostics and of semantic diffs.
public enum SarifRenderer {
    /// The schema a log names in `$schema`: SARIF 2.1.0 with Errata 01, as OASIS publishes it.
    public static let schemaURI =
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

    /// A log of diagnostics: one result per diagnostic, its notes as related locations and its
    /// hint in the message. Rules are the diagnostic ids used, in id order.
    public static func diagnostics(_ ds: [Diagnostic], sources: SourceManager) -> String {
        let ids = Set(ds.map(\.id)).sorted { $0.rawValue < $1.rawValue }
        let rules: [JSONValue] = ids.map { id in
            .object(["id": .string(id.rawValue), "name": .string(ruleName(id)),
                     "shortDescription": .object(["text": .string(ruleDescription(id))])])
        }
        let results: [JSONValue] = ds.map { d in
            var text = d.message
            if let h = d.hint { text += "\nhint: " + h }
            var result: [String: JSONValue] = [
                "ruleId": .string(d.id.rawValue),
                "ruleIndex": .int(ids.firstIndex(of: d.id)!),
                "level": .string(level(d.severity)),
                "message": .object(["text": .string(text)]),
            ]
            if let l = location(d.range, sources) { result["locations"] = .array([.object(["physicalLocation": l])]) }
            let related: [JSONValue] = d.notes.enumerated().compactMap { i, n in
                guard let l = location(n.range, sources) else { return nil }
                return .object(["id": .int(i + 1), "message": .object(["text": .string(n.message)]),
                                "physicalLocation": l])
            }
            if !related.isEmpty { result["relatedLocations"] = .array(related) }
            return .object(result)
        }
        return log(rules: rules, results: results)
    }

    /// A log of semantic diffs: one result per change. The level of a widening or narrowing
    /// is `error` when its impact is in `failing` (it makes `diff` exit non-zero), `warning`
    /// otherwise; other changes are `note`. The result sits at the change's first declaration
    /// on the new side (the old side for a removal); every other declaration of either side is
    /// a related location, its message saying which side it is on.
    public static func diff(_ diffs: [SemanticDiff], failing: Set<Impact>) -> String {
        let changes = diffs.flatMap { d in d.changes.map { (d, $0) } }
        var kinds: [PolicyChange.Kind] = []
        for (_, c) in changes where !kinds.contains(c.kind) { kinds.append(c.kind) }
        kinds.sort { $0.rawValue < $1.rawValue }
        let rules: [JSONValue] = kinds.map { k in
            let words = k.rawValue.split(separator: "-").joined(separator: " ")
            return .object(["id": .string(k.rawValue), "name": .string(k.rawValue),
                     "shortDescription": .object(["text": .string("\(k.impact.rawValue): \(words)")]),
                     "properties": .object(["impact": .string(k.impact.rawValue)])])
        }
        let results: [JSONValue] = changes.map { d, c in
            let level = c.fails(failing) ? "error" : c.impact == .other ? "note" : "warning"
            var sided: [(side: String, location: DiffLocation)] = []
            for (side, ev) in [("new", c.new), ("old", c.old)] {
                for l in ev?.locations ?? [] { sided.append((side, l)) }
            }
            var result: [String: JSONValue] = [
                "ruleId": .string(c.kind.rawValue),
                "ruleIndex": .int(kinds.firstIndex(of: c.kind)!),
                "level": .string(level),
                "message": .object(["text": .string("\(c.impact.rawValue): \(c.summary)")]),
                "properties": .object(["impact": .string(c.impact.rawValue), "subject": .string(c.subject),
                                       "policy": .string(d.policyName), "old": .string(d.oldLabel),
                                       "new": .string(d.newLabel)]),
            ]
            if let first = sided.first {
                result["locations"] = .array([.object(["physicalLocation": location(first.location)])])
            }
            let related: [JSONValue] = sided.dropFirst().enumerated().map { i, s in
                .object(["id": .int(i + 1), "message": .object(["text": .string("\(s.side): \(s.location.message)")]),
                         "physicalLocation": location(s.location)])
            }
            if !related.isEmpty { result["relatedLocations"] = .array(related) }
            return .object(result)
        }
        return log(rules: rules, results: results)
    }

    static func log(rules: [JSONValue], results: [JSONValue]) -> String {
        let driver: JSONValue = .object(["name": .string("kfpolicy"), "version": .string(kfpolicyVersion),
                                         "semanticVersion": .string(kfpolicyVersion), "rules": .array(rules)])
        let run: JSONValue = .object(["tool": .object(["driver": driver]), "columnKind": .string("unicodeCodePoints"),
                                      "results": .array(results)])
        let log: JSONValue = .object(["$schema": .string(schemaURI), "version": .string("2.1.0"),
                                      "runs": .array([run])])
        return log.render() + "\n"
    }

    static func level(_ s: Severity) -> String {
        switch s {
        case .error: return "error"
        case .warning: return "warning"
        case .note: return "note"
        }
    }

    /// `nestingCycle` for KFP501: the id's case name.
    static func ruleName(_ id: DiagID) -> String { String(describing: id) }

    /// `nesting cycle`: the case name in words.
    static func ruleDescription(_ id: DiagID) -> String {
        var out = ""
        for ch in ruleName(id) {
            if ch.isUppercase, !out.isEmpty { out += " " }
            out += ch.lowercased()
        }
        return out
    }

    /// A physical location of a source range: 1-based lines and columns in Unicode code points,
    /// the end column just past the range. Nil for a range in no file.
    static func location(_ r: SourceRange, _ sources: SourceManager) -> JSONValue? {
        guard let f = sources.file(r) else { return nil }
        let (start, end) = (TextPosition(f, r.start), TextPosition(f, max(r.start, r.end)))
        return physical(path: f.path, region: ["startLine": .int(start.line), "startColumn": .int(start.column),
                                               "endLine": .int(end.line), "endColumn": .int(end.column)])
    }

    /// A diff location holds a line and a byte column (equal to the code point column for the
    /// ASCII text of policies).
    static func location(_ l: DiffLocation) -> JSONValue {
        physical(path: l.path, region: ["startLine": .int(l.line), "startColumn": .int(l.column)])
    }

    static func physical(path: String, region: [String: JSONValue]) -> JSONValue {
        var artifact: [String: JSONValue] = ["uri": .string(uriReference(forPath: path))]
        // A relative path is relative to where kfpolicy ran, the source root in CI.
        if !path.hasPrefix("/") { artifact["uriBaseId"] = .string("%SRCROOT%") }
        return .object(["artifactLocation": .object(artifact), "region": .object(region)])
    }
}

/// A 1-based line and a 1-based column counted in Unicode code points, of a byte offset.
struct TextPosition {
    let line: Int
    let column: Int

    init(_ f: SourceFile, _ offset: Int) {
        let (line, byteColumn) = f.lineColumn(offset)
        let lineStart = offset - (byteColumn - 1)
        // Continuation bytes (10xxxxxx) start no code point.
        let end = min(offset, f.text.count)
        var column = 1
        if lineStart < end { for b in f.text[lineStart..<end] where b & 0xC0 != 0x80 { column += 1 } }
        self.line = line
        self.column = column
    }
}

extension PolicyChange {
    /// Whether the change makes `diff` exit non-zero when the impacts in `failing` do: a
    /// renamed kfunc is a narrowing that counts as a widening too.
    func fails(_ failing: Set<Impact>) -> Bool {
        failing.contains(impact) || (kind.alsoWidens && failing.contains(.widening))
    }
}

// kfpolicy lint's control over its findings: warning ids disabled by name or id, findings
// silenced one at a time by a comment in the program (`// kfpolicy: allow KFP706 <reason>`),
// and warnings promoted to errors.

import KFPolicy

/// What the user asked lint to leave out or make stricter.
public struct LintOptions: Sendable {
    /// Warning ids not to report at all.
    public var disabled: Set<DiagID> = []
    /// Report every warning as an error (the summary and the exit status count them so).
    public var warningsAsErrors = false
    public init(disabled: Set<DiagID> = [], warningsAsErrors: Bool = false) {
        self.disabled = disabled; self.warningsAsErrors = warningsAsErrors
    }
}

extension DiagID {
    /// Each lint warning's name, for `-Wno-NAME` and in suppression comments.
    public static let lintWarningNames: [DiagID: String] = [
        .lintUnknownKfunc: "unknown-kfunc", .lintAddressTaken: "address-taken", .lintUnresolvedCall: "unresolved-call",
        .lintUnboundProgram: "unbound-program", .lintUnknownMember: "unknown-member",
        .lintNothingChecked: "nothing-checked", .lintUnusedSuppression: "unused-suppression",
        .lintSuppressionWithoutReason: "suppression-without-reason",
    ]

    /// A lint diagnostic id from `KFP706` or its warning name (`unresolved-call`).
    public static func lint(named text: String) -> DiagID? {
        if let id = DiagID(rawValue: text.uppercased()), id.rawValue.hasPrefix("KFP7") { return id }
        return lintWarningNames.first { $0.value == text }?.key
    }
}

/// `kfpolicy: allow ID[,ID...] reason` in a comment: silences the findings of those ids reported
/// on the comment's line or on the line after it (so the comment can sit above the code).
struct LintSuppression {
    let ids: [DiagID]
    /// Words after `allow` that name no lint diagnostic.
    let unknown: [String]
    let reason: String
    /// The `kfpolicy:` marker.
    let site: SourceRange
    /// 1-based line of the comment.
    let line: Int
}

enum LintSuppressionScanner {
    static let marker = Array("kfpolicy:".utf8)

    /// The suppression comments of one file (`file` is its SourceManager id).
    static func scan(_ text: [UInt8], file: Int, source: SourceFile) -> [LintSuppression] {
        var out: [LintSuppression] = []
        var from = 0
        while let at = text.firstIndex(of: marker, from: from) {
            from = at + marker.count
            guard isInComment(text, at) else { continue }
            var end = from
            while end < text.count, text[end] != 10 { end += 1 }
            let close = text[from..<end].indices.first { i in
                text[i] == 0x2A && i + 1 < end && text[i + 1] == 0x2F
            } ?? end
            let body = String(decoding: text[from..<close], as: UTF8.self)
            var words = body.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard words.first == "allow" else { continue }
            words.removeFirst()
            var ids: [DiagID] = [], unknown: [String] = []
            // The ids: words that look like ids or names, comma-separated or not; the rest is the reason.
            while let w = words.first {
                let names = w.split(separator: ",").map { String($0).trimmingCharacters(in: ":") }
                let looksLikeID = names.allSatisfy { $0.hasPrefix("KFP") || DiagID.lint(named: $0) != nil }
                guard looksLikeID, !names.isEmpty else { break }
                for n in names {
                    if let id = DiagID.lint(named: n) { ids.append(id) } else { unknown.append(n) }
                }
                words.removeFirst()
                if !w.hasSuffix(",") { break }
            }
            let reason = words.joined(separator: " ").trimmingCharacters(in: " ")
            let range = SourceRange(file: file, start: at, end: at + marker.count - 1)
            out.append(LintSuppression(ids: ids, unknown: unknown, reason: reason.trimmingCharacters(in: "-"),
                                       site: range, line: source.lineColumn(at).line))
        }
        return out
    }

    /// True when `at` lies after `//` on its line or inside a `/* */` that starts on its line.
    static func isInComment(_ t: [UInt8], _ at: Int) -> Bool {
        var i = at
        while i > 0, t[i - 1] != 10 { i -= 1 }
        var j = i
        while j + 1 < at {
            if t[j] == 0x2F, t[j + 1] == 0x2F || t[j + 1] == 0x2A { return true }
            j += 1
        }
        return false
    }
}

extension Linter {
    /// Applies the options and the suppression comments to the findings: drops disabled ids and
    /// silenced findings, reports unused and reasonless suppressions, promotes warnings.
    static func control(_ findings: [LintFinding], suppressions: [LintSuppression], options: LintOptions,
                        sources: SourceManager) -> [LintFinding] {
        var used = [Bool](repeating: false, count: suppressions.count)
        var out: [LintFinding] = []
        for f in findings {
            let d = f.diagnostic
            if d.severity == .warning, options.disabled.contains(d.id) { continue }
            let sites = [d.range] + f.stepSites
            if let i = suppressions.indices.first(where: { s in
                suppressions[s].ids.contains(d.id) && sites.contains { covers(suppressions[s], $0, sources) }
            }) {
                used[i] = true
                continue
            }
            out.append(f)
        }
        for (i, s) in suppressions.enumerated() {
            let names = (s.ids.map(\.rawValue) + s.unknown).joined(separator: ", ")
            if !s.unknown.isEmpty || !used[i] {
                let what = s.unknown.isEmpty ? "no \(names) finding is reported on this line or the next"
                    : "'\(s.unknown.joined(separator: "', '"))' names no kfpolicy lint diagnostic"
                out.append(LintFinding(diagnostic: Diagnostic(
                    .warning, .lintUnusedSuppression, "this suppression silences nothing: \(what)", at: s.site,
                    hint: "remove the comment, or put it on the line of the finding or the line above"), chain: []))
            }
            if s.ids.isEmpty && s.unknown.isEmpty || s.reason.isEmpty {
                out.append(LintFinding(diagnostic: Diagnostic(
                    .warning, .lintSuppressionWithoutReason, "a suppression must say which finding it silences and why",
                    at: s.site, hint: "write it as 'kfpolicy: allow KFP706 <why this finding is not a problem>'"),
                    chain: []))
            }
        }
        out.removeAll { $0.diagnostic.severity == .warning && options.disabled.contains($0.diagnostic.id) }
        guard options.warningsAsErrors else { return out }
        return out.map { f in
            let d = f.diagnostic
            guard d.severity == .warning else { return f }
            let promoted = Diagnostic(.error, d.id, d.message, at: d.range, notes: d.notes, hint: d.hint)
            return LintFinding(diagnostic: promoted, chain: f.chain, stepSites: f.stepSites)
        }
    }

    static func covers(_ s: LintSuppression, _ r: SourceRange, _ sources: SourceManager) -> Bool {
        guard r.file == s.site.file, let f = sources.file(r) else { return false }
        let line = f.lineColumn(r.start).line
        return line == s.line || line == s.line + 1
    }
}

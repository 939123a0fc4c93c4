// Source files, locations and diagnostics: the leaf every phase reports through.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file of policy text, with its line table.
public struct SourceFile: Sendable {
    /// The path as the user gave it (or as an include resolved it); used in messages.
    public let path: String
    public let text: [UInt8]
    let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.text = bytes
        var starts = [0]
        bytes.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            guard let base = buf.baseAddress else { return }
            var off = 0
            while off < buf.count, let nl = memchr(base + off, 10, buf.count - off) { // each newline, by memchr
                off = base.distance(to: UnsafeRawPointer(nl)) + 1
                starts.append(off)
            }
        }
        self.lineStarts = starts
    }

    public init(path: String, text: String) { self.init(path: path, bytes: Array(text.utf8)) }

    /// 1-based line and column (in bytes) of a byte offset.
    public func lineColumn(_ offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, offset - lineStarts[lo] + 1)
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : text.count
        if end > start, end <= text.count, text[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: text[start..<max(start, end)], as: UTF8.self)
    }
}

/// A byte range in one source file.
public struct SourceRange: Sendable, Hashable {
    public let file: Int
    public let start: Int
    public let end: Int
    public init(file: Int, start: Int, end: Int) { self.file = file; self.start = start; self.end = end }
    /// A range that names no file: used for facts that come from no declaration.
    public static let none = SourceRange(file: -1, start: 0, end: 0)
    public var isNone: Bool { file < 0 }
}

/// All files read in one run, indexed by `SourceRange.file`.
public final class SourceManager: @unchecked Sendable {
    public private(set) var files: [SourceFile] = []
    public init() {}
    public func add(_ file: SourceFile) -> Int { files.append(file); return files.count - 1 }
    public func file(_ range: SourceRange) -> SourceFile? { range.isNone ? nil : files[range.file] }

    /// `path:line:col` of a range's start, or `<unknown>`.
    public func describe(_ range: SourceRange) -> String {
        guard let f = file(range) else { return "<unknown>" }
        let (l, c) = f.lineColumn(range.start)
        return "\(f.path):\(l):\(c)"
    }

    public func position(_ range: SourceRange) -> (path: String, line: Int, column: Int)? {
        guard let f = file(range) else { return nil }
        let (l, c) = f.lineColumn(range.start)
        return (f.path, l, c)
    }
}

public enum Severity: String, Sendable, Comparable {
    case note, warning, error
    var rank: Int { self == .error ? 2 : self == .warning ? 1 : 0 }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// Stable diagnostic identifiers. The raw value is printed and is part of the tool's interface:
/// never renumber; retire ids instead.
public enum DiagID: String, Sendable, CaseIterable {
    // Lexer and parser
    case invalidCharacter = "KFP001"
    case unterminatedString = "KFP002"
    case unterminatedComment = "KFP003"
    case expectedToken = "KFP004"
    case unexpectedToken = "KFP005"
    case invalidUTF8 = "KFP006"
    // Files and includes
    case includeNotFound = "KFP101"
    case includeCycle = "KFP102"
    case policyInInclude = "KFP103"
    case missingPolicy = "KFP104"
    case duplicatePolicy = "KFP105"
    case nestingTooDeep = "KFP106"
    case notAllowedInConditional = "KFP107"
    case badStatementValue = "KFP108"
    case formMismatch = "KFP109"
    // Names
    case unknownName = "KFP201"
    case duplicateName = "KFP202"
    case wrongKind = "KFP203"
    case unknownFlag = "KFP204"
    case unknownProgType = "KFP205"
    case reservedName = "KFP206"
    // Masks and contexts
    case emptyMask = "KFP301"
    case tooManyContexts = "KFP302"
    case groupCycle = "KFP303"
    case duplicateMember = "KFP304"
    // Kfuncs
    case kfuncNotInSet = "KFP401"
    case kfuncNoCallback = "KFP402"
    case sleepableInNonSleepable = "KFP403"
    case duplicateStatement = "KFP404"
    case implNotAllowed = "KFP405"
    case duplicateImpl = "KFP406"
    case emptySet = "KFP407"
    case flagsConflict = "KFP408"
    case kernelLimit = "KFP409"
    case moduleSetsPerHook = "KFP410"
    case externalMixed = "KFP411"
    case renameCollision = "KFP412"
    // Nesting
    case nestingCycle = "KFP501"
    case selfNest = "KFP502"
    case nestingCycleChecked = "KFP503"
    // Warnings
    case unusedContext = "KFP601"
    case unusedGroup = "KFP602"
    case unusedRequirement = "KFP603"
    case callbackNoContext = "KFP604"
    // kfpolicy lint: BPF C programs checked against a policy (LintCorpusTests exercises them)
    case lintKfuncNotAllowed = "KFP701"
    case lintSleepableProgram = "KFP702"
    case lintSleepableKfunc = "KFP703"
    case lintUnknownKfunc = "KFP704"
    case lintAddressTaken = "KFP705"
    case lintUnresolvedCall = "KFP706"
    case lintUnboundProgram = "KFP707"
    case lintUnknownMember = "KFP708"
    case lintClangError = "KFP709"
    case lintNothingChecked = "KFP710"
    case lintUnusedSuppression = "KFP711"
    case lintSuppressionWithoutReason = "KFP712"
    // A policy compared with kernel sources (check --kernel-src, import)
    case kernelStructNotFound = "KFP801"
    case kernelCallbackNotMember = "KFP802"
    case kernelMemberNotInPolicy = "KFP803"
    case kernelKfuncNotFound = "KFP804"
    case kernelFlagsDiffer = "KFP805"
    case kernelSetDiffers = "KFP806"
    case kernelSetNotFound = "KFP807"
    case kernelProgTypesDiffer = "KFP808"
    case importNotInferred = "KFP850"
    // Generated C checked with libclang against the model (an error is a bug of kfpolicy)
    case generatedCError = "KFP901"
    case generatedCMismatch = "KFP902"
    case generatedCWarning = "KFP903"
}

extension DiagID {
    /// Ids that come from comparing a policy with C code (kernel sources, generated headers)
    /// rather than from a policy alone; KernelSourceTests, ImportTests and ValidateTests
    /// exercise them, not the invalid-policy corpus.
    public static let fromCCode: Set<DiagID> = [
        .kernelStructNotFound, .kernelCallbackNotMember, .kernelMemberNotInPolicy, .kernelKfuncNotFound,
        .kernelFlagsDiffer, .kernelSetDiffers, .kernelSetNotFound, .kernelProgTypesDiffer, .importNotInferred,
        .generatedCError, .generatedCMismatch, .generatedCWarning,
        .lintKfuncNotAllowed, .lintSleepableProgram, .lintSleepableKfunc, .lintUnknownKfunc, .lintAddressTaken,
        .lintUnresolvedCall, .lintUnboundProgram, .lintUnknownMember, .lintClangError, .lintNothingChecked,
        .lintUnusedSuppression, .lintSuppressionWithoutReason,
    ]
}

/// A secondary message attached to a diagnostic, usually pointing at a related declaration.
public struct DiagnosticNote: Sendable {
    public let message: String
    public let range: SourceRange
    public init(_ message: String, at range: SourceRange) { self.message = message; self.range = range }
}

/// One finding, as data: renderers turn it into text or JSON.
public struct Diagnostic: Sendable {
    public let id: DiagID
    public let severity: Severity
    public let message: String
    public let range: SourceRange
    public var notes: [DiagnosticNote]
    /// A suggestion such as "did you mean 'dispatch'?".
    public var hint: String?

    public init(_ severity: Severity, _ id: DiagID, _ message: String, at range: SourceRange,
                notes: [DiagnosticNote] = [], hint: String? = nil) {
        self.id = id; self.severity = severity; self.message = message
        self.range = range; self.notes = notes; self.hint = hint
    }
}

/// Collects diagnostics in the order they are found. It keeps the first `storedLimit` and only
/// counts the rest, so a 10 MB file of junk (two million errors) stays in bounded memory.
public struct DiagnosticBag: Sendable {
    public static let storedLimit = 10_000
    public private(set) var items: [Diagnostic] = []
    /// Diagnostics found past `storedLimit`: counted, not kept.
    public private(set) var droppedErrors = 0
    public private(set) var droppedWarnings = 0
    public init() {}
    public mutating func add(_ d: Diagnostic) {
        guard items.count < DiagnosticBag.storedLimit else {
            if d.severity == .error { droppedErrors += 1 } else { droppedWarnings += 1 }
            return
        }
        items.append(d)
    }
    public mutating func error(_ id: DiagID, _ message: String, at range: SourceRange,
                               notes: [DiagnosticNote] = [], hint: String? = nil) {
        add(Diagnostic(.error, id, message, at: range, notes: notes, hint: hint))
    }
    public mutating func warning(_ id: DiagID, _ message: String, at range: SourceRange,
                                 notes: [DiagnosticNote] = [], hint: String? = nil) {
        add(Diagnostic(.warning, id, message, at: range, notes: notes, hint: hint))
    }
    public mutating func append(contentsOf other: DiagnosticBag) {
        for d in other.items { add(d) }
        droppedErrors += other.droppedErrors
        droppedWarnings += other.droppedWarnings
    }
    /// The same diagnostics, with the errors of `ids` reported as warnings.
    public func downgrading(_ ids: Set<DiagID>) -> DiagnosticBag {
        var b = self
        b.items = items.map { d in
            guard d.severity == .error, ids.contains(d.id) else { return d }
            return Diagnostic(.warning, d.id, d.message, at: d.range, notes: d.notes, hint: d.hint)
        }
        return b
    }
    public var hasErrors: Bool { droppedErrors > 0 || items.contains { $0.severity == .error } }
    public var errorCount: Int { items.filter { $0.severity == .error }.count + droppedErrors }
    public var warningCount: Int { items.filter { $0.severity == .warning }.count + droppedWarnings }

    /// Diagnostics in source order (file, offset), errors before warnings at one spot.
    public var sorted: [Diagnostic] {
        items.enumerated().sorted { a, b in
            let x = a.element.range, y = b.element.range
            if x.file != y.file { return x.file < y.file }
            if x.start != y.start { return x.start < y.start }
            return a.offset < b.offset
        }.map(\.element)
    }
}

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
        let lineStart = f.lineStarts[line - 1]
        var lineEnd = line < f.lineStarts.count ? f.lineStarts[line] - 1 : f.text.count
        if lineEnd > lineStart, f.text[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
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
        let visible = f.text[from..<max(from, to)].map { $0 == 9 || ($0 >= 0x20 && $0 != 0x7F) ? $0 : UInt8(ascii: "?") }
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
            out += "  {" + fields(d.range) + ", \"id\": \(jsonString(d.id.rawValue)), \"severity\": \(jsonString(d.severity.rawValue)), \"message\": \(jsonString(d.message))"
            if let h = d.hint { out += ", \"hint\": \(jsonString(h))" }
            out += ", \"notes\": ["
            out += d.notes.map { "{" + fields($0.range) + ", \"message\": \(jsonString($0.message))}" }.joined(separator: ", ")
            out += "]}" + (i + 1 < ds.count ? ",\n" : "\n")
        }
        return out + "]\n"
    }

    private func fields(_ r: SourceRange) -> String {
        guard let p = sources.position(r) else { return "\"file\": null, \"line\": 0, \"column\": 0" }
        return "\"file\": \(jsonString(p.path)), \"line\": \(p.line), \"column\": \(p.column)"
    }
}

/// A JSON string literal.
public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 {
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

/// Edit distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// The closest candidate within a distance proportional to the name's length (at least
/// `minimumLimit`), if any. Names longer than 128 bytes get no suggestion: the cost is the
/// product of the lengths.
public func closest(to name: String, in candidates: some Sequence<String>, minimumLimit: Int = 1) -> String? {
    var work = Int.max
    return closest(to: name, in: candidates, work: &work, minimumLimit: minimumLimit)
}

/// As `closest(to:in:)`, spending at most `work` edit-distance cells (and deducting them), so a
/// caller can bound the cost of many suggestions. When the work runs out it answers nil, never
/// a partial best: the answer must not depend on the order of the candidates.
func closest(to name: String, in candidates: some Sequence<String>, work: inout Int, minimumLimit: Int = 1) -> String? {
    let n = name.utf8.count
    guard n <= 128 else { return nil }
    var best: (String, Int)?
    let limit = max(minimumLimit, name.count / 3)
    for c in candidates {
        // The distance is at least the difference in length: skip without computing it.
        let m = c.utf8.count
        if abs(m - n) > limit { continue }
        if work <= 0 { return nil }
        work -= max(1, n * m)
        let d = editDistance(name, c)
        if d <= limit, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
    }
    return best?.0
}

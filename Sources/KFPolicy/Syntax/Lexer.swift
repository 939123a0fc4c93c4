// The lexer: bytes to tokens, with comments kept as trivia on the following token.

/// One token: its kind and where it is. A token holds no text and no reference-counted
/// storage, so the parser copies tokens freely; the lexer gives a token's text and comments.
public struct Token: Sendable {
    public enum Kind: UInt8, Sendable, Equatable {
        case ident, number, string, punct, arrow, eof
    }
    public let kind: Kind
    /// True when this token is the first on its line.
    public var startsLine = false
    /// True when a blank line precedes this token (after any comments).
    public var blankBefore = false
    /// For punctuation, its character; for a string, `"` when it has its closing quote.
    public let byte: UInt8
    let file: Int32
    public let start: Int
    public let end: Int
    /// The comments between the previous token and this one: `Lexer.comments[commentStart..<commentEnd]`.
    public var commentStart: Int
    public let commentEnd: Int

    public var range: SourceRange { SourceRange(file: Int(file), start: start, end: end) }
    public var hasComments: Bool { commentStart < commentEnd }
}

/// Turns one file's bytes into tokens, one at a time (`next()`), so the parser never holds an
/// array of every token. Never fails: bad bytes become diagnostics and are skipped.
public struct Lexer {
    let bytes: [UInt8]
    let file: Int
    var pos = 0
    public private(set) var diagnostics = DiagnosticBag()
    /// Every comment so far; a token names its own by index.
    public private(set) var comments: [Comment] = []
    /// Start offsets of the errors reported so far, in file order.
    public private(set) var errorOffsets: [Int] = []
    var pendingStart = 0 // comments[pendingStart...] come before the next token
    var newlines = 1 // newlines seen since the last token; the file start counts as a line start
    var blankPending = false
    var sawToken = false
    /// Where lexing stops: the end of the file.
    let end: Int

    public init(_ source: SourceFile, file: Int) {
        self.bytes = source.text
        self.file = file
        end = bytes.count
        // Reject invalid UTF-8 once, at the first bad byte, so later phases see text.
        if let bad = firstInvalidUTF8(bytes) {
            error(.invalidUTF8, "file is not valid UTF-8", at: range(bad, bad + 1), hint: "policy files are UTF-8 text")
            pos = bytes.count
        }
    }

    mutating func error(_ id: DiagID, _ message: String, at r: SourceRange, hint: String? = nil) {
        diagnostics.error(id, message, at: r, hint: hint)
        errorOffsets.append(r.start)
    }

    /// For identifiers the name, for punctuation the character, for strings the decoded value.
    public func text(_ t: Token) -> String { Lexer.text(t, bytes) }
    public func isWord(_ t: Token, _ word: StaticString) -> Bool { Lexer.isWord(t, word, bytes) }
    public func comments(_ t: Token) -> ArraySlice<Comment> { comments[t.commentStart..<t.commentEnd] }

    static func text(_ t: Token, _ bytes: [UInt8]) -> String {
        switch t.kind {
        case .ident, .number, .arrow: return String(decoding: bytes[t.start..<t.end], as: UTF8.self)
        case .punct: return String(UnicodeScalar(t.byte))
        case .eof: return ""
        case .string:
            // Between the quotes (the closing one may be missing), with `\x` standing for x.
            var value: [UInt8] = []
            var j = t.start + 1
            let end = t.byte == 34 ? t.end - 1 : t.end
            while j < end {
                if bytes[j] == 92, j + 1 < end { value.append(bytes[j + 1]); j += 2; continue }
                value.append(bytes[j]); j += 1
            }
            return String(decoding: value, as: UTF8.self)
        }
    }

    static func isWord(_ t: Token, _ word: StaticString, _ bytes: [UInt8]) -> Bool {
        guard t.kind == .ident, t.end - t.start == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { w in
            var k = 0
            while k < w.count { if bytes[t.start + k] != w[k] { return false }; k += 1 }
            return true
        }
    }

    func range(_ a: Int, _ b: Int) -> SourceRange { SourceRange(file: file, start: a, end: b) }

    /// The longest identifier: the kernel keeps BTF and symbol names shorter than KSYM_NAME_LEN
    /// (512 since Linux 6.1).
    static let maxIdentifierLength = 511

    static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95
    }
    static func isIdent(_ b: UInt8) -> Bool { isIdentStart(b) || (b >= 48 && b <= 57) }

    /// The next token; at the end, an end-of-file token (again on each call).
    public mutating func next() -> Token {
        let n = end
        while pos < n {
            let b = bytes[pos]
            if b == 10 {
                newlines += 1
                if newlines >= 2 && (sawToken || !comments.isEmpty) { blankPending = true }
                pos += 1; continue
            }
            if b == 32 || b == 9 || b == 13 || b == 12 || b == 11 { pos += 1; continue }
            let start = pos
            if b == 47, pos + 1 < n, bytes[pos + 1] == 47 { // line comment
                while pos < n, bytes[pos] != 10 { pos += 1 }
                var end = pos
                while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 || bytes[end - 1] == 13 { end -= 1 }
                comments.append(Comment(text: String(decoding: bytes[start..<end], as: UTF8.self),
                                       range: range(start, end), ownLine: newlines > 0 || !sawToken,
                                       blankBefore: blankPending))
                blankPending = false; newlines = 0
                continue
            }
            if b == 47, pos + 1 < n, bytes[pos + 1] == 42 { // block comment
                pos += 2
                var closed = false
                while pos + 1 < n {
                    if bytes[pos] == 42 && bytes[pos + 1] == 47 { pos += 2; closed = true; break }
                    pos += 1
                }
                if !closed {
                    pos = n
                    error(.unterminatedComment, "unterminated block comment", at: range(start, start + 2),
                                      hint: "close it with '*/'")
                }
                comments.append(Comment(text: String(decoding: bytes[start..<pos], as: UTF8.self),
                                       range: range(start, pos), ownLine: newlines > 0 || !sawToken,
                                       blankBefore: blankPending))
                blankPending = false; newlines = 0
                continue
            }
            let kind: Token.Kind
            var byte: UInt8 = 0
            if Lexer.isIdentStart(b) {
                while pos < n, Lexer.isIdent(bytes[pos]) { pos += 1 }
                if pos - start > Lexer.maxIdentifierLength {
                    error(.kernelLimit, "identifier of \(pos - start) bytes; names in kernel BTF and kallsyms are at most \(Lexer.maxIdentifierLength) bytes (KSYM_NAME_LEN)",
                                      at: range(start, start + 1), hint: "use a shorter name")
                }
                kind = .ident
            } else if b >= 48 && b <= 57 {
                // A version number such as 6.12 (the `kernel` statement).
                while pos < n, (bytes[pos] >= 48 && bytes[pos] <= 57) || bytes[pos] == 46 { pos += 1 }
                kind = .number
            } else if b == 34 {
                pos += 1
                var closed = false
                while pos < n, bytes[pos] != 10 {
                    if bytes[pos] == 92, pos + 1 < n, bytes[pos + 1] != 10 { pos += 2; continue }
                    if bytes[pos] == 34 { pos += 1; closed = true; byte = 34; break }
                    pos += 1
                }
                if !closed {
                    error(.unterminatedString, "unterminated string", at: range(start, pos),
                                      hint: "close it with '\"' on the same line")
                }
                kind = .string
            } else if b == 45, pos + 1 < n, bytes[pos + 1] == 62 {
                pos += 2
                kind = .arrow
            } else if Lexer.isPunct(b) {
                pos += 1
                kind = .punct
                byte = b
            } else {
                // Skip the whole UTF-8 sequence so one bad character gives one error.
                pos += 1
                while pos < n, bytes[pos] & 0xC0 == 0x80 { pos += 1 }
                let shown = String(decoding: bytes[start..<pos], as: UTF8.self)
                error(.invalidCharacter, "unexpected character '\(shown)'", at: range(start, pos))
                continue
            }
            var tok = token(kind, start, pos, comments: pendingStart, comments.count, byte: byte)
            tok.startsLine = newlines > 0
            tok.blankBefore = blankPending
            pendingStart = comments.count; newlines = 0; blankPending = false
            sawToken = true
            return tok
        }
        var eof = token(.eof, n, n, comments: pendingStart, comments.count)
        eof.startsLine = true
        eof.blankBefore = blankPending
        return eof
    }

    func token(_ kind: Token.Kind, _ start: Int, _ end: Int, comments a: Int, _ b: Int, byte: UInt8 = 0) -> Token {
        Token(kind: kind, byte: byte, file: Int32(truncatingIfNeeded: file),
              start: start, end: end, commentStart: a, commentEnd: b)
    }

    /// `{ } ; : , = | & - ~ ( )`
    static func isPunct(_ b: UInt8) -> Bool {
        switch b {
        case 123, 125, 59, 58, 44, 61, 124, 38, 45, 126, 40, 41: return true
        default: return false
        }
    }
}

/// Offset of the first byte that is not part of valid UTF-8, or nil.
func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b = bytes[i]
        if b < 0x80 { i += 1; continue }
        var len = 0
        var minValue: UInt32 = 0
        var value: UInt32 = 0
        if b & 0xE0 == 0xC0 { len = 2; value = UInt32(b & 0x1F); minValue = 0x80 }
        else if b & 0xF0 == 0xE0 { len = 3; value = UInt32(b & 0x0F); minValue = 0x800 }
        else if b & 0xF8 == 0xF0 { len = 4; value = UInt32(b & 0x07); minValue = 0x10000 }
        else { return i }
        if i + len > n { return i }
        for k in 1..<len {
            let c = bytes[i + k]
            if c & 0xC0 != 0x80 { return i }
            value = value << 6 | UInt32(c & 0x3F)
        }
        if value < minValue || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF) { return i }
        i += len
    }
    return nil
}

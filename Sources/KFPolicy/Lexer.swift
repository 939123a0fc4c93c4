// The lexer: bytes to tokens, with comments kept as trivia on the following token.

public struct Token: Sendable {
    public enum Kind: Sendable, Equatable {
        case ident, string, punct, arrow, eof
    }
    public let kind: Kind
    /// For identifiers the name, for punctuation the character, for strings the decoded value.
    public let text: String
    public let range: SourceRange
    /// Comments between the previous token and this one.
    public var comments: [Comment] = []
    /// True when this token is the first on its line.
    public var startsLine = false
    /// True when a blank line precedes this token (after any comments).
    public var blankBefore = false
}

/// Turns one file's bytes into tokens. Never fails: bad bytes become diagnostics and are skipped.
public struct Lexer {
    let bytes: [UInt8]
    let file: Int
    var pos = 0
    public private(set) var diagnostics = DiagnosticBag()

    public init(_ source: SourceFile, file: Int) { self.bytes = source.text; self.file = file }

    func range(_ a: Int, _ b: Int) -> SourceRange { SourceRange(file: file, start: a, end: b) }

    /// The longest identifier: the kernel keeps BTF and symbol names shorter than KSYM_NAME_LEN
    /// (512 since Linux 6.1).
    static let maxIdentifierLength = 511

    static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95
    }
    static func isIdent(_ b: UInt8) -> Bool { isIdentStart(b) || (b >= 48 && b <= 57) }

    public mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        tokens.reserveCapacity(bytes.count / 5) // about one token per five bytes of policy text
        var pending: [Comment] = []
        var newlines = 1 // newlines seen since the last token; the file start counts as a line start
        var blankPending = false
        let n = bytes.count
        // Reject invalid UTF-8 once, at the first bad byte, so later phases see text.
        if let bad = firstInvalidUTF8(bytes) {
            diagnostics.error(.invalidUTF8, "file is not valid UTF-8", at: range(bad, bad + 1),
                              hint: "policy files are UTF-8 text")
            return [Token(kind: .eof, text: "", range: range(0, 0))]
        }
        while pos < n {
            let b = bytes[pos]
            if b == 10 {
                newlines += 1
                if newlines >= 2 && !(tokens.isEmpty && pending.isEmpty) { blankPending = true }
                pos += 1; continue
            }
            if b == 32 || b == 9 || b == 13 || b == 12 || b == 11 { pos += 1; continue }
            let start = pos
            if b == 47, pos + 1 < n, bytes[pos + 1] == 47 { // line comment
                while pos < n, bytes[pos] != 10 { pos += 1 }
                var end = pos
                while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 || bytes[end - 1] == 13 { end -= 1 }
                pending.append(Comment(text: String(decoding: bytes[start..<end], as: UTF8.self),
                                       range: range(start, end), ownLine: newlines > 0 || tokens.isEmpty,
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
                    diagnostics.error(.unterminatedComment, "unterminated block comment", at: range(start, start + 2),
                                      hint: "close it with '*/'")
                }
                pending.append(Comment(text: String(decoding: bytes[start..<pos], as: UTF8.self),
                                       range: range(start, pos), ownLine: newlines > 0 || tokens.isEmpty,
                                       blankBefore: blankPending))
                blankPending = false; newlines = 0
                continue
            }
            var tok: Token
            if Lexer.isIdentStart(b) {
                while pos < n, Lexer.isIdent(bytes[pos]) { pos += 1 }
                if pos - start > Lexer.maxIdentifierLength {
                    diagnostics.error(.kernelLimit, "identifier of \(pos - start) bytes; names in kernel BTF and kallsyms are at most \(Lexer.maxIdentifierLength) bytes (KSYM_NAME_LEN)",
                                      at: range(start, start + 1), hint: "use a shorter name")
                }
                tok = Token(kind: .ident, text: String(decoding: bytes[start..<pos], as: UTF8.self), range: range(start, pos))
            } else if b == 34 {
                pos += 1
                var value: [UInt8] = []
                var closed = false
                while pos < n, bytes[pos] != 10 {
                    if bytes[pos] == 92, pos + 1 < n, bytes[pos + 1] != 10 { value.append(bytes[pos + 1]); pos += 2; continue }
                    if bytes[pos] == 34 { pos += 1; closed = true; break }
                    value.append(bytes[pos]); pos += 1
                }
                if !closed {
                    diagnostics.error(.unterminatedString, "unterminated string", at: range(start, pos),
                                      hint: "close it with '\"' on the same line")
                }
                tok = Token(kind: .string, text: String(decoding: value, as: UTF8.self), range: range(start, pos))
            } else if b == 45, pos + 1 < n, bytes[pos + 1] == 62 {
                pos += 2
                tok = Token(kind: .arrow, text: "->", range: range(start, pos))
            } else if "{};:,=|&-~()".utf8.contains(b) {
                pos += 1
                tok = Token(kind: .punct, text: String(UnicodeScalar(b)), range: range(start, pos))
            } else {
                // Skip the whole UTF-8 sequence so one bad character gives one error.
                pos += 1
                while pos < n, bytes[pos] & 0xC0 == 0x80 { pos += 1 }
                let shown = String(decoding: bytes[start..<pos], as: UTF8.self)
                diagnostics.error(.invalidCharacter, "unexpected character '\(shown)'", at: range(start, pos))
                continue
            }
            tok.comments = pending
            tok.startsLine = newlines > 0
            tok.blankBefore = blankPending
            pending = []; newlines = 0; blankPending = false
            tokens.append(tok)
        }
        var eof = Token(kind: .eof, text: "", range: range(n, n))
        eof.comments = pending
        eof.startsLine = true
        eof.blankBefore = blankPending
        tokens.append(eof)
        return tokens
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

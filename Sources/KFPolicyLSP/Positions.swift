// LSP positions (0-based line, and a column in UTF-16 code units or, when the client agrees,
// UTF-8 bytes) against kfpolicy's byte offsets, and file URIs against paths.

import KFPolicy

/// How the client counts columns.
public enum PositionEncoding: String, Sendable {
    case utf16 = "utf-16"
    case utf8 = "utf-8"
}

/// The line starts of one text, to turn byte offsets into positions and back.
struct LineIndex {
    let text: [UInt8]
    let lineStarts: [Int]
    let encoding: PositionEncoding

    init(_ text: [UInt8], encoding: PositionEncoding) {
        self.text = text
        self.encoding = encoding
        var starts = [0]
        for (i, b) in text.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        lineStarts = starts
    }

    /// The LSP position of a byte offset.
    func position(_ offset: Int) -> JSON {
        let offset = max(0, min(offset, text.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let prefix = text[lineStarts[lo]..<offset]
        let column = encoding == .utf8 ? prefix.count : String(decoding: prefix, as: UTF8.self).utf16.count
        return ["line": .int(lo), "character": .int(column)]
    }

    /// The byte offset of an LSP position, clamped to its line (and to the text).
    func offset(_ position: JSON) -> Int {
        let line = position["line"].int ?? 0, character = position["character"].int ?? 0
        guard line >= 0 else { return 0 }
        guard line < lineStarts.count else { return text.count }
        let start = lineStarts[line]
        var end = line + 1 < lineStarts.count ? lineStarts[line + 1] - 1 : text.count
        if end > start, text[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if encoding == .utf8 { return min(start + max(0, character), end) }
        var units = 0, i = start
        while i < end, units < character {
            let b = text[i]
            let width = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            units += width == 4 ? 2 : 1
            i = min(end, i + width)
        }
        return i
    }

    func range(_ start: Int, _ end: Int) -> JSON { ["start": position(start), "end": position(max(start, end))] }

    /// The range of the whole text.
    var whole: JSON { range(0, text.count) }
}

/// `file:///a/b%20c.policy` to `/a/b c.policy`; any other URI stays as it is (it names no file).
func path(fromURI uri: String) -> String {
    guard uri.hasPrefix("file://") else { return uri }
    var rest = Array(uri.utf8.dropFirst("file://".count))
    // file://host/path: only an empty host or localhost names this machine.
    if let slash = rest.firstIndex(of: UInt8(ascii: "/")) { rest = Array(rest[slash...]) }
    var out: [UInt8] = []
    var i = 0
    while i < rest.count {
        if rest[i] == UInt8(ascii: "%"), i + 2 < rest.count,
           let h = hexValue(rest[i + 1]), let l = hexValue(rest[i + 2]) {
            out.append(h << 4 | l)
            i += 3
        } else {
            out.append(rest[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// `/a/b c.policy` to `file:///a/b%20c.policy`. A path that is already a URI (it was one when it
/// came in) stays as it is.
func uri(fromPath path: String) -> String {
    !path.hasPrefix("/") && path.contains(":") ? path : uriReference(forPath: path)
}

func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// `a/./b/../c` to `a/c`, so that an include names the same file as the document that is open.
func normalized(_ p: String) -> String {
    let absolute = p.hasPrefix("/")
    var parts: [Substring] = []
    for c in p.split(separator: "/") where c != "." {
        if c == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
        if c == "..", absolute { continue }
        parts.append(c)
    }
    return (absolute ? "/" : "") + parts.joined(separator: "/")
}

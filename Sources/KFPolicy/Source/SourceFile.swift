// Source files and locations: the leaf every phase reports through.

import Synchronization

/// One file of policy text, with its line table.
public struct SourceFile: Sendable {
    /// The path as the user gave it (or as an include resolved it); used in messages.
    public let path: String
    public let text: [UInt8]
    /// The byte offset where each line starts.
    let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.text = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    public init(path: String, text: String) { self.init(path: path, bytes: Array(text.utf8)) }

    /// How many lines the file has (a last line without a newline counts).
    public var lineCount: Int { lineStarts.count }

    /// 1-based line and column (in bytes) of a byte offset.
    public func lineColumn(_ offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, offset - lineStarts[lo] + 1)
    }

    /// The byte range of a 1-based line, without its newline or a carriage return before it.
    public func lineBounds(_ line: Int) -> Range<Int> {
        guard line >= 1, line <= lineStarts.count else { return text.count..<text.count }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : text.count
        if end > start, text[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<max(start, end)
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        String(decoding: text[lineBounds(line)], as: UTF8.self)
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

/// Every file one run reads (policies, includes, C files a validation or lint reads), indexed by
/// `SourceRange.file`. Phases add files as they read them and keep the ranges they hand out, so
/// the registry is shared by reference; a mutex keeps it safe to share across threads.
public final class SourceManager: Sendable {
    private let storage = Mutex<[SourceFile]>([])

    public init() {}

    /// Every file added so far, in order.
    public var files: [SourceFile] { storage.withLock { $0 } }

    /// Adds a file; returns its index.
    public func add(_ file: SourceFile) -> Int {
        storage.withLock { files in
            files.append(file)
            return files.count - 1
        }
    }

    public func file(_ range: SourceRange) -> SourceFile? {
        range.isNone ? nil : storage.withLock { $0[range.file] }
    }

    /// `path:line:col` of a range's start, or `<unknown>`.
    public func describe(_ range: SourceRange) -> String {
        guard let p = position(range) else { return "<unknown>" }
        return "\(p.path):\(p.line):\(p.column)"
    }

    public func position(_ range: SourceRange) -> (path: String, line: Int, column: Int)? {
        guard let f = file(range) else { return nil }
        let (l, c) = f.lineColumn(range.start)
        return (f.path, l, c)
    }
}

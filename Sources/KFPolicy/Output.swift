// Writing outputs: atomically (temp file + rename in the same directory) and only when the bytes
// change, so a failed or interrupted run never leaves a truncated file and make does not rebuild.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The version printed by `--version` and written into generated banners.
public let kfpolicyVersion = "0.1.0"

public struct WriteError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}

/// Replaces `path` with `bytes` atomically: the new content goes to a temporary file beside it,
/// is flushed to disk, and is renamed over the old file.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(WriteError) {
    let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    let base = path.split(separator: "/").last.map(String.init) ?? path
    var template = Array("\(dir.isEmpty ? "/" : dir)/.\(base).tmp.XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var ok = false
    defer { if !ok { unlink(tmp) } }
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
        if n < 0 {
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            close(fd)
            throw WriteError(path: path, reason: reason)
        }
        off += n
    }
    fchmod(fd, 0o644)
    if fsync(fd) != 0 || close(fd) != 0 { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    guard rename(tmp, path) == 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    ok = true
}

/// Writes `bytes` to `path` only when they differ from what is there. Returns true if written.
@discardableResult
public func writeIfChanged(_ path: String, _ bytes: [UInt8]) throws(WriteError) -> Bool {
    if let old = try? readFileBytes(path), old == bytes { return false }
    try writeFileAtomically(path, bytes)
    return true
}

/// Creates a directory and its parents if missing.
public func makeDirectory(_ path: String) throws(WriteError) {
    var cur = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        cur += "/" + part
        if mkdir(cur, 0o755) != 0 && errno != EEXIST {
            throw WriteError(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

/// A small unified-style line diff (longest common subsequence), for `gen --check`.
public func lineDiff(old: String, new: String, path: String) -> String {
    let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    // Trim the common prefix and suffix, then LCS on what is left (bounded to stay cheap).
    var pre = 0
    while pre < a.count, pre < b.count, a[pre] == b[pre] { pre += 1 }
    var suf = 0
    while suf < a.count - pre, suf < b.count - pre, a[a.count - 1 - suf] == b[b.count - 1 - suf] { suf += 1 }
    let x = Array(a[pre..<(a.count - suf)]), y = Array(b[pre..<(b.count - suf)])
    var out = "--- \(path) (committed)\n+++ \(path) (generated)\n@@ line \(pre + 1) @@\n"
    if x.count * y.count > 4_000_000 {
        for l in x { out += "-\(l)\n" }
        for l in y { out += "+\(l)\n" }
        return out
    }
    var t = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in stride(from: x.count - 1, through: 0, by: -1) {
        for j in stride(from: y.count - 1, through: 0, by: -1) {
            t[i][j] = x[i] == y[j] ? t[i + 1][j + 1] + 1 : max(t[i + 1][j], t[i][j + 1])
        }
    }
    var i = 0, j = 0
    while i < x.count || j < y.count {
        if i < x.count, j < y.count, x[i] == y[j] { out += " \(x[i])\n"; i += 1; j += 1 }
        else if i < x.count, j == y.count || t[i + 1][j] >= t[i][j + 1] { out += "-\(x[i])\n"; i += 1 }
        else { out += "+\(y[j])\n"; j += 1 }
    }
    return out
}

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

// Writing outputs: atomically (temp file + rename in the same directory) and only when the bytes
// change, so a failed or interrupted run never leaves a truncated file and make does not rebuild.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces `path` with `bytes` atomically: the new content goes to a temporary file beside it,
/// is flushed to disk, and is renamed over the old file. If the process is killed by SIGINT,
/// SIGTERM, SIGHUP or SIGQUIT meanwhile, a handler removes the temporary file (see
/// `removeTemporaryFileOnSignals`), so an interrupted run leaves the old file and nothing else.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(WriteError) {
    let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    let base = path.split(separator: "/").last.map(String.init) ?? path
    var template = Array("\(dir.isEmpty ? "/" : dir)/.\(base).tmp.XXXXXX".utf8CString)
    removeTemporaryFileOnSignals()
    // Signals wait until the temporary file is created and registered for removal.
    var blocked = sigset_t(), saved = sigset_t()
    sigemptyset(&blocked)
    for sig in cleanupSignals { sigaddset(&blocked, sig) }
    pthread_sigmask(SIG_BLOCK, &blocked, &saved)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    let mkstempErrno = errno
    let registered = fd >= 0 && registerPendingTemp(template)
    pthread_sigmask(SIG_SETMASK, &saved, nil)
    guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(mkstempErrno))) }
    let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var ok = false
    defer {
        if !ok { unlink(tmp) }
        if registered { pendingTempActive = 0 }
    }
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
    pauseBeforeRenameForTests()
    guard rename(tmp, path) == 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    ok = true
}

/// Writes `bytes` to `path` only when they differ from what is there. Returns true if written.
@discardableResult
public func writeIfChanged(_ path: String, _ bytes: [UInt8]) throws(WriteError) -> Bool {
    if fileHolds(path, bytes) { return false }
    try writeFileAtomically(path, bytes)
    return true
}

/// Whether the regular file at `path` holds exactly `bytes`: a size check, then the file is
/// compared a chunk at a time (a 50 MB header is not read into memory whole).
public func fileHolds(_ path: String, _ bytes: [UInt8]) -> Bool {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == bytes.count,
          let f = fopen(path, "rb") else { return false }
    defer { fclose(f) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var off = 0
    while off < bytes.count {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, min($0.count, bytes.count - off), f) }
        if n == 0 { return false }
        let same = chunk.withUnsafeBytes { a in
            bytes.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress! + off, n) == 0 }
        }
        if !same { return false }
        off += n
    }
    var extra: UInt8 = 0
    return fread(&extra, 1, 1, f) == 0 // the file did not grow meanwhile
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

/// Why an output could not be written.
public struct WriteError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}

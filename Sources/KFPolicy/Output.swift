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

// MARK: - Removing the temporary file when a signal kills the process

private let cleanupSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

/// The temporary file being written, for the signal handler: a buffer allocated once, so the
/// handler only reads memory and calls unlink(2), which is async-signal-safe. One write at a
/// time is covered; a concurrent second writer is simply not registered.
nonisolated(unsafe) private let pendingTemp: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
    p[0] = 0
    return p
}()
nonisolated(unsafe) private var pendingTempActive: Int32 = 0
nonisolated(unsafe) private var cleanupInstalled = false

private func registerPendingTemp(_ name: [CChar]) -> Bool {
    guard pendingTempActive == 0, name.count <= Int(PATH_MAX) else { return false }
    for (i, c) in name.enumerated() { pendingTemp[i] = c }
    pendingTempActive = 1
    return true
}

private func removePendingTempAndReraise(_ sig: Int32) {
    if pendingTempActive != 0 { unlink(pendingTemp) }
    signal(sig, SIG_DFL)
    raise(sig)
}

/// Installs, once, handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that remove the temporary
/// file of a write in progress and then die of the same signal. Signals the program already
/// handles (or ignores) are left alone.
public func removeTemporaryFileOnSignals() {
    guard !cleanupInstalled else { return }
    cleanupInstalled = true
    pendingTemp[0] = 0 // initialise the globals before a handler can read them
    pendingTempActive = 0
    #if canImport(Glibc)
    for sig in cleanupSignals {
        var old = sigaction()
        guard sigaction(sig, nil, &old) == 0, old.__sigaction_handler.sa_handler == nil,
              old.sa_flags & SA_SIGINFO == 0 else { continue }
        var sa = sigaction()
        sa.__sigaction_handler.sa_handler = removePendingTempAndReraise
        sigemptyset(&sa.sa_mask)
        sa.sa_flags = 0
        sigaction(sig, &sa, nil)
    }
    #endif
}

/// Test hook, off unless the environment sets it: KFPOLICY_TEST_PAUSE_BEFORE_RENAME=<ms> sleeps
/// between writing the temporary file and renaming it, so a test can interrupt a write midway.
private func pauseBeforeRenameForTests() {
    guard let v = getenv("KFPOLICY_TEST_PAUSE_BEFORE_RENAME"), let ms = Int(String(cString: v)), ms > 0 else { return }
    usleep(useconds_t(min(ms, 60_000)) * 1000)
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
        let same = chunk.withUnsafeBytes { a in bytes.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress! + off, n) == 0 } }
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

// Running another program (git, Graphviz's dot) with its standard input, output and error piped.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KFPolicy

/// What a child process printed and how it ended.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: [UInt8]
    public let stderr: [UInt8]
    /// Standard output's lines, without empty ones.
    public var stdoutLines: [String] { String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init) }
    /// Standard error's first non-empty line, for messages.
    public var errorLine: String {
        String(decoding: stderr, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "exit status \(status)"
    }
}

/// Runs `argv` (looked up on PATH), feeding `input` to its standard input and collecting both
/// outputs without risking a pipe deadlock. Throws when the program cannot be started.
public func runSubprocess(_ argv: [String], input: [UInt8] = []) throws(FileError) -> ProcessResult {
    precondition(!argv.isEmpty)
    signal(SIGPIPE, SIG_IGN) // a child that exits early must give EPIPE, not kill us
    var pin: [Int32] = [0, 0], pout: [Int32] = [0, 0], perr: [Int32] = [0, 0]
    guard pipe(&pin) == 0, pipe(&pout) == 0, pipe(&perr) == 0 else {
        throw FileError(path: argv[0], reason: String(cString: strerror(errno)))
    }
    // Close-on-exec everywhere: dup2 onto 0, 1 and 2 in the child clears it on those only.
    for fd in pin + pout + perr { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var fa = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fa)
    defer { posix_spawn_file_actions_destroy(&fa) }
    posix_spawn_file_actions_adddup2(&fa, pin[0], 0)
    posix_spawn_file_actions_adddup2(&fa, pout[1], 1)
    posix_spawn_file_actions_adddup2(&fa, perr[1], 2)
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for a in cargs { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &fa, nil, &cargs, environ)
    close(pin[0]); close(pout[1]); close(perr[1])
    guard rc == 0 else {
        close(pin[1]); close(pout[0]); close(perr[0])
        throw FileError(path: argv[0], reason: String(cString: strerror(rc)))
    }
    var out: [UInt8] = [], err: [UInt8] = []
    var written = 0
    var inFD: Int32 = pin[1]
    if input.isEmpty { close(inFD); inFD = -1 } else { _ = fcntl(inFD, F_SETFL, fcntl(inFD, F_GETFL) | O_NONBLOCK) }
    var open: [Int32] = [pout[0], perr[0]]
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while !open.isEmpty || inFD >= 0 {
        var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if inFD >= 0 { fds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
        if poll(&fds, nfds_t(fds.count), -1) < 0 { if errno == EINTR { continue }; break }
        for f in fds where f.revents != 0 {
            if f.fd == inFD {
                let n = input.withUnsafeBytes { write(inFD, $0.baseAddress! + written, input.count - written) }
                if n > 0 { written += n }
                if (n < 0 && errno != EAGAIN && errno != EINTR) || written == input.count { close(inFD); inFD = -1 }
                continue
            }
            let n = buf.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, $0.count) }
            if n > 0 {
                if f.fd == pout[0] { out += buf[0..<n] } else { err += buf[0..<n] }
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                close(f.fd)
                open.removeAll { $0 == f.fd }
            }
        }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS by hand: the macros are not imported into Swift.
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessResult(status: code, stdout: out, stderr: err)
}

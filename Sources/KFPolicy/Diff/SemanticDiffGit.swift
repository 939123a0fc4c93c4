// Reading the sides of a semantic diff from git: `REV:path` (with includes read from the same
// revision), `--git REV` against the working tree, and the arguments git gives a diff driver.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a child process printed and how it ended.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: [UInt8]
    public let stderr: [UInt8]
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

/// Reads policy files as they are at a git revision (`git cat-file blob REV:path`).
public struct GitRevisionReader: Sendable {
    /// A revision (`HEAD~1`, a branch, a commit) or `""` for the index (`git show :path`).
    public let revision: String
    /// `git -C` directory, or nil for the current one.
    public let directory: String?

    public init(revision: String, directory: String? = nil) { self.revision = revision; self.directory = directory }

    func git(_ args: [String]) throws(FileError) -> ProcessResult {
        try runSubprocess(["git"] + (directory.map { ["-C", $0] } ?? []) + args)
    }

    /// Reads one file; `path` is relative to the repository's top directory. (`cat-file blob`
    /// rather than `show`, which would list a directory instead of failing.)
    public func read(_ path: String) throws(FileError) -> [UInt8] {
        let r = try git(["cat-file", "blob", "\(revision):\(path)"])
        guard r.status == 0 else {
            var why = r.errorLine
            if why.hasPrefix("fatal: ") { why.removeFirst(7) }
            throw FileError(path: "\(revision):\(path)", reason: why)
        }
        return r.stdout
    }

    /// The repository's top directory.
    public func topLevel() throws(FileError) -> String {
        let r = try git(["rev-parse", "--show-toplevel"])
        guard r.status == 0 else { throw FileError(path: directory ?? ".", reason: "not in a git repository (\(r.errorLine))") }
        return String(decoding: r.stdout, as: UTF8.self).trimmingNewline()
    }

    /// A `REV:path` path made relative to the top directory: git reads `REV:./x` and `REV:../x`
    /// relative to the current directory and every other path relative to the top.
    public func rootRelative(_ path: String) throws(FileError) -> String {
        guard path.hasPrefix("./") || path.hasPrefix("../") || path == "." else { return normalizePath(path) }
        let r = try git(["rev-parse", "--show-prefix"])
        guard r.status == 0 else { throw FileError(path: path, reason: "not in a git repository (\(r.errorLine))") }
        return normalizePath(String(decoding: r.stdout, as: UTF8.self).trimmingNewline() + path)
    }

    /// Compiles `path` (relative to the top directory) and its includes as they are at the
    /// revision. Locations read `REV:path`.
    public func compile(_ path: String) throws(FileError) -> Compilation {
        let rel = try rootRelative(path)
        let bytes = try read(rel)
        let reader = self
        let c = Compilation.compile(path: rel, bytes: bytes, reader: { (p: String) throws(FileError) -> [UInt8] in try reader.read(p) })
        let rev = revision
        return c.relabeled { "\(rev):\($0)" }
    }

    /// The `*.policy` files directly in `dir` (relative to the top) at the revision.
    public func policies(in dir: String) throws(FileError) -> [String] {
        let d = normalizePath(dir)
        let r = try git(["ls-tree", "--name-only", revision, "--", d == "." ? "." : d + "/"])
        guard r.status == 0 else { throw FileError(path: "\(revision):\(d)", reason: r.errorLine) }
        return String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.hasSuffix(".policy") }.sorted()
    }
}

/// `*.policy` files directly in a directory of the file system, sorted.
public func policyFiles(inDirectory dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasSuffix(".policy") && !name.hasPrefix(".") { out.append(name) }
    }
    return out.sorted()
}

/// Compiles a file of the working tree whose path is relative to `top`, with locations shown
/// relative to `top`.
public func compileInTree(_ rel: String, top: String) throws(FileError) -> Compilation {
    let prefix = top.hasSuffix("/") ? top : top + "/"
    let c = try Compilation.compile(path: prefix + rel)
    return c.relabeled { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
}

/// The two sides git hands an external diff driver (`diff.<driver>.command`), which gets
/// `path old-file old-hex old-mode new-file new-hex new-mode`. Git does not say which revision
/// each blob comes from, so each side's includes are read from the first of these that holds
/// that very blob at `path`: the working tree (when git passes no blob id), the index, HEAD,
/// or the most recent commit that introduced the blob (`git log --find-object`); failing all,
/// from the working tree. A note says so whenever the choice was a guess.
public struct GitDriverSides {
    public let path: String
    public let old: Compilation
    public let new: Compilation
    /// Caveats to print with the report.
    public let notes: [String]
    /// True when a side declares no `policy`: an included file, which means nothing alone.
    public var isIncludedFile: Bool {
        [old, new].contains { $0.diagnostics.items.contains { $0.id == .missingPolicy } }
    }
    /// The two files' texts, for a plain line diff of an included file.
    public let oldText: String
    public let newText: String

    public static func load(arguments a: [String], directory: String? = nil) throws(FileError) -> GitDriverSides {
        guard a.count == 7 else {
            throw FileError(path: "--git-driver", reason: "expects the 7 arguments git passes a diff driver (path old-file old-hex old-mode new-file new-hex new-mode), got \(a.count)")
        }
        let path = a[0]
        let git = GitRevisionReader(revision: "HEAD", directory: directory)
        let top = try git.topLevel()
        var notes: [String] = []
        func side(_ file: String, _ hex: String, _ label: String) throws(FileError) -> (Compilation, String) {
            if file == "/dev/null" { return (.absent(), "") }
            let bytes = try readFileBytes(file)
            let inTree = hex == "." || hex.allSatisfy { $0 == "0" }
            var chosen: (name: String, rev: String?)? = inTree ? ("the working tree", nil) : nil
            if !inTree {
                for (name, rev) in [("the index", ""), ("HEAD", "HEAD")] {
                    let r = try git.git(["rev-parse", "-q", "--verify", "\(rev):\(path)"])
                    if r.status == 0 && String(decoding: r.stdout, as: UTF8.self).trimmingNewline() == hex { chosen = (name, rev); break }
                }
            }
            if chosen == nil {
                // Commits where the blob appears or disappears at `path`, newest first: the
                // first one whose tree holds it introduced it.
                let r = try git.git(["log", "--all", "-n", "32", "--format=%H", "--find-object=\(hex)", "--", path])
                let commits = r.status == 0 ? String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init) : []
                for commit in commits {
                    let at = try git.git(["rev-parse", "-q", "--verify", "\(commit):\(path)"])
                    if at.status == 0 && String(decoding: at.stdout, as: UTF8.self).trimmingNewline() == hex {
                        chosen = ("commit \(commit.prefix(12))", commit)
                        notes.append("the \(label) side's includes were read at commit \(commit.prefix(12)), the latest that introduced this version of \(path) (git does not tell a diff driver the revision)")
                        break
                    }
                }
            }
            let reader: (String) throws(FileError) -> [UInt8]
            if let rev = chosen?.rev {
                let r = GitRevisionReader(revision: rev, directory: top)
                reader = { (p: String) throws(FileError) -> [UInt8] in try r.read(p) }
            } else {
                reader = { (p: String) throws(FileError) -> [UInt8] in try readFileBytes(top + "/" + p) }
            }
            let c = Compilation.compile(path: path, bytes: bytes, reader: reader)
            if chosen == nil && c.policy.files.count > 1 {
                notes.append("the \(label) side's includes were read from the working tree: git does not tell a diff driver which revision \(hex.prefix(12)) comes from")
            }
            return (c.relabeled { "\(label)/\($0)" }, String(decoding: bytes, as: UTF8.self))
        }
        let (old, oldText) = try side(a[1], a[2], "a")
        let (new, newText) = try side(a[4], a[5], "b")
        return GitDriverSides(path: path, old: old, new: new, notes: notes, oldText: oldText, newText: newText)
    }
}

extension String {
    func trimmingNewline() -> String {
        var s = self
        while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
        return s
    }
}

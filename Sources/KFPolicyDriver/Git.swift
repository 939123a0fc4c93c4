// Reading the sides of a semantic diff from git: `REV:path` (with includes read from the same
// revision), `--git REV` against the working tree, and the arguments git gives a diff driver.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KFPolicy

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
        guard r.status == 0 else {
            throw FileError(path: directory ?? ".", reason: "not in a git repository (\(r.errorLine))")
        }
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
        let c = Compilation.compile(path: rel, bytes: bytes,
                                    reader: { (p: String) throws(FileError) -> [UInt8] in try reader.read(p) })
        let rev = revision
        return c.relabeled { "\(rev):\($0)" }
    }

    /// The `*.policy` files directly in `dir` (relative to the top) at the revision.
    public func policies(in dir: String) throws(FileError) -> [String] {
        let d = normalizePath(dir)
        let r = try git(["ls-tree", "--name-only", revision, "--", d == "." ? "." : d + "/"])
        guard r.status == 0 else { throw FileError(path: "\(revision):\(d)", reason: r.errorLine) }
        return r.stdoutLines.filter { $0.hasSuffix(".policy") }.sorted()
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
            throw FileError(path: "--git-driver", reason: "expects the 7 arguments git passes a diff driver "
                                + "(path old-file old-hex old-mode new-file new-hex new-mode), got \(a.count)")
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
                    if r.status == 0 && r.stdoutLines.first == hex {
                        chosen = (name, rev)
                        break
                    }
                }
            }
            if chosen == nil {
                // Commits where the blob appears or disappears at `path`, newest first: the
                // first one whose tree holds it introduced it.
                let r = try git.git(["log", "--all", "-n", "32", "--format=%H", "--find-object=\(hex)", "--", path])
                let commits = r.status == 0 ? r.stdoutLines : []
                for commit in commits {
                    let at = try git.git(["rev-parse", "-q", "--verify", "\(commit):\(path)"])
                    if at.status == 0 && String(decoding: at.stdout, as: UTF8.self).trimmingNewline() == hex {
                        chosen = ("commit \(commit.prefix(12))", commit)
                        let note = "the \(label) side's includes were read at commit \(commit.prefix(12)), "
                            + "the latest that introduced this version of \(path) "
                        notes.append(note + "(git does not tell a diff driver the revision)")
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
                notes.append("the \(label) side's includes were read from the working tree: git does not tell a diff "
                             + "driver which revision \(hex.prefix(12)) comes from")
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

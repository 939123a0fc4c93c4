// Reading a policy and its includes, then checking it: the front door of the library.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
}

/// Reads a whole regular file. Directories, devices and missing files are errors.
public func readFileBytes(_ path: String) throws(FileError) -> [UInt8] {
    var st = stat()
    guard stat(path, &st) == 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
        throw FileError(path: path, reason: (st.st_mode & S_IFMT) == S_IFDIR ? "is a directory" : "is not a regular file")
    }
    guard let f = fopen(path, "rb") else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
    defer { fclose(f) }
    // Read straight into the array, sized by stat; a file that grows meanwhile is read on in
    // chunks, one that shrinks ends early.
    var size = Int(st.st_size)
    var out = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
        count = size == 0 ? 0 : fread(buf.baseAddress, 1, size, f)
    }
    size = out.count
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while ferror(f) == 0, feof(f) == 0 {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    if ferror(f) != 0 { throw FileError(path: path, reason: "read error") }
    return out
}

/// `dir/../a/./b` to `a/b`, lexically; keeps a leading `/` and leading `..`.
func normalizePath(_ p: String) -> String {
    let absolute = p.hasPrefix("/")
    var parts: [Substring] = []
    for c in p.split(separator: "/", omittingEmptySubsequences: true) {
        if c == "." { continue }
        if c == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
        if c == "..", absolute { continue }
        parts.append(c)
    }
    let joined = parts.joined(separator: "/")
    return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
}

func directoryOf(_ p: String) -> String {
    guard let slash = p.lastIndex(of: "/") else { return "" }
    return slash == p.startIndex ? "/" : String(p[..<slash])
}

/// The result of compiling one policy file: its sources, its model (if it has no errors) and
/// every diagnostic.
public struct Compilation: Sendable {
    public let sources: SourceManager
    public let policy: Policy
    public let diagnostics: DiagnosticBag
    /// The syntax of the root file, for the formatter.
    public let rootSyntax: SyntaxFile?
    public var succeeded: Bool { !diagnostics.hasErrors }

    /// The same compilation with the errors of `ids` reported as warnings, e.g. the kernel's
    /// size limits (`.kernelLimit`) for `gen --ignore-kernel-limits`.
    public func downgrading(_ ids: Set<DiagID>) -> Compilation {
        Compilation(sources: sources, policy: policy, diagnostics: diagnostics.downgrading(ids), rootSyntax: rootSyntax)
    }

    /// Reads, parses and checks `path` and its includes. Throws only when the root file
    /// cannot be read; everything else is a diagnostic.
    public static func compile(path: String, sources: SourceManager = SourceManager(),
                               reader: @escaping (String) throws(FileError) -> [UInt8] = readFileBytes,
                               timer: PhaseTimer? = nil) throws(FileError) -> Compilation {
        let bytes: [UInt8]
        do { bytes = try (timer ?? PhaseTimer()).measure("read") { () throws(FileError) -> [UInt8] in try reader(path) } }
        return compile(path: path, bytes: bytes, sources: sources, reader: reader, timer: timer)
    }

    /// As `compile(path:)`, with the root file's bytes given.
    public static func compile(path: String, bytes: [UInt8], sources: SourceManager = SourceManager(),
                               reader: @escaping (String) throws(FileError) -> [UInt8] = readFileBytes,
                               timer: PhaseTimer? = nil) -> Compilation {
        let timer = timer ?? PhaseTimer()
        var loader = Loader(sources: sources, reader: reader)
        let root = timer.measure("parse") { loader.load(path: path, bytes: bytes) }
        var bag = loader.diagnostics
        // A file that is not text cannot be checked meaningfully: report only that.
        if bag.items.contains(where: { $0.id == .invalidUTF8 }) {
            var p = Policy()
            p.files = loader.paths
            return Compilation(sources: sources, policy: p, diagnostics: bag, rootSyntax: root)
        }
        var checker = Checker(sources: sources)
        let policy = timer.measure("check") {
            checker.check(loader.declarations, rootFile: root.file, brokenPolicy: loader.brokenPolicy)
        }
        bag.append(contentsOf: checker.diagnostics)
        var p = policy
        p.files = loader.paths
        for (formPath, range) in loader.forms {
            guard let form = compileForm(formPath, at: range, of: p, sources: sources, reader: reader, into: &bag) else { continue }
            p.forms.append(form)
            for f in form.policy.files where !p.files.contains(f) { p.files.append(f) }
        }
        return Compilation(sources: sources, policy: p, diagnostics: bag, rootSyntax: root)
    }

    /// A form's own policy, compiled in the same sources, checked to agree with `p` on what
    /// the shared header holds. Nil (reported) when it cannot be read or has errors.
    static func compileForm(_ path: String, at range: SourceRange, of p: Policy, sources: SourceManager,
                            reader: @escaping (String) throws(FileError) -> [UInt8], into bag: inout DiagnosticBag) -> Form? {
        let bytes: [UInt8]
        do { bytes = try reader(path) } catch {
            bag.error(.includeNotFound, "cannot read form '\(path)': \(error.reason)", at: range,
                      hint: "form paths are relative to the policy's file")
            return nil
        }
        let c = compile(path: path, bytes: bytes, sources: sources, reader: reader)
        bag.append(contentsOf: c.diagnostics)
        if c.diagnostics.hasErrors { return nil }
        if !c.policy.forms.isEmpty {
            bag.error(.formMismatch, "form '\(path)' has forms of its own", at: range, hint: "one policy names every form")
            return nil
        }
        let mismatches = FormCheck(p, c.policy).mismatches()
        for m in mismatches.prefix(8) {
            bag.error(.formMismatch, "form '\(c.policy.name)' cannot share this header: \(m.message)", at: range,
                      notes: m.range.isNone ? [] : [DiagnosticNote("the form says so here", at: m.range)],
                      hint: "a form shares the contexts, sets and kfuncs (include them from one file), and its callbacks sit at the offsets of this policy's first ones with the same contexts")
        }
        return mismatches.isEmpty ? Form(policy: c.policy, range: range) : nil
    }
}


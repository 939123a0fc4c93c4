// kfpolicy lint: check BPF C programs against a policy before they are loaded. The front door:
// parse each file with libclang, index it (LintIndex), judge it (LintChecker).

import KFPolicy

/// One C file to lint and the clang arguments for it (include paths, defines).
public struct LintInput: Sendable {
    public let path: String
    public let arguments: [String]
    public init(path: String, arguments: [String] = []) { self.path = path; self.arguments = arguments }
}

/// Why lint could not run at all (as opposed to findings in the programs).
public struct LintError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The outcome of linting programs together.
public struct LintReport: Sendable {
    /// Findings in source order (file, offset), errors before warnings at one spot.
    public let findings: [LintFinding]
    public var diagnostics: [Diagnostic] { findings.map(\.diagnostic) }
    public var hasErrors: Bool { findings.contains { $0.diagnostic.severity == .error } }
}

public enum Linter {
    /// What every file is parsed with before the user's arguments: BPF C as libbpf programs
    /// are built (bpf_tracing.h wants an architecture).
    public static let baseArguments = ["-target", "bpf", "-D__TARGET_ARCH_x86"]

    /// Lints `inputs` as one program (calls between the files are followed). C files are added
    /// to `sources` so diagnostics can show their lines. `policyPath` names the policy in hints.
    public static func lint(_ inputs: [LintInput], policy: Policy, policyPath: String,
                            sources: SourceManager) throws(LintError) -> LintReport {
        let index = LintIndex()
        let map = LintSourceMap(sources: sources)
        for (i, input) in inputs.enumerated() {
            let bytes: [UInt8]
            do { bytes = try readFileBytes(input.path) } catch {
                throw LintError(description: "cannot read \(error)")
            }
            let unit: ClangTranslationUnit
            do {
                unit = try ClangTranslationUnit.parse(input.path, arguments: baseArguments + input.arguments,
                                                      unsaved: [(input.path, String(decoding: bytes, as: UTF8.self))],
                                                      options: [.keepGoing, .detailedPreprocessingRecord])
            } catch {
                throw LintError(description: "\(error)")
            }
            var builder = LintIndexBuilder(unit: unit, unitIndex: i, index: index, map: map)
            builder.build()
        }
        var checker = LintChecker(policy: policy, index: index, policyPath: policyPath)
        let found = checker.run()
        // Source order, as DiagnosticBag.sorted does.
        let sorted = found.enumerated().sorted { a, b in
            let x = a.element.diagnostic.range, y = b.element.diagnostic.range
            if x.file != y.file { return x.file < y.file }
            if x.start != y.start { return x.start < y.start }
            return a.offset < b.offset
        }.map(\.element)
        return LintReport(findings: sorted)
    }

    /// Lint inputs from a compilation database: the commands for `files` (matched by path, or
    /// by file name when only one entry has it), or every `.bpf.c` entry when `files` is empty.
    /// Each file is parsed in its command's directory, under its full path.
    public static func inputs(compileCommands path: String, files: [String], extraArguments: [String]) throws(LintError) -> [LintInput] {
        let commands: [CompileCommand]
        do { commands = try readCompileCommands(path) } catch { throw LintError(description: error.description) }
        func full(_ c: CompileCommand) -> String { c.file.hasPrefix("/") ? c.file : c.directory + "/" + c.file }
        func input(_ c: CompileCommand, as shown: String) -> LintInput {
            LintInput(path: shown, arguments: ["-working-directory", c.directory] + c.arguments + extraArguments)
        }
        if files.isEmpty {
            let chosen = commands.filter { $0.file.hasSuffix(".bpf.c") }
            if chosen.isEmpty { throw LintError(description: "\(path): no entry for a .bpf.c file") }
            return chosen.map { input($0, as: full($0)) }
        }
        var out: [LintInput] = []
        for f in files {
            let abs = f.hasPrefix("/") ? f : currentDirectory() + "/" + f
            let matches = commands.filter { normalize(full($0)) == normalize(abs) }
            let byName = commands.filter { lastPathComponent($0.file) == lastPathComponent(f) }
            guard let c = matches.first ?? (byName.count == 1 ? byName.first : nil) else {
                throw LintError(description: "\(path): no compile command for '\(f)'")
            }
            out.append(input(c, as: full(c)))
        }
        return out
    }
}

/// `a/./b/../c` to `a/c`, lexically.
func normalize(_ p: String) -> String {
    var parts: [Substring] = []
    for c in p.split(separator: "/", omittingEmptySubsequences: true) {
        if c == "." { continue }
        if c == "..", !parts.isEmpty { parts.removeLast(); continue }
        parts.append(c)
    }
    return (p.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
}

#if canImport(Glibc)
import Glibc
#endif

func currentDirectory() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return "." }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

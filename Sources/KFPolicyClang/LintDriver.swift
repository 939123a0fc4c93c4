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
    /// The full clang argument list for a file: BPF C as libbpf programs are built (`-target
    /// bpf`, `-D__TARGET_ARCH_<host>` for bpf_tracing.h) unless the file's own arguments choose
    /// otherwise, the file's arguments, then clang's builtin headers and the system include
    /// directories (LintToolchain). Options that write files or make warnings errors are left
    /// out (`parsingOptions`).
    public static func clangArguments(_ given: [String], toolchain: LintToolchain = .current) -> [String] {
        let own = parsingOptions(given)
        var out: [String] = []
        if !own.contains(where: { $0 == "-target" || $0.hasPrefix("--target=") }) { out += ["-target", "bpf"] }
        let definesArch = own.indices.contains { i in
            own[i].hasPrefix("-D__TARGET_ARCH_")
                || (own[i] == "-D" && i + 1 < own.count && own[i + 1].hasPrefix("__TARGET_ARCH_"))
        }
        if !definesArch { out.append("-D__TARGET_ARCH_" + toolchain.targetArch) }
        return out + own + toolchain.arguments(after: own)
    }

    /// Lints `inputs` as one program (calls between the files are followed). C files are added
    /// to `sources` so diagnostics can show their lines. `policyPath` names the policy in hints.
    public static func lint(_ inputs: [LintInput], policy: Policy, policyPath: String, sources: SourceManager,
                            options: LintOptions = LintOptions(),
                            timer: PhaseTimer = PhaseTimer()) throws(LintError) -> LintReport {
        var texts: [[UInt8]] = []
        for input in inputs {
            do { texts.append(try readFileBytes(input.path)) } catch {
                throw LintError(description: "cannot read \(error)")
            }
        }
        let arguments = inputs.map { clangArguments($0.arguments) }
        let index = LintIndex()
        let map = LintSourceMap(sources: sources)
        let scratch = LintScratchDirectory()
        var leads: [Int: (lead: LintPrecompiledLead, context: LintLeadContext)] = [:]
        defer {
            leads.removeAll() // the precompiled headers go before their directory
            scratch?.remove()
        }
        // KFPOLICY_LINT_NO_PCH=1 parses every file on its own (scripts/bench-lint.sh compares).
        if let scratch, getenv("KFPOLICY_LINT_NO_PCH") == nil {
            for (n, group) in precompiledGroups(inputs, arguments: arguments, texts: texts).enumerated() {
                let first = group.members[0]
                guard let lead = timer.measure("precompile shared includes", {
                    LintPrecompiledLead.build(group.directives, nextTo: inputs[first].path, arguments: arguments[first],
                                              number: n, into: scratch.path)
                }) else { continue }
                let leadIndex = inputs.count + n
                map.spelling.merge(lead.files) { a, _ in a }
                let builder = LintIndexBuilder(unit: lead.unit, unitIndex: leadIndex, index: index, map: map,
                                               isLead: true)
                timer.measure("index", builder.build)
                map.precompiledUnits.append(lead.unit)
                let context = LintLeadContext(unitIndex: leadIndex, files: Set(lead.files.keys), macros: builder.macros)
                for m in group.members { leads[m] = (lead, context) }
            }
        }
        var suppressions: [LintSuppression] = []
        var scanned: Set<String> = []
        for (i, input) in inputs.enumerated() {
            let lead = leads[i]
            let unit: ClangTranslationUnit
            do {
                let pch = lead.map { ["-include-pch", $0.lead.path] } ?? []
                unit = try timer.measure("parse") {
                    try ClangTranslationUnit.parse(input.path, arguments: arguments[i] + pch,
                                                   unsaved: [(input.path, String(decoding: texts[i], as: UTF8.self))],
                                                   options: [.keepGoing, .detailedPreprocessingRecord],
                                                   excludingPrecompiled: lead != nil)
                }
            } catch {
                throw LintError(description: "\(error)")
            }
            let builder = LintIndexBuilder(unit: unit, unitIndex: i, index: index, map: map, lead: lead?.context)
            timer.measure("index", builder.build)
            let files = (lead.map { [$0.lead.unit] } ?? []) + [unit]
            for u in files {
                for path in u.inclusions().filter({ !$0.isSystem }).map(\.path) where scanned.insert(path).inserted {
                    guard let text = u.contents(of: path),
                          text.firstIndex(of: LintSuppressionScanner.marker, from: 0) != nil,
                          let id = map.fileID(path, unit: u),
                          let file = sources.file(SourceRange(file: id, start: 0, end: 0)) else { continue }
                    suppressions += LintSuppressionScanner.scan(text, file: id, source: file)
                }
            }
        }
        var checker = LintChecker(policy: policy, index: index, policyPath: policyPath)
        let found = timer.measure("check") {
            control(checker.run(), suppressions: suppressions, options: options, sources: sources)
        }
        // Source order, as DiagnosticBag.sorted does.
        let sorted = found.enumerated().sorted { a, b in
            let x = a.element.diagnostic.range, y = b.element.diagnostic.range
            if x.file != y.file { return x.file < y.file }
            if x.start != y.start { return x.start < y.start }
            return a.offset < b.offset
        }.map(\.element)
        return LintReport(findings: sorted)
    }

    /// Files that can share a precompiled lead: two or more with the same clang arguments, in
    /// one directory (where their quoted includes are looked up first), whose leading
    /// directives start alike; with the directives they share.
    static func precompiledGroups(_ inputs: [LintInput], arguments: [[String]], texts: [[UInt8]])
        -> [(members: [Int], directives: [String])] {
        var byKey: [String: [Int]] = [:]
        var order: [String] = []
        for i in inputs.indices {
            let key = arguments[i].joined(separator: "\u{0}") + "\u{1}" + parentDirectory(inputs[i].path)
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(i)
        }
        var out: [(members: [Int], directives: [String])] = []
        for key in order {
            let members = byKey[key]!
            guard members.count > 1 else { continue }
            let shared = LintLead.shared(members.map { LintLead.directives(texts[$0]) })
            if !shared.isEmpty { out.append((members, shared)) }
        }
        return out
    }

    /// Lint inputs from a compilation database: the commands for `files` (matched by path, or
    /// by file name when only one entry has it), or every `.bpf.c` entry when `files` is empty.
    /// Each file is parsed in its command's directory, under its full path.
    public static func inputs(compileCommands path: String, files: [String],
                              extraArguments: [String]) throws(LintError) -> [LintInput] {
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

/// `path` made absolute against the working directory, lexically normalized.
func absolutePath(_ path: String) -> String {
    normalize(path.hasPrefix("/") ? path : currentDirectory() + "/" + path)
}

func currentDirectory() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return "." }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension Linter {
    /// Compiles the policy at `path` with each file of `extra` included as if the policy named it
    /// at its end (the generic kfuncs of its kernel, say), unless the policy already includes it.
    /// The policy's forms include them too: a form shares the header, so it must know the same
    /// sets and kfuncs. `adding` names more files from the policy as written (the generic kfuncs
    /// of its kernel); they come first.
    public static func compilePolicy(_ path: String, with given: [String], sources: SourceManager,
                                     adding: ((Policy) -> [String])? = nil) throws(FileError) -> Compilation {
        let bytes = try readFileBytes(path)
        guard !given.isEmpty || adding != nil else { return Compilation.compile(path: path, bytes: bytes, sources: sources) }
        let plain = Compilation.compile(path: path, bytes: bytes).policy
        let extra = (adding?(plain) ?? []) + given
        guard !extra.isEmpty else { return Compilation.compile(path: path, bytes: bytes, sources: sources) }
        // Each file that gets includes, with the files it already includes.
        var includes: [String: Set<String>] = [absolutePath(path): Set(plain.files.map(absolutePath))]
        for form in plain.forms {
            guard let own = form.policy.files.first else { continue }
            includes[absolutePath(own)] = Set(form.policy.files.map(absolutePath))
        }
        let reader: FileReader = { file throws(FileError) in
            var text = try readFileBytes(file)
            guard let already = includes[absolutePath(file)] else { return text }
            for e in extra where !already.contains(absolutePath(e)) {
                text += Array("\ninclude \"\(relativePath(e, from: parentDirectory(file)))\";\n".utf8)
            }
            return text
        }
        return Compilation.compile(path: path, bytes: try reader(path), sources: sources, reader: reader)
    }
}

/// `path` as seen from directory `from` (both made absolute first): `../generic/x.policy`.
func relativePath(_ path: String, from: String) -> String {
    let to = absolutePath(path).split(separator: "/"), base = absolutePath(from).split(separator: "/")
    var common = 0
    while common < to.count, common < base.count, to[common] == base[common] { common += 1 }
    let up = [Substring](repeating: "..", count: base.count - common)
    return (up + to[common...]).joined(separator: "/")
}

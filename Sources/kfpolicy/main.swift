// The kfpolicy command line: argument handling, exit codes and rendering. No policy logic here.

import ArgumentParser
import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

/// Documented exit statuses.
enum ExitStatus: Int32 {
    /// Everything checked out (warnings allowed).
    case success = 0
    /// The policy has errors, a file is not formatted (`fmt --check`), an output is stale
    /// (`gen --check`) or a kfunc is denied (`explain`).
    case policyError = 1
    /// Bad usage or a file that cannot be read or written.
    case usageOrIO = 2
    /// kfpolicy found a bug in itself (e.g. generated code that disagrees with the model).
    case internalError = 3
}

struct ExitWith: Error { let status: ExitStatus }

enum DiagnosticsFormat: String, ExpressibleByArgument, CaseIterable { case text, json }
enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("diagnostics-format"), help: "How to print diagnostics: text or json.")
    var diagnosticsFormat: DiagnosticsFormat = .text

    @Option(help: "Colour diagnostics: auto (only on a terminal), always or never.")
    var color: ColorChoice = .auto

    var useColor: Bool {
        switch color {
        case .always: return true
        case .never: return false
        case .auto: return isatty(2) != 0 && getenv("NO_COLOR") == nil
        }
    }
}

/// Writes to standard error.
func eprint(_ s: String) {
    var bytes = Array(s.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
        off += n
    }
}

/// Prints a compilation's diagnostics in the chosen format. Returns true when it has errors.
@discardableResult
func report(_ c: Compilation, _ o: OutputOptions) -> Bool {
    report(c.diagnostics.sorted, sources: c.sources, o)
    return c.diagnostics.hasErrors
}

func report(_ ds: [Diagnostic], sources: SourceManager, _ o: OutputOptions) {
    let r = DiagnosticRenderer(sources: sources, color: o.useColor)
    switch o.diagnosticsFormat {
    case .text:
        for d in ds { eprint(r.render(d)) }
        let e = ds.filter { $0.severity == .error }.count, w = ds.filter { $0.severity == .warning }.count
        if e + w > 0 { eprint("\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")\n") }
    case .json:
        print(r.json(ds), terminator: "")
    }
}

/// Compiles a file, turning an unreadable root file into an I/O error.
func compileOrExit(_ path: String, sources: SourceManager = SourceManager()) throws -> Compilation {
    do { return try Compilation.compile(path: path, sources: sources) } catch {
        eprint("kfpolicy: error: cannot read \(error)\n")
        throw ExitWith(status: .usageOrIO)
    }
}

struct Kfpolicy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kfpolicy",
        abstract: "Compile policies that say which BPF kfuncs each struct_ops callback may call.",
        discussion: """
            Exit status: 0 success; 1 policy errors, unformatted or stale files, or a denied \
            kfunc (explain); 2 usage or I/O errors; 3 an internal error of kfpolicy.
            """,
        version: kfpolicyVersion,
        subcommands: [Check.self, Fmt.self, Explain.self, Gen.self])
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check policies and report every error and warning.")

    @Argument(help: "Policy files to check.") var files: [String]
    @OptionGroup var output: OutputOptions
    @Flag(help: "Treat warnings as errors.") var warningsAsErrors = false

    func run() throws {
        let sources = SourceManager()
        var all: [Diagnostic] = []
        var failed = false
        for f in files {
            let c = try compileOrExit(f, sources: sources)
            all += c.diagnostics.sorted
            if c.diagnostics.hasErrors || (warningsAsErrors && c.diagnostics.warningCount > 0) { failed = true }
        }
        report(all, sources: sources, output)
        if failed { throw ExitWith(status: .policyError) }
    }
}

struct Fmt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite policy files in the canonical layout (comments are kept).")

    @Argument(help: "Policy files to format in place.") var files: [String]
    @Flag(help: "Do not write; exit 1 and list the files that are not formatted.") var check = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        var unformatted: [String] = []
        for f in files {
            let bytes: [UInt8]
            do { bytes = try readFileBytes(f) } catch {
                eprint("kfpolicy: error: cannot read \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
            let sources = SourceManager()
            let id = sources.add(SourceFile(path: f, bytes: bytes))
            let (tree, bag) = Parser.parse(sources.files[id], file: id)
            if bag.hasErrors {
                report(bag.sorted, sources: sources, output)
                eprint("kfpolicy: error: not formatting '\(f)': it has syntax errors\n")
                throw ExitWith(status: .policyError)
            }
            let formatted = Formatter.format(tree)
            if Array(formatted.utf8) == bytes { continue }
            if check { unformatted.append(f); continue }
            do { try writeFileAtomically(f, Array(formatted.utf8)) } catch {
                eprint("kfpolicy: error: \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
        }
        if !unformatted.isEmpty {
            for f in unformatted { eprint("\(f): not formatted; run 'kfpolicy fmt \(f)'\n") }
            throw ExitWith(status: .policyError)
        }
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say whether a kfunc may be called from a callback or program type, and why.",
        discussion: "CALLER is a callback of the policy's struct (e.g. dispatch) or a program type (tracing, syscall, struct_ops for other interfaces). Exits 0 when allowed, 1 when denied.")

    @Argument(help: "The policy file.") var file: String
    @Argument(help: "The kfunc.") var kfunc: String
    @Argument(help: "The callback or program type.") var caller: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let c = try compileOrExit(file)
        if report(c, output) { throw ExitWith(status: .policyError) }
        let p = c.policy
        guard let k = p.kfunc(named: kfunc) else {
            eprint("kfpolicy: error: policy '\(p.name)' has no kfunc '\(kfunc)'\n")
            throw ExitWith(status: .usageOrIO)
        }
        let who: Caller
        if let cb = p.callback(named: caller.hasPrefix("ops.") ? String(caller.dropFirst(4)) : caller) { who = .callback(cb) }
        else if let t = ProgType(rawValue: caller) { who = .progType(t) }
        else {
            eprint("kfpolicy: error: '\(caller)' is neither a callback of struct \(p.structName) nor a program type\n")
            throw ExitWith(status: .usageOrIO)
        }
        let d = p.decide(k, who)
        print(explainText(p, k, d, sources: c.sources), terminator: "")
        if !d.allowed { throw ExitWith(status: .policyError) }
    }
}

extension OutputKind: ExpressibleByArgument {}

struct Gen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the kernel C header (and other outputs) from policies.",
        discussion: """
            Writes DIR/<stem>_kfpolicy.h for each FILE.policy. A file is written only when its \
            bytes change, and atomically (a temporary file renamed into place), so an \
            interrupted run never leaves a truncated output and make does not rebuild needlessly.
            """)

    @Argument(help: "Policy files.") var files: [String]
    @Option(name: .shortAndLong, help: "Output directory.") var output: String = "Generated"
    @Option(parsing: .upToNextOption, help: "Outputs to write: \(OutputKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: [OutputKind] = [.c]
    @Option(help: "Write a make dependency file listing every policy and include read.") var depfile: String?
    @Flag(help: "Write nothing; exit 1 and show a diff when an output is missing or stale.") var check = false
    @OptionGroup var diagnostics: OutputOptions

    func run() throws {
        let sources = SourceManager()
        var planned: [(path: String, bytes: [UInt8])] = []
        var inputs: [String] = []
        var failed = false
        for f in files {
            let c = try compileOrExit(f, sources: sources)
            report(c, diagnostics)
            if c.diagnostics.hasErrors { failed = true; continue }
            for g in Generator.outputs(c.policy, path: f, emit: emit) {
                planned.append((output + "/" + g.name, Array(g.contents.utf8)))
            }
            for i in c.policy.files where !inputs.contains(i) { inputs.append(i) }
        }
        // Nothing is written unless every policy compiled.
        if failed { throw ExitWith(status: .policyError) }
        if check {
            var stale = false
            for (path, bytes) in planned {
                let old = try? readFileBytes(path)
                if old == bytes { continue }
                stale = true
                eprint("\(path): \(old == nil ? "missing" : "stale"); run 'kfpolicy gen \(files.joined(separator: " "))\(output == "Generated" ? "" : " -o \(output)")'\n")
                if let old { print(lineDiff(old: String(decoding: old, as: UTF8.self), new: String(decoding: bytes, as: UTF8.self), path: path), terminator: "") }
            }
            if stale { throw ExitWith(status: .policyError) }
            return
        }
        do {
            try makeDirectory(output)
            for (path, bytes) in planned { try writeIfChanged(path, bytes) }
            if let depfile {
                try writeIfChanged(depfile, Array(Generator.depfile(targets: planned.map(\.path), inputs: inputs).utf8))
            }
        } catch {
            eprint("kfpolicy: error: \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
    }
}

func explainText(_ p: Policy, _ k: Int, _ d: Decision, sources: SourceManager) -> String {
    var out = (d.allowed ? "allowed: " : "denied: ") + d.summary + "\n"
    for r in d.reasons { out += "  \(sources.describe(r.range)): \(r.message)\n" }
    let where_ = p.allowedCallbacks(of: k).map { p.callbacks[$0].name }
    out += "  '\(p.kfuncs[k].name)' is allowed in: \(where_.isEmpty ? "no callback" : where_.joined(separator: ", "))\n"
    let types = p.progTypes(of: k).filter { $0 != .struct_ops }.map(\.rawValue)
    if !types.isEmpty { out += "  and from program types: \(types.joined(separator: ", "))\n" }
    return out
}

// Run, mapping every outcome to a documented exit status.
do {
    var command = try Kfpolicy.parseAsRoot()
    try command.run()
    exit(ExitStatus.success.rawValue)
} catch let e as ExitWith {
    exit(e.status.rawValue)
} catch {
    let code = Kfpolicy.exitCode(for: error)
    if code == .success {
        print(Kfpolicy.fullMessage(for: error))
        exit(0)
    }
    eprint(Kfpolicy.fullMessage(for: error) + "\n")
    exit(ExitStatus.usageOrIO.rawValue)
}

// Shared pieces of the CLI: exit statuses, output options, diagnostics rendering.

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
    report(c.diagnostics.sorted, sources: c.sources, o, droppedErrors: c.diagnostics.droppedErrors, droppedWarnings: c.diagnostics.droppedWarnings)
    return c.diagnostics.hasErrors
}

/// `dropped...`: diagnostics found past DiagnosticBag.storedLimit, counted but not kept.
func report(_ ds: [Diagnostic], sources: SourceManager, _ o: OutputOptions, droppedErrors: Int = 0, droppedWarnings: Int = 0) {
    let r = DiagnosticRenderer(sources: sources, color: o.useColor)
    switch o.diagnosticsFormat {
    case .text:
        for d in ds { eprint(r.render(d)) }
        if droppedErrors + droppedWarnings > 0 {
            eprint("kfpolicy: \(droppedErrors + droppedWarnings) more diagnostics not shown (the first \(DiagnosticBag.storedLimit) are)\n")
        }
        let e = ds.filter { $0.severity == .error }.count + droppedErrors, w = ds.filter { $0.severity == .warning }.count + droppedWarnings
        if e + w > 0 { eprint("\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")\n") }
    case .json:
        print(r.json(ds), terminator: "")
    }
}

/// Compiles a file (a path, or a policy name: see PolicySearch), turning an unreadable root file
/// into an I/O error.
func compileOrExit(_ argument: String, sources: SourceManager = SourceManager(), timer: PhaseTimer? = nil) throws
    -> Compilation {
    let path = try resolvePolicyOrExit(argument)
    do { return try Compilation.compile(path: path, sources: sources, timer: timer) } catch {
        eprint("kfpolicy: error: cannot read \(error)\n")
        throw ExitWith(status: .usageOrIO)
    }
}

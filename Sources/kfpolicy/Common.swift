// Shared pieces of the CLI: output options and the names every command uses for exit statuses,
// messages and diagnostics (the process-level work is KFPolicyDriver's).

import ArgumentParser
import KFPolicy
import KFPolicyDriver

typealias ExitStatus = KFPolicyDriver.ExitStatus
typealias ExitWith = KFPolicyDriver.ExitWith

extension DiagnosticsFormat: ExpressibleByArgument {}
enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("diagnostics-format"), help: "How to print diagnostics: text or json.")
    var diagnosticsFormat: DiagnosticsFormat = .text

    @Option(help: "Colour diagnostics: auto (only on a terminal), always or never.")
    var color: ColorChoice = .auto

    /// Whether output on `fd` gets colour.
    func useColor(fd: Int32 = 2) -> Bool {
        switch color {
        case .always: return true
        case .never: return false
        case .auto: return Terminal.wantsColor(fd: fd)
        }
    }

    var printer: DiagnosticPrinter { DiagnosticPrinter(format: diagnosticsFormat, color: useColor()) }
}

/// Writes to standard error.
func eprint(_ s: String) { StandardError.print(s) }

/// Prints a compilation's diagnostics in the chosen format. Returns true when it has errors.
@discardableResult
func report(_ c: Compilation, _ o: OutputOptions) -> Bool { o.printer.print(c) }

/// `dropped...`: diagnostics found past DiagnosticBag.storedLimit, counted but not kept.
func report(_ ds: [Diagnostic], sources: SourceManager, _ o: OutputOptions,
            droppedErrors: Int = 0, droppedWarnings: Int = 0) {
    o.printer.print(ds, sources: sources, droppedErrors: droppedErrors, droppedWarnings: droppedWarnings)
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

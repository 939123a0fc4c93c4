// kfpolicy check

import ArgumentParser
import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

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

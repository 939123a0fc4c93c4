// The machine formats of `check`, `lint` and `diff`: SARIF 2.1.0 for code-scanning services and
// GitHub workflow commands for pull-request annotations, beside the text and JSON of before.

import ArgumentParser
import KFPolicy
import KFPolicyDriver
import KFPolicyRender

/// The formats `check` and `lint` print diagnostics in (`--format`).
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif, github

    /// What `--format` says, or else what `--diagnostics-format` says.
    static func chosen(_ format: ReportFormat?, _ o: OutputOptions) -> ReportFormat {
        format ?? (o.diagnosticsFormat == .json ? .json : .text)
    }
}

/// The formats of `diff` (`--format`).
enum DiffReportFormat: String, ExpressibleByArgument, CaseIterable { case text, markdown, json, sarif, github }

/// The `--format` help of `check` and `lint`.
let reportFormatHelp = ArgumentHelp(
    "How to print diagnostics: text (default), json, sarif (SARIF 2.1.0) or github (workflow annotations); "
        + "sarif and github go to standard output.",
    valueName: "format")

/// Prints diagnostics in `format`; text and JSON exactly as `--diagnostics-format` prints them.
func report(_ ds: [Diagnostic], sources: SourceManager, _ o: OutputOptions, format: ReportFormat,
            droppedErrors: Int = 0, droppedWarnings: Int = 0) {
    switch format {
    case .text, .json:
        var options = o
        options.diagnosticsFormat = format == .json ? .json : .text
        report(ds, sources: sources, options, droppedErrors: droppedErrors, droppedWarnings: droppedWarnings)
    case .sarif, .github:
        let text = format == .sarif ? SarifRenderer.diagnostics(ds, sources: sources)
            : GitHubAnnotations.diagnostics(ds, sources: sources)
        print(text, terminator: "")
        if droppedErrors + droppedWarnings > 0 {
            eprint("kfpolicy: \(droppedErrors + droppedWarnings) more diagnostics not shown "
                   + "(the first \(DiagnosticBag.storedLimit) are)\n")
        }
    }
}

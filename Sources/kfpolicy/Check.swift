// kfpolicy check

import ArgumentParser
import KFPolicy
import KFPolicyClang
#if canImport(Glibc)
import Glibc
#endif

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check policies and report every error and warning.",
        discussion: """
            With --kernel-src DIR, also compare each policy with a kernel source tree: every \
            callback must be a function-pointer member of the policy's struct (members the policy \
            leaves out are warnings), every kfunc must be defined with __bpf_kfunc or declared, \
            listed in the sets the policy names with the same KF_ flags, and each set registered \
            for the policy's program types. The sources are scanned as libclang tokens, not \
            compiled, so both branches of an #if count.
            """)

    @Argument(help: "Policy files to check.") var files: [String]
    @OptionGroup var output: OutputOptions
    @Option(help: reportFormatHelp) var format: ReportFormat?
    @Flag(help: "Treat warnings as errors.") var warningsAsErrors = false
    @Option(help: "A kernel source tree (the directory holding kernel/ and include/) to compare each policy with.")
    var kernelSrc: String?

    func run() throws {
        let sources = SourceManager()
        var all: [Diagnostic] = []
        var failed = false
        var droppedErrors = 0, droppedWarnings = 0 // past DiagnosticBag.storedLimit
        for f in files {
            let c = try compileOrExit(f, sources: sources)
            var ds = c.diagnostics.sorted
            if let kernelSrc, !c.diagnostics.hasErrors {
                let ks: KernelSource
                do {
                    ks = try KernelSource(root: kernelSrc, structNames: [c.policy.structName], sources: sources)
                } catch {
                    eprint("kfpolicy: error: --kernel-src: \(error)\n")
                    throw ExitWith(status: .usageOrIO)
                }
                ds += ks.check(c.policy)
            }
            all += ds
            droppedErrors += c.diagnostics.droppedErrors
            droppedWarnings += c.diagnostics.droppedWarnings
            if c.diagnostics.droppedErrors > 0 { failed = true }
            let warnings = ds.contains { $0.severity == .warning }
            if ds.contains(where: { $0.severity == .error }) || (warningsAsErrors && warnings) { failed = true }
        }
        report(all, sources: sources, output, format: .chosen(format, output),
               droppedErrors: droppedErrors, droppedWarnings: droppedWarnings)
        if failed { throw ExitWith(status: .policyError) }
    }
}

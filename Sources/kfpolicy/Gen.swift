// kfpolicy gen

import ArgumentParser
import KFPolicy
import KFPolicyClang
import KFPolicyDriver

extension OutputKind: ExpressibleByArgument {}
extension Kernel: ExpressibleByArgument {
    public init?(argument: String) {
        guard let k = Kernel(argument), k.atLeast(6, 9) else { return nil }
        self = k
    }
}

struct Gen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the kernel C header (and other outputs) from policies.",
        discussion: """
            Writes DIR/<stem>_kfpolicy.h (--emit c, the default) and/or DIR/<Stem>Policy.swift \
            (--emit swift, Swift tables) for each FILE.policy. A file is written only when its \
            bytes change, and atomically (a temporary file renamed into place), so an \
            interrupted run never leaves a truncated output and make does not rebuild needlessly.
            Each C header is then parsed with libclang and what its C says (constants, tables, \
            kfunc sets and flags, context words, registrations, implementations) is compared \
            with the policy; a difference is a bug of kfpolicy (exit 3).
            """)

    @Argument(help: "Policy files.") var files: [String]
    @Option(name: .shortAndLong, help: "Output directory.") var output: String = "Generated"
    @Option(parsing: .upToNextOption,
            help: "Outputs to write: \(OutputKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: [OutputKind] = [.c]
    @Option(help: "Write a make dependency file listing every policy and include read.") var depfile: String?
    @Flag(help: "Write nothing; exit 1 and show a diff when an output is missing or stale.") var check = false
    @Flag(help: "Do not check the generated C headers with libclang.") var noValidate = false
    @Option(help: ArgumentHelp("Validate against the kernel headers of this build directory "
                               + "(e.g. /usr/src/linux-headers-6.12.<n>+deb12-amd64) instead of kfpolicy's stand-in."))
    var kernelHeaders: String?
    @Option(help: "The kernel the C header is for: 6.12 or mainline (overrides the policy's 'kernel' statement).")
    var kernel: Kernel?
    @Flag(help: ArgumentHelp("Report Linux's size limits (64 callbacks, 256 kfuncs per program-type hook, 511-byte "
                             + "names) as warnings: for benchmarks, not for a kernel."))
    var ignoreKernelLimits = false
    @Flag(help: "Print the time each phase took (read, parse, check, generate, validate, write) to standard error.")
    var timeReport = false
    @OptionGroup var diagnostics: OutputOptions

    func run() throws {
        // A policy name (see PolicySearch) is resolved first: outputs are named after the file.
        let paths = try files.map { try resolvePolicyOrExit($0) }
        let r = GenRequest(tool: "kfpolicy", command: "kfpolicy gen", files: paths, outputDirectory: output, emit: emit,
                           depfile: depfile, check: check, kernel: kernel, ignoreKernelLimits: ignoreKernelLimits)
        let timer = PhaseTimer()
        defer { if timeReport { eprint("kfpolicy: time report\n" + timer.report()) } }
        var validation: HeaderValidation?
        if !noValidate { validation = { (h: PlannedHeader) throws(ExitWith) in try validate(h) } }
        try GenDriver(r, printer: diagnostics.printer, validation: validation, timer: timer).run()
    }

    /// Checks a C header with libclang against its policy; any difference is an internal error.
    func validate(_ h: PlannedHeader) throws(ExitWith) -> [Diagnostic] {
        do {
            let options = ValidationOptions(kernelHeaders: kernelHeaders)
            let r = try HeaderValidator.validate(header: h.file.contents, path: h.path, policy: h.policy,
                                                 sources: h.sources, origins: h.file.origins, options: options)
            return r.diagnostics
        } catch {
            eprint("kfpolicy: error: cannot validate \(h.path): \(error)\n")
            throw ExitWith(status: kernelHeaders == nil ? .internalError : .usageOrIO)
        }
    }
}

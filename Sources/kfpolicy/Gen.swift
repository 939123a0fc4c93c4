// kfpolicy gen

import ArgumentParser
import KFPolicy
import KFPolicyClang
#if canImport(Glibc)
import Glibc
#endif

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
    @Option(parsing: .upToNextOption, help: "Outputs to write: \(OutputKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: [OutputKind] = [.c]
    @Option(help: "Write a make dependency file listing every policy and include read.") var depfile: String?
    @Flag(help: "Write nothing; exit 1 and show a diff when an output is missing or stale.") var check = false
    @Flag(help: "Do not check the generated C headers with libclang.") var noValidate = false
    @Option(help: "Validate against the kernel headers of this build directory (e.g. /usr/src/linux-headers-6.12.<n>-amd64) instead of kfpolicy's stand-in.")
    var kernelHeaders: String?
    @Option(help: "The kernel the C header is for: 6.12 or mainline (overrides the policy's 'kernel' statement).")
    var kernel: Kernel?
    @Flag(help: "Report Linux's size limits (64 callbacks, 256 kfuncs per program-type hook, 511-byte names) as warnings: for benchmarks, not for a kernel.")
    var ignoreKernelLimits = false
    @Flag(help: "Print the time each phase took (read, parse, check, generate, validate, write) to standard error.")
    var timeReport = false
    @OptionGroup var diagnostics: OutputOptions

    func run() throws {
        let timer = PhaseTimer()
        defer { if timeReport { eprint("kfpolicy: time report\n" + timer.report()) } }
        let sources = SourceManager()
        var planned: [(path: String, bytes: [UInt8])] = []
        var inputs: [String] = []
        var failed = false
        var headers: [(path: String, text: String, origins: [SourceRange]?, policy: Policy)] = []
        for argument in files {
            let f = try resolvePolicyOrExit(argument) // outputs are named after the file, not a name
            var c = try compileOrExit(f, sources: sources, timer: timer)
            if ignoreKernelLimits { c = c.downgrading([.kernelLimit]) }
            report(c, diagnostics)
            if c.diagnostics.hasErrors { failed = true; continue }
            var policy = c.policy
            if let kernel { policy.kernel = kernel }
            let generated = timer.measure("generate", { Generator.outputs(policy, path: f, emit: emit) })
            for g in generated {
                planned.append((output + "/" + g.name, g.bytes))
                if let origins = g.origins, !noValidate { // a C header: validate it
                    headers.append((output + "/" + g.name, g.contents, origins, policy))
                }
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
                eprint("\(path): \(old == nil ? "missing" : "stale"); run 'kfpolicy gen \(files.joined(separator: " "))\(output == "Generated" ? "" : " -o \(output)")\(emit == [.c] ? "" : " --emit " + emit.map(\.rawValue).joined(separator: " "))'\n")
                if let old { print(lineDiff(old: String(decoding: old, as: UTF8.self), new: String(decoding: bytes, as: UTF8.self), path: path), terminator: "") }
            }
            if stale { throw ExitWith(status: .policyError) }
            try validate(headers, sources)
            return
        }
        // Validate before writing: a header kfpolicy itself got wrong never reaches the disk.
        try timer.measure("validate") { try validate(headers, sources) }
        do {
            try timer.measure("write") {
                try makeDirectory(output)
                for (path, bytes) in planned { try writeIfChanged(path, bytes) }
                if let depfile {
                    try writeIfChanged(depfile, Array(Generator.depfile(targets: planned.map(\.path), inputs: inputs).utf8))
                }
            }
        } catch {
            eprint("kfpolicy: error: \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
    }

    /// Checks each C header with libclang against its policy; any difference is an internal error.
    func validate(_ headers: [(path: String, text: String, origins: [SourceRange]?, policy: Policy)], _ sources: SourceManager) throws {
        if noValidate { return }
        var all: [Diagnostic] = []
        for h in headers {
            do {
                let r = try HeaderValidator.validate(header: h.text, path: h.path, policy: h.policy, sources: sources,
                                                     origins: h.origins, options: ValidationOptions(kernelHeaders: kernelHeaders))
                all += r.diagnostics
            } catch {
                eprint("kfpolicy: error: cannot validate \(h.path): \(error)\n")
                throw ExitWith(status: kernelHeaders == nil ? .internalError : .usageOrIO)
            }
        }
        if !all.isEmpty { report(all, sources: sources, diagnostics) }
        if all.contains(where: { $0.severity == .error }) { throw ExitWith(status: .internalError) }
    }
}

// kfpolicy validate

import ArgumentParser
import KFPolicy
import KFPolicyClang
#if canImport(Glibc)
import Glibc
#endif

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a kernel header (e.g. one edited by hand) against its policy with libclang.",
        discussion: """
            Parses HEADER in a kernel-like translation unit (kfpolicy's stand-in for the kernel \
            declarations, or the headers of --kernel-headers DIR), reports clang's errors and \
            warnings in it, then compares what its C says with the policy: context constants, \
            each callback's op-context entry, each kfunc's KF_ flags in each set and its context \
            word, registrations, nesting tables and the implementation table. Exits 0 when they \
            agree, 1 when they do not (or the policy has errors), 2 on usage or I/O errors.
            """)

    @Argument(help: "The header to check.") var header: String
    @Option(help: "The policy the header should implement.") var policy: String
    @Option(help: ArgumentHelp("Use the kernel headers of this build directory "
                               + "(e.g. /usr/src/linux-headers-6.12.<n>+deb12-amd64) instead of kfpolicy's stand-in."))
    var kernelHeaders: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let sources = SourceManager()
        let c = try compileOrExit(policy, sources: sources)
        if report(c, output) { throw ExitWith(status: .policyError) }
        let text: String
        do { text = String(decoding: try readFileBytes(header), as: UTF8.self) } catch {
            eprint("kfpolicy: error: cannot read \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        let r: ValidationResult
        do {
            r = try HeaderValidator.validate(header: text, path: header, policy: c.policy, sources: sources,
                                             options: ValidationOptions(kernelHeaders: kernelHeaders, handEdited: true))
        } catch {
            eprint("kfpolicy: error: \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        report(r.diagnostics, sources: sources, output)
        if r.hasErrors { throw ExitWith(status: .policyError) }
        if output.diagnosticsFormat == .text {
            eprint("\(header): agrees with \(policy) (\(r.factsChecked) facts checked)\n")
        }
    }
}

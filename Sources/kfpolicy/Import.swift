// kfpolicy import

import ArgumentParser
import KFPolicy
import KFPolicyDriver
import KFPolicyClang
#if canImport(Glibc)
import Glibc
#endif

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a policy from the rules a kernel source tree enforces for one struct_ops interface.",
        discussion: """
            Reads, as libclang tokens: the struct's function-pointer members (callbacks); the \
            context constants the call-op macros are given (sched_ext: enum scx_kf_mask); each \
            callback's call sites (SCX_CALL_OP*(mask, op, ...)) for its contexts; the struct_ops' \
            .check_member for sleepable callbacks; the BTF kfunc sets of the interface's file, \
            their KF_ flags and registrations; and each kfunc's run-time context checks \
            (scx_kf_allowed and friends, as top-level guards of the kfunc and of the functions it \
            calls). What it cannot infer it reports as warnings with locations and lists at the \
            end of the policy; it never guesses. Nesting (invokes, nest) is not inferred.
            """)

    @Option(help: "The kernel source tree (the directory holding kernel/ and include/).") var kernelSrc: String
    @Option(name: .customLong("struct"), help: "The struct_ops struct, e.g. sched_ext_ops.") var structName: String
    @Option(help: "The policy's name and prefix (default: the struct's name without _ops).") var name: String?
    @Option(name: .shortAndLong, help: "Write the policy here (atomically) instead of to standard output.")
    var output: String?
    @OptionGroup var diagnostics: OutputOptions

    func run() throws {
        let sources = SourceManager()
        let r: ImportResult
        do {
            r = try PolicyImporter.importPolicy(kernelSource: kernelSrc, structName: structName, name: name,
                                                sources: sources)
        } catch {
            eprint("kfpolicy: error: \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        report(r.diagnostics, sources: sources, diagnostics)
        if let output {
            do { try writeIfChanged(output, Array(r.policyText.utf8)) } catch {
                eprint("kfpolicy: error: \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
        } else {
            print(r.policyText, terminator: "")
        }
    }
}

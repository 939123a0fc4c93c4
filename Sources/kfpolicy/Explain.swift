// kfpolicy explain

import ArgumentParser
import KFPolicy
import KFPolicyClang
#if canImport(Glibc)
import Glibc
#endif

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say whether a kfunc may be called from a callback or program type, and why.",
        discussion: "CALLER is a callback of the policy's struct (e.g. dispatch) or a program type (tracing, syscall, "
            + "struct_ops for other interfaces). Exits 0 when allowed, 1 when denied.")

    @Argument(help: "The policy file.") var file: String
    @Argument(help: "The kfunc.") var kfunc: String
    @Argument(help: "The callback or program type.") var caller: String
    @Option(help: "A kernel source tree: also show the kfunc's and the callback's declarations there.")
    var kernelSrc: String?
    @Flag(name: .customLong("no-generic"),
          help: ArgumentHelp("Do not include the generic BPF kfuncs of the policy's kernel "
                                 + "(generic/bpf-<kernel>.policy), which explain includes by default."))
    var noGeneric = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let path = try resolvePolicyOrExit(file)
        let c: Compilation
        do {
            c = try Linter.compilePolicy(path, with: [], sources: SourceManager(), adding: noGeneric ? nil : { p in
                genericPolicy(of: p.kernel, besidePolicy: path).map { [$0] } ?? []
            })
        } catch {
            eprint("kfpolicy: error: cannot read \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        if report(c, output) { throw ExitWith(status: .policyError) }
        let p = c.policy
        guard let k = p.kfunc(named: kfunc) else {
            eprint("kfpolicy: error: policy '\(p.name)' has no kfunc '\(kfunc)'\n")
            throw ExitWith(status: .usageOrIO)
        }
        let who: Caller
        if let cb = p.callback(named: caller.hasPrefix("ops.") ? String(caller.dropFirst(4)) : caller) {
            who = .callback(cb)
        }
        else if let t = ProgType(rawValue: caller) { who = .progType(t) }
        else {
            eprint("kfpolicy: error: '\(caller)' is neither a callback of struct \(p.structName) nor a program type\n")
            throw ExitWith(status: .usageOrIO)
        }
        let d = p.decide(k, who)
        print(explainText(p, k, d, sources: c.sources), terminator: "")
        if let kernelSrc {
            let ks: KernelSource
            do { ks = try KernelSource(root: kernelSrc, structNames: [p.structName], sources: c.sources) } catch {
                eprint("kfpolicy: error: --kernel-src: \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
            if let sig = ks.signature(ofKfunc: kfunc) {
                print("  kernel: \(sig.text)\n    at \(sig.location)")
            } else {
                print("  kernel: '\(kfunc)' is not defined or declared under \(kernelSrc)")
            }
            for (set, e) in ks.entries(of: kfunc) {
                let flags = e.flags.isEmpty ? "" : ", " + e.flags.joined(separator: " | ")
                let at = ks.describe(e.location)
                print("  kernel: in set \(set.name): BTF_ID_FLAGS(func, \(kfunc)\(flags)) at \(at)")
            }
            if case .callback(let cb) = who,
               let m = ks.structs[p.structName]?.members.first(where: { $0.name == p.callbacks[cb].name }) {
                print("  kernel: struct \(p.structName) member: \(m.declaration)\n    at \(ks.describe(m.location))")
            }
        }
        if !d.allowed { throw ExitWith(status: .policyError) }
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

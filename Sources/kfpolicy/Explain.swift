// kfpolicy explain

import ArgumentParser
import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say whether a kfunc may be called from a callback or program type, and why.",
        discussion: "CALLER is a callback of the policy's struct (e.g. dispatch) or a program type (tracing, syscall, struct_ops for other interfaces). Exits 0 when allowed, 1 when denied.")

    @Argument(help: "The policy file.") var file: String
    @Argument(help: "The kfunc.") var kfunc: String
    @Argument(help: "The callback or program type.") var caller: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let c = try compileOrExit(file)
        if report(c, output) { throw ExitWith(status: .policyError) }
        let p = c.policy
        guard let k = p.kfunc(named: kfunc) else {
            eprint("kfpolicy: error: policy '\(p.name)' has no kfunc '\(kfunc)'\n")
            throw ExitWith(status: .usageOrIO)
        }
        let who: Caller
        if let cb = p.callback(named: caller.hasPrefix("ops.") ? String(caller.dropFirst(4)) : caller) { who = .callback(cb) }
        else if let t = ProgType(rawValue: caller) { who = .progType(t) }
        else {
            eprint("kfpolicy: error: '\(caller)' is neither a callback of struct \(p.structName) nor a program type\n")
            throw ExitWith(status: .usageOrIO)
        }
        let d = p.decide(k, who)
        print(explainText(p, k, d, sources: c.sources), terminator: "")
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

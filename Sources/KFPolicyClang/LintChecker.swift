// kfpolicy lint, phase 2: for each program (a struct_ops callback bound in a map, or a program
// of another type), walk its calls breadth first and judge every kfunc it can reach with the
// policy's decision function. Sees only LintIndex, never libclang.

import KFPolicy

/// One lint diagnostic with the call chain that leads to it, for tests and tools:
/// `["vtime_ops.enqueue", "vt_enqueue", "[QUEUE]", "helper", "scx_bpf_consume"]`.
public struct LintFinding: Sendable {
    public let diagnostic: Diagnostic
    /// The entry (`map.member` or a program's section), then each function, macros in
    /// brackets, and the kfunc or function the diagnostic is about. Empty when not about a call.
    public let chain: [String]
    /// Where each call of the chain is written (a suppression comment at any of them applies).
    let stepSites: [SourceRange]

    init(diagnostic: Diagnostic, chain: [String], stepSites: [SourceRange] = []) {
        self.diagnostic = diagnostic; self.chain = chain; self.stepSites = stepSites
    }
}

/// A program kfpolicy checks: where its kfunc calls are judged from.
struct LintEntry {
    /// `map.member`, or the section of a program that is not struct_ops.
    let label: String
    let caller: Caller
    let function: LintFunction
    let sleepable: Bool
    /// Where the binding is written, and what the first note says about it.
    let site: SourceRange
    let note: String
    /// `ops.enqueue` or `syscall programs`: how messages name the caller.
    let callerText: String
}

/// A step of a call path: the function the edge leaves, and the edge.
typealias LintStep = (from: LintFunction, edge: LintEdge)

struct LintChecker {
    let policy: Policy
    let index: LintIndex
    /// The policy file as the user named it, for `kfpolicy explain` hints.
    let policyPath: String
    var findings: [LintFinding] = []

    init(policy: Policy, index: LintIndex, policyPath: String) {
        self.policy = policy; self.index = index; self.policyPath = policyPath
    }

    mutating func run() -> [LintFinding] {
        for e in index.clangErrors {
            add(.error, .lintClangError, e.message, at: e.site, hint: Self.clangErrorHint)
        }
        let entries = makeEntries()
        var judged: Set<String> = []
        var unresolved: Set<SourceRange> = []
        var unknown: Set<String> = []
        for entry in entries {
            let paths = reach(from: entry.function)
            for (steps, edge) in paths.kfuncCalls {
                judge(entry, steps, edge, judged: &judged, unknown: &unknown)
            }
            for (steps, edge) in paths.unresolved where !unresolved.contains(edge.site) {
                unresolved.insert(edge.site)
                let chain = chainNotes(entry, steps, edge)
                let message = "cannot follow the call to '\(edge.spelled)' from \(entry.callerText):"
                    + " no file given defines it, so kfunc calls inside it are not checked"
                add(.warning, .lintUnresolvedCall, message, at: edge.site, notes: chain.notes,
                    hint: Self.passDefinition(edge.spelled), chain: chain)
            }
        }
        escapes()
        // A map that binds no callback (the kernel's defaults run) is a program with nothing to check.
        if entries.isEmpty && index.maps.isEmpty && index.clangErrors.isEmpty {
            add(.warning, .lintNothingChecked,
                "no struct_ops map of struct \(policy.structName) and no program was found, so nothing was checked",
                at: index.fileStarts.first ?? .none,
                hint: "pass every file of the scheduler, including the one that defines its"
                    + " SEC(\".struct_ops.link\") map")
        }
        return findings
    }

    /// How to see and fix the clang arguments of a file that does not parse.
    static let clangErrorHint = "'kfpolicy lint --print-clang-args' shows how each file is parsed;"
        + " give the flags of the program's own build after '--'"

    /// The hint for a function that no file given defines.
    static func passDefinition(_ function: String) -> String {
        "pass the file that defines '\(function)' to kfpolicy lint with the others"
    }

    mutating func add(_ severity: Severity, _ id: DiagID, _ message: String, at range: SourceRange,
                      notes: [DiagnosticNote] = [], hint: String? = nil, chain: LintChain = LintChain()) {
        let diagnostic = Diagnostic(severity, id, message, at: range, notes: notes, hint: hint)
        findings.append(LintFinding(diagnostic: diagnostic, chain: chain.names, stepSites: chain.sites))
    }

    // MARK: Entries

    /// The programs to check, in file order: map bindings first, then programs of other types.
    mutating func makeEntries() -> [LintEntry] {
        var entries: [LintEntry] = []
        var bound: Set<String> = []
        for m in index.maps {
            for b in m.bindings {
                if let k = b.function { bound.insert(k) }
                let label = "\(m.name).\(b.member)"
                guard let key = b.function, let f = index.functions[key], f.isDefined else {
                    add(.warning, .lintUnresolvedCall,
                        "\(label) is bound to '\(b.functionName)', which no file given defines, so it is not checked",
                        at: b.site, hint: Self.passDefinition(b.functionName))
                    continue
                }
                let sleepable = f.section?.hasPrefix("struct_ops.s/") ?? false
                if m.structName != policy.structName {
                    let binds = "struct_ops map '\(m.name)' of struct \(m.structName) binds '\(b.functionName)'"
                    entries.append(LintEntry(label: label, caller: .progType(.struct_ops), function: f,
                                             sleepable: sleepable, site: b.site,
                                             note: "\(binds) to its member '\(b.member)'",
                                             callerText: "struct_ops programs of struct \(m.structName)"))
                    continue
                }
                guard let cb = policy.callback(named: b.member) else {
                    let ofPolicy = "policy '\(policy.name)' (struct \(policy.structName))"
                    add(.warning, .lintUnknownMember,
                        "'\(b.member)' is not a callback of \(ofPolicy), so '\(b.functionName)' is not checked",
                        at: b.site, hint: "the policy describes one kernel's struct \(policy.structName);"
                            + " use a policy for the kernel that has '\(b.member)'")
                    continue
                }
                let c = policy.callbacks[cb]
                if sleepable && !c.sleepable {
                    let program = "'\(b.functionName)' is a sleepable program (SEC(\"\(f.section ?? "")\"))"
                    add(.error, .lintSleepableProgram, "\(program) but ops.\(c.name) may not be sleepable",
                        at: b.site,
                        notes: [DiagnosticNote("'\(f.name)' is defined here", at: f.site),
                                DiagnosticNote("ops.\(c.name) is not declared sleepable", at: c.range)],
                        hint: "define it with BPF_STRUCT_OPS (section struct_ops/...)"
                            + " instead of BPF_STRUCT_OPS_SLEEPABLE",
                        chain: LintChain(names: [label, f.name]))
                }
                entries.append(LintEntry(label: label, caller: .callback(cb), function: f, sleepable: sleepable,
                                         site: b.site,
                                         note: "ops.\(c.name) is '\(b.functionName)' in struct_ops map '\(m.name)'",
                                         callerText: "ops.\(c.name)"))
            }
        }
        for key in index.functionOrder {
            guard let f = index.functions[key], f.isDefined, let sec = f.section, !bound.contains(key) else { continue }
            if ["struct_ops", "struct_ops.s"].contains(where: { sec == $0 || sec.hasPrefix($0 + "/") }) {
                add(.warning, .lintUnboundProgram,
                    "struct_ops program '\(f.name)' is bound by no struct_ops map in the files given,"
                        + " so its kfunc calls are not checked",
                    at: f.site,
                    hint: "pass the file with the SEC(\".struct_ops.link\") map that binds it, or remove the program")
                continue
            }
            guard let (type, sleepable) = programType(ofSection: sec) else { continue }
            entries.append(LintEntry(label: sec, caller: .progType(type), function: f, sleepable: sleepable,
                                     site: f.site, note: "'\(f.name)' is a \(type.rawValue) program (SEC(\"\(sec)\"))",
                                     callerText: "\(type.rawValue) programs"))
        }
        return entries
    }

    // MARK: Judging kfunc calls

    /// The kernel's name for a kfunc as libbpf resolves it: everything from the last `___` that
    /// has no underscore on either side is a flavour and ignored, so `x___v2___compat` calls the
    /// kernel's `x___v2`.
    static func kernelName(_ spelled: String) -> String {
        let b = Array(spelled.utf8), u = UInt8(ascii: "_")
        var i = b.count - 5
        while i >= 0 {
            if b[i] != u && b[i + 1] == u && b[i + 2] == u && b[i + 3] == u && b[i + 4] != u {
                return String(decoding: b[...i], as: UTF8.self)
            }
            i -= 1
        }
        return spelled
    }

    mutating func judge(_ entry: LintEntry, _ steps: [LintStep], _ edge: LintEdge,
                        judged: inout Set<String>, unknown: inout Set<String>) {
        let name = Self.kernelName(edge.spelled)
        let flavour = name == edge.spelled ? "" : "; called as '\(edge.spelled)'"
        guard let k = policy.kfunc(named: name) else {
            // A weak kfunc the target kernel lacks is resolved to 0 by libbpf, and a call to it
            // that the verifier reaches fails the load: a program that loads never makes it.
            let decl = index.kfuncs[edge.spelled]
            if decl?.isWeak != true, unknown.insert(name).inserted {
                let chain = chainNotes(entry, steps, edge)
                let called = name == edge.spelled
                    ? "" : " (called as '\(edge.spelled)', which libbpf binds to '\(name)')"
                var notes = decl.map { [DiagnosticNote("'\(edge.spelled)' is declared here", at: $0.site)] } ?? []
                var hint = "a policy describes one kernel's kfuncs; lint against a policy for the kernel that has"
                    + " '\(name)', or add it to the policy"
                if let renamed = policy.kfuncs.first(where: { $0.was.contains(name) }) {
                    notes.append(DiagnosticNote("'\(name)' was renamed '\(renamed.name)'", at: renamed.wasRange))
                    hint = "call '\(renamed.name)', or declare '\(name)' __weak and call it only where "
                        + "bpf_ksym_exists() finds it: a kernel without a kfunc a program needs refuses to load it"
                }
                add(.warning, .lintUnknownKfunc,
                    "kfunc '\(name)'\(called) is not in policy '\(policy.name)', so its calls are not checked",
                    at: edge.site, notes: notes + chain.notes, hint: hint, chain: chain)
            }
            return
        }
        let key = "\(entry.caller)|\(edge.site.file):\(edge.site.start)|\(name)"
        guard judged.insert(key).inserted else { return }
        let d = policy.decide(k, entry.caller)
        let kf = policy.kfuncs[k]
        if !d.allowed {
            let chain = chainNotes(entry, steps, edge), notes = chain.notes
            let reasons = d.reasons.map { DiagnosticNote($0.message, at: $0.range) }
            var hint: String?
            if case .callback(let c) = entry.caller {
                hint = "'kfpolicy explain \(policyPath) \(name) \(policy.callbacks[c].name)' shows the rule"
            }
            add(.error, .lintKfuncNotAllowed,
                "'\(name)' is not allowed in \(entry.callerText) (allowed in: \(allowedText(k)))\(flavour)",
                at: edge.site, notes: notes + reasons, hint: hint, chain: chain)
            return
        }
        if (kf.requiresSleepable || kf.has(.KF_SLEEPABLE)) && !entry.sleepable {
            let chain = chainNotes(entry, steps, edge)
            let range = kf.requiresSleepable ? kf.requiresRange : kf.flagsRange
            let sec = entry.function.section.map { " (SEC(\"\($0)\"))" } ?? ""
            let program = "'\(entry.function.name)'\(sec), bound to \(entry.callerText),"
            let needs = kf.requiresSleepable ? "requires sleepable" : "is KF_SLEEPABLE"
            let why = DiagnosticNote("'\(name)' \(needs)", at: range)
            add(.error, .lintSleepableKfunc,
                "'\(name)' needs a sleepable program, and \(program) is not sleepable\(flavour)",
                at: edge.site, notes: chain.notes + [why],
                hint: "define '\(entry.function.name)' with BPF_STRUCT_OPS_SLEEPABLE (section struct_ops.s/...)",
                chain: chain)
        }
    }

    /// `dispatch` or `select_cpu, enqueue; tracing, syscall programs`.
    func allowedText(_ k: Int) -> String {
        let cbs = policy.allowedCallbacks(of: k).map { policy.callbacks[$0].name }
        let others = policy.progTypes(of: k).filter { $0 != .struct_ops }
        let every = ProgType.allCases.filter { $0 != .struct_ops && policy.hook(of: $0) != nil }
        let types = every.allSatisfy(others.contains) ? ["every"] : others.map(\.rawValue)
        var parts: [String] = []
        if cbs.count == policy.callbacks.count {
            parts.append("every callback")
        } else if cbs.count > 8 {
            parts.append(cbs.prefix(8).joined(separator: ", ") + " and \(cbs.count - 8) more")
        } else if !cbs.isEmpty {
            parts.append(cbs.joined(separator: ", "))
        }
        if types == ["every"] {
            parts.append("every program type")
        } else if !types.isEmpty {
            parts.append(types.joined(separator: ", ") + " programs")
        }
        return parts.isEmpty ? "no callback" : parts.joined(separator: "; ")
    }
}

/// The program type (and whether it is sleepable) of a libbpf section name, for the program
/// types a policy can name. nil for sections kfpolicy does not judge.
func programType(ofSection s: String) -> (ProgType, Bool)? {
    func has(_ p: String) -> Bool { s == p || s.hasPrefix(p + "/") || s.hasPrefix(p + ".") }
    let sleepable = s.contains(".s/") || s.hasSuffix(".s")
    if s == "syscall" { return (.syscall, true) }
    for (prefixes, type, maySleep) in sectionTypes where prefixes.contains(where: has) {
        return (type, maySleep && sleepable)
    }
    if s.hasPrefix("cgroup/") {
        let rest = s.dropFirst(7)
        let sockHooks = ["sock_create", "sock_release", "post_bind4", "post_bind6", "sock"]
        let sockAddrHooks = ["bind", "connect", "getpeername", "getsockname", "sendmsg", "recvmsg"]
        if ["skb", "ingress", "egress"].contains(where: { rest.hasPrefix($0) }) { return (.cgroup_skb, false) }
        if sockHooks.contains(where: { rest == $0 }) { return (.cgroup_sock, false) }
        if sockAddrHooks.contains(where: { rest.hasPrefix($0) }) { return (.cgroup_sock_addr, false) }
    }
    return nil
}

/// libbpf's section names of each program type, in the order they are tried, and whether the
/// type is sleepable when its section says so (`.s`).
private let sectionTypes: [(prefixes: [String], type: ProgType, maySleep: Bool)] = [
    (["tp_btf", "fentry", "fexit", "fmod_ret", "iter", "fentry.s", "fexit.s", "fmod_ret.s", "iter.s"], .tracing, true),
    (["lsm", "lsm.s", "lsm_cgroup"], .lsm, true),
    (["kprobe", "kretprobe", "uprobe", "uretprobe", "ksyscall", "kretsyscall", "usdt", "uprobe.s", "uretprobe.s"],
     .kprobe, true),
    (["tracepoint", "tp"], .tracepoint, false),
    (["raw_tracepoint", "raw_tp", "raw_tracepoint.w", "raw_tp.w"], .raw_tracepoint, false),
    (["perf_event"], .perf_event, false),
    (["xdp"], .xdp, false),
    (["tc", "tcx", "classifier", "netkit"], .sched_cls, false),
    (["action"], .sched_act, false),
    (["cgroup_skb"], .cgroup_skb, false),
    (["sk_skb"], .sk_skb, false),
    (["netfilter"], .netfilter, false),
]

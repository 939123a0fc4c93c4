// Rules over the whole model: the kernel's limits, what a module may register, generated-name
// collisions, kfunc consistency, the nesting graph and unused declarations.

extension Checker {
    /// Linux 6.12's limits on what the generated header registers (KFP409 in
    /// docs/diagnostics.md). `kfpolicy gen --ignore-kernel-limits` makes these warnings.
    static let maxStructOpsMembers = 64      // BPF_STRUCT_OPS_MAX_NR_MEMBERS, include/linux/bpf.h
    static let maxKfuncsPerHook = 256        // BTF_KFUNC_SET_MAX_CNT, kernel/bpf/btf.c

    mutating func checkKernelLimits() {
        if policy.callbacks.count > Checker.maxStructOpsMembers {
            let c = policy.callbacks[Checker.maxStructOpsMembers]
            reportKernelLimit(
                "struct \(policy.structName) would have \(policy.callbacks.count) callbacks", at: c.range,
                limit: "Linux registers no struct_ops with more than \(Checker.maxStructOpsMembers) members"
                    + " (BPF_STRUCT_OPS_MAX_NR_MEMBERS)", statedAt: policy.range,
                hint: "split the interface into several structs, each with its own policy")
        }
        // register_btf_kfunc_id_set() concatenates every set registered for one hook of one BTF
        // into one set of at most 256 entries (a set registered for two types of one hook, or a
        // kfunc in two such sets, counts twice); past that it fails with -E2BIG.
        var size = [Int](repeating: 0, count: policy.sets.count)
        for k in policy.kfuncs { for s in k.sets { size[s] += 1 } }
        var total: [String: Int] = [:]
        for s in policy.ownSets {
            for t in policy.sets[s].progTypes {
                guard let hook = policy.hook(of: t) else { continue }
                let before = total[hook, default: 0]
                total[hook] = before + size[s]
                if before <= Checker.maxKfuncsPerHook, before + size[s] > Checker.maxKfuncsPerHook {
                    reportHookLimit(hook, passedBy: policy.sets[s])
                }
            }
        }
    }

    /// A hook whose merged kfunc set grows past the kernel's limit with `set`.
    mutating func reportHookLimit(_ hook: String, passedBy set: KfuncSet) {
        let max = Checker.maxKfuncsPerHook
        reportKernelLimit(
            "with set '\(set.name)', the \(hook) hook holds more than \(max) kfunc entries", at: set.range,
            limit: "Linux merges the sets of one program-type hook into one set of at most \(max)"
                + " (BTF_KFUNC_SET_MAX_CNT); registering more fails with -E2BIG", statedAt: set.range,
            hint: "register fewer kfuncs for these program types; the kernel's own sets for the hook count too")
    }

    /// A limit of Linux that the generated header would pass (KFP409), with a note that states
    /// the limit.
    mutating func reportKernelLimit(_ message: String, at range: SourceRange, limit: String,
                                    statedAt limitRange: SourceRange, hint: String) {
        diagnostics.error(.kernelLimit, message, at: range, notes: [DiagnosticNote(limit, at: limitRange)], hint: hint)
    }

    /// A module may register one kfunc set per hook: the kernel refuses a second and drops all
    /// of the module's sets (6.12 and mainline, __register_btf_kfunc_id_set).
    mutating func checkModuleSets() {
        guard let module = policy.module else { return }
        var first: [String: (set: Int, type: ProgType)] = [:]
        for s in policy.ownSets {
            for t in policy.sets[s].progTypes {
                guard let hook = policy.hook(of: t) else { continue }
                if let prev = first[hook], prev.set != s {
                    let p = policy.sets[prev.set]
                    let registered = DiagnosticNote("set '\(p.name)' is registered for \(prev.type.rawValue) already",
                                                    at: p.range)
                    diagnostics.error(
                        .moduleSetsPerHook, "module \(module) registers a second kfunc set for the \(hook) hook",
                        at: policy.sets[s].range, notes: [registered],
                        hint: "a module registers at most one set per program-type hook (the kernel refuses the"
                            + " second and drops all of the module's sets); put these kfuncs into one set")
                } else if first[hook] == nil {
                    first[hook] = (s, t)
                }
            }
        }
    }

    /// Every C name the header defines comes from the namer; two declarations that would get
    /// the same name (`Dispatch` and `DISPATCH`, a kfunc named like a generated table) collide.
    mutating func checkGeneratedNames() {
        var seen: [String: CName] = [:]
        var reported = Set<[SourceRange]>()
        for n in CNamer(policy).allNames(policy) {
            guard let prev = seen[n.name] else { seen[n.name] = n; continue }
            if prev.range == n.range && prev.what == n.what { continue }
            if prev.range.isNone && n.range.isNone { continue }
            // One report per pair of declarations, however many of their names collide.
            guard reported.insert([prev.range, n.range]).inserted else { continue }
            let at = n.range.isNone ? prev.range : n.range
            let (this, other) = n.range.isNone ? (prev, n) : (n, prev)
            if poisoned.contains(n.name) { continue }
            var notes: [DiagnosticNote] = []
            if !other.range.isNone { notes.append(DiagnosticNote("\(other.what) is declared here", at: other.range)) }
            diagnostics.error(
                .reservedName, "generated C name '\(n.name)' of \(this.what) collides with that of \(other.what)",
                at: at, notes: notes, hint: "rename one of them")
        }
    }

    /// What each kfunc must satisfy beyond its own statements; and each set holds some kfunc.
    mutating func checkKfuncRules() {
        var setUsed = [Bool](repeating: false, count: policy.sets.count)
        // A kfunc is allowed in some callback when its mask meets the contexts of some callback
        // (of some sleepable one, if it requires sleepable): one union each, not a scan per kfunc.
        var anyCallback = ContextMask.empty, sleepableCallback = ContextMask.empty
        for c in policy.callbacks {
            anyCallback = anyCallback.union(c.contexts)
            if c.sleepable { sleepableCallback = sleepableCallback.union(c.contexts) }
        }
        var renamed: [String: Int] = [:]
        for (k, kf) in policy.kfuncs.enumerated() {
            for s in kf.sets { setUsed[s] = true }
            checkRenames(k, &renamed)
            if incompleteKfuncs.contains(k) { continue }
            checkExternalSets(kf)
            // A kfunc an included file shares between policies need not be callable in each.
            let shared = kf.range.file != policy.range.file
            if !shared, let reg = policy.registeringSet(k, for: .struct_ops),
               !kf.mask.meets(kf.requiresSleepable ? sleepableCallback : anyCallback) {
                reportNoCallback(kf, registeredBy: policy.sets[reg])
            }
            if kf.has(.KF_SLEEPABLE), !kf.requiresSleepable { checkSleepableCallbacks(kf) }
            for impl in kf.impls {
                for c in impl.callbacks where !policy.isAllowed(k, .callback(c)) {
                    let cb = policy.callbacks[c]
                    diagnostics.error(
                        .implNotAllowed,
                        "kfunc '\(kf.name)' has an implementation for ops.\(cb.name), where it is not allowed",
                        at: impl.range, notes: [DiagnosticNote("ops.\(cb.name) declared here", at: cb.range)],
                        hint: "remove the callback from 'impl' or widen the kfunc's mask")
                }
            }
        }
        for (i, s) in policy.sets.enumerated() where !setUsed[i] && !poisoned.contains(s.name) {
            diagnostics.warning(.emptySet, "set '\(s.name)' holds no kfunc", at: s.range,
                                hint: "add 'in \(s.name);' to its kfuncs or remove it")
        }
    }

    /// A kfunc is registered by this policy or by another subsystem, never by both.
    mutating func checkExternalSets(_ kf: Kfunc) {
        let external = kf.sets.filter { policy.sets[$0].external }
        guard !external.isEmpty, external.count < kf.sets.count else { return }
        let own = policy.sets[kf.sets.first { !policy.sets[$0].external }!]
        let ext = policy.sets[external[0]]
        diagnostics.error(
            .externalMixed, "kfunc '\(kf.name)' is in external set '\(ext.name)' and in set '\(own.name)'",
            at: kf.setsRange, notes: [DiagnosticNote("'\(ext.name)' is external", at: ext.range)],
            hint: "a kfunc is either registered by this policy or by another subsystem")
    }

    /// A kfunc registered for struct_ops that no callback (no sleepable one, if it requires
    /// sleepable) may call.
    mutating func reportNoCallback(_ kf: Kfunc, registeredBy set: KfuncSet) {
        let reason = kf.mask.isEmpty ? "its mask is 'none'"
            : "no\(kf.requiresSleepable ? " sleepable" : "") callback runs in \(policy.describe(kf.mask))"
        let hasMask = kf.maskRange != kf.range
        diagnostics.error(
            .kfuncNoCallback, "kfunc '\(kf.name)' is registered for struct_ops but allowed in no callback: \(reason)",
            at: kf.maskRange, notes: [DiagnosticNote("registered for struct_ops by this set", at: set.range)],
            hint: hasMask ? "widen its mask, or register it only for the program types that call it"
                : "add 'allow CONTEXTS;'")
    }

    /// A KF_SLEEPABLE kfunc that does not require sleepable may be allowed only where every
    /// callback is sleepable.
    mutating func checkSleepableCallbacks(_ kf: Kfunc) {
        let bad = policy.callbacks.filter { kf.mask.meets($0.contexts) && !$0.sleepable }
        guard !bad.isEmpty else { return }
        let names = bad.prefix(6).map { "ops.\($0.name)" }.joined(separator: ", ") + (bad.count > 6 ? ", ..." : "")
        let notes = bad.prefix(3).map { DiagnosticNote("ops.\($0.name) is not sleepable", at: $0.range) }
        diagnostics.error(
            .sleepableInNonSleepable,
            "KF_SLEEPABLE kfunc '\(kf.name)' is allowed in callbacks that are not sleepable: \(names)",
            at: kf.maskRange, notes: notes,
            hint: "add 'requires sleepable;' or narrow its mask to sleepable callbacks")
    }

    /// A kfunc's earlier names must not be names of current kfuncs, nor of another's past.
    mutating func checkRenames(_ k: Int, _ renamed: inout [String: Int]) {
        let kf = policy.kfuncs[k]
        for old in kf.was {
            if let other = policy.kfunc(named: old) {
                let declared = DiagnosticNote("'\(old)' is declared here", at: policy.kfuncs[other].range)
                diagnostics.error(
                    .renameCollision, "kfunc '\(kf.name)' was '\(old)', which is a kfunc of this policy",
                    at: kf.wasRange, notes: [declared],
                    hint: "a renamed kfunc's old name no longer exists; remove 'was \(old)' or the old kfunc")
            } else if let prev = renamed[old], prev != k {
                let earlier = policy.kfuncs[prev]
                diagnostics.error(
                    .renameCollision, "'\(old)' is an earlier name of two kfuncs", at: kf.wasRange,
                    notes: [DiagnosticNote("'\(earlier.name)' was '\(old)' too", at: earlier.wasRange)],
                    hint: "each old name becomes one new name")
            } else {
                renamed[old] = k
            }
        }
    }

    /// The nesting graph must be acyclic, or (with `nesting per_instance;`) each cycle is a
    /// warning and the header's instance check refuses instances that close one.
    mutating func checkNestingGraph() {
        let graph = NestingGraph(policy)
        let perInstance = policy.nesting == .per_instance
        for cycle in graph.cycles() {
            let first = cycle[0]
            let notes = cycle.prefix(32).map { DiagnosticNote($0.describe(policy), at: $0.range) }
            let nodes = cycle.map { graph.nodeName($0.from) } + [graph.nodeName(first.from)]
            let path = elided(nodes).joined(separator: " -> ")
            if perInstance {
                diagnostics.warning(
                    .nestingCycleChecked, "nesting graph has a cycle: \(path)", at: first.range, notes: notes,
                    hint: "with 'nesting per_instance;' a struct_ops instance that implements the whole cycle is"
                        + " refused when it is registered")
            } else {
                diagnostics.error(.nestingCycle, "nesting graph is not a DAG: \(path)", at: first.range, notes: notes,
                                  hint: "remove one of the 'invokes', 'nest' or 'allow' facts on this path")
            }
        }
    }

    mutating func warnUnused() {
        for (i, c) in policy.contexts.enumerated() where usedContexts & (1 << UInt32(i)) == 0 {
            diagnostics.warning(.unusedContext, "context '\(c.name)' is never used", at: c.range,
                                hint: "give it to a callback or a kfunc mask, or remove it")
        }
        for g in policy.groups where !usedGroups.contains(g.name) {
            diagnostics.warning(.unusedGroup, "group '\(g.name)' is never used", at: g.range,
                                hint: "use it in a mask or remove it")
        }
        for (i, r) in policy.requirements.enumerated() where !usedRequirements.contains(i) {
            diagnostics.warning(.unusedRequirement, "requirement '\(r.name)' is never required", at: r.range,
                                hint: "add 'requires \(r.name);' to a kfunc or remove it")
        }
    }
}

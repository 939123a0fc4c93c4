// The sentences of every decision, written once: `kfpolicy explain`, lint, diff and the
// generated Swift tables all word their answers here.

extension VerdictReason {
    init(_ message: String, _ fact: DecisionFact) { self.message = message; self.fact = fact }
}

extension DecisionTables {
    /// May kfunc `k` be called from callback `c`, and why.
    public func decide(kfunc k: Int, inCallback c: Int) -> Verdict {
        let kf = kfuncFacts(k), cb = callbackFacts(c)
        let op = "ops.\(cb.name)"
        var extra = conditions(kf, k)
        if !cb.config.isEmpty {
            extra.append(VerdictReason("\(op) exists only with \(cb.config.joined(separator: " and "))", .callback(c)))
        }
        guard let reg = registeringSet(k, for: .struct_ops) else {
            return Verdict(allowed: false, summary: "'\(kf.name)' is in no set registered for struct_ops programs",
                           reasons: setReasons(kf, k) + extra)
        }
        if let d = denial(ofKfunc: k) {
            let set = setFacts(deniedSet(at: d)).name
            return Verdict(allowed: false,
                           summary: "'\(kf.name)' is in set '\(set)', which no callback of struct \(structName) "
                               + "may call",
                           reasons: [VerdictReason("policy '\(name)' denies set '\(set)'", .denial(d)),
                                     VerdictReason("'\(kf.name)' is in set '\(set)'", .kfuncSets(k))] + extra)
        }
        let kfContexts = describe(contexts: kf.contexts), cbContexts = describe(contexts: cb.contexts)
        let maskReason = VerdictReason("'\(kf.name)' may be called in: \(kfContexts)", .kfuncContexts(k))
        let cbReason = VerdictReason("\(op) runs in: \(cbContexts)\(cb.sleepable ? " (sleepable)" : "")", .callback(c))
        if kf.contexts & cb.contexts == 0 {
            return Verdict(allowed: false,
                           summary: "'\(kf.name)' is not allowed in \(op): its contexts (\(kfContexts)) "
                               + "do not meet those of \(op) (\(cbContexts))",
                           reasons: [maskReason, cbReason] + extra)
        }
        if kf.requiresSleepable && !cb.sleepable {
            return Verdict(allowed: false,
                           summary: "'\(kf.name)' requires a sleepable callback and \(op) is not sleepable",
                           reasons: [VerdictReason("'\(kf.name)' requires sleepable", .kfuncRequires(k)), cbReason]
                               + extra)
        }
        var reasons = [maskReason, cbReason, registration(reg, .struct_ops)]
        if kf.requiresSleepable {
            reasons.append(VerdictReason("'\(kf.name)' requires sleepable; \(op) is sleepable", .kfuncRequires(k)))
        }
        if let i = implementation(ofKfunc: k, inCallback: c) {
            reasons.append(VerdictReason("in \(op) it is implemented by '\(i.symbol)'",
                                         .implementation(kfunc: k, index: i.index)))
        }
        let common = describe(contexts: kf.contexts & cb.contexts)
        return Verdict(allowed: true, summary: "'\(kf.name)' is allowed in \(op) (common contexts: \(common))",
                       reasons: reasons + extra)
    }

    /// May kfunc `k` be called from a program of type `t`, and why. `.struct_ops` means a
    /// struct_ops program of another interface.
    public func decide(kfunc k: Int, from t: ProgramType) -> Verdict {
        let kf = kfuncFacts(k)
        let extra = conditions(kf, k)
        let other = t == .struct_ops
        if let s = registeringSet(k, for: t, otherInterface: other) {
            let who = other ? "struct_ops programs of every interface" : "\(t.rawValue) programs"
            return Verdict(allowed: true, summary: "'\(kf.name)' is allowed in \(who)",
                           reasons: [VerdictReason("'\(kf.name)' is in set '\(setFacts(s).name)'", .kfuncSets(k)),
                                     registration(s, t)] + extra)
        }
        if other {
            return Verdict(allowed: false,
                           summary: "'\(kf.name)' is not allowed in struct_ops programs of other interfaces than "
                               + "struct \(structName)",
                           reasons: [VerdictReason("policy '\(name)' covers struct \(structName) only", .policy)]
                               + extra)
        }
        return Verdict(allowed: false, summary: "'\(kf.name)' is in no set registered for \(t.rawValue) programs",
                       reasons: setReasons(kf, k) + extra)
    }

    /// "'k' exists only with CONFIG_A and CONFIG_B", for a kfunc inside `if` blocks.
    func conditions(_ kf: KfuncFacts, _ k: Int) -> [VerdictReason] {
        if kf.config.isEmpty { return [] }
        return [VerdictReason("'\(kf.name)' exists only with \(kf.config.joined(separator: " and "))", .kfunc(k))]
    }

    /// "set S is registered for T", saying when T only shares the hook of the set's type and
    /// when another subsystem registers the set.
    func registration(_ s: Int, _ t: ProgramType) -> VerdictReason {
        let set = setFacts(s)
        let via = set.programTypes.contains(t) ? t.rawValue
            : "\(set.programTypes.first { hook(of: $0) == hook(of: t) }!.rawValue), whose kfunc hook \(t.rawValue) programs share"
        let by = set.external ? " by another subsystem (external)" : ""
        return VerdictReason("set '\(set.name)' is registered for \(via)\(by)", .set(s))
    }

    /// Which sets hold a kfunc and what each is registered for.
    func setReasons(_ kf: KfuncFacts, _ k: Int) -> [VerdictReason] {
        let names = kf.sets.map { "'\(setFacts($0).name)'" }
        let setNames = names.isEmpty ? "no set" : (names.count == 1 ? "set " : "sets ") + names.joined(separator: ", ")
        return [VerdictReason("'\(kf.name)' is in \(setNames)", .kfuncSets(k))] + kf.sets.map { s in
            let set = setFacts(s)
            let types = set.programTypes.map(\.rawValue).joined(separator: ", ")
            return VerdictReason("set '\(set.name)' is registered for \(types.isEmpty ? "no program type" : types)",
                                 .set(s))
        }
    }
}

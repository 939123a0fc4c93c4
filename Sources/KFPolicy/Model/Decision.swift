// The reference decision function. Every generated artifact (C filter, guards, Swift tables) is
// tested against it, so it is written for clarity, not speed.

/// Who calls a kfunc.
public enum Caller: Sendable, Hashable {
    /// A struct_ops program of this policy's interface implementing callback `index`.
    case callback(Int)
    /// A program of another type (tracing, syscall, ...). `.struct_ops` here means a struct_ops
    /// program of some other interface.
    case progType(ProgType)
}

/// A declaration that takes part in a decision.
public struct Reason: Sendable {
    public let message: String
    public let range: SourceRange
}

public struct Decision: Sendable {
    public let allowed: Bool
    /// One sentence saying why.
    public let summary: String
    /// The declarations that decide it, most decisive first.
    public let reasons: [Reason]
}

extension Policy {
    /// The first set of kfunc `k` registered for `t` (external sets only, for struct_ops of
    /// other interfaces, whose programs may call none of this policy's own kfuncs).
    func registeringSet(_ k: Int, for t: ProgType, otherInterface: Bool = false) -> Int? {
        guard let hook = t.hook else { return nil }
        return kfuncs[k].sets.first { s in
            sets[s].progTypes.contains { $0.hook == hook } && (!otherInterface || sets[s].external)
        }
    }

    /// The set `deny set` names that holds kfunc `k`, if any.
    public func denyingSet(_ k: Int) -> (set: Int, range: SourceRange)? {
        deniedSets.first { kfuncs[k].sets.contains($0.set) }
    }

    /// Quick yes/no, the same answer as `decide(_:_:).allowed`.
    public func isAllowed(_ k: Int, _ caller: Caller) -> Bool {
        let kf = kfuncs[k]
        switch caller {
        case .callback(let c):
            let cb = callbacks[c]
            return registeringSet(k, for: .struct_ops) != nil && kf.mask.meets(cb.contexts)
                && (!kf.requiresSleepable || cb.sleepable) && denyingSet(k) == nil
        case .progType(let t):
            return registeringSet(k, for: t, otherInterface: t == .struct_ops) != nil
        }
    }

    /// May kfunc `k` be called by `caller`, and why.
    public func decide(_ k: Int, _ caller: Caller) -> Decision {
        let kf = kfuncs[k]
        var extra: [Reason] = []
        if !kf.config.isEmpty {
            extra.append(Reason(message: "'\(kf.name)' exists only with \(kf.config.joined(separator: " and "))", range: kf.range))
        }
        switch caller {
        case .callback(let c):
            let cb = callbacks[c]
            let op = "ops.\(cb.name)"
            if !cb.config.isEmpty {
                extra.append(Reason(message: "\(op) exists only with \(cb.config.joined(separator: " and "))", range: cb.range))
            }
            guard let reg = registeringSet(k, for: .struct_ops) else {
                return Decision(allowed: false, summary: "'\(kf.name)' is in no set registered for struct_ops programs",
                                reasons: setReasons(k) + extra)
            }
            if let d = denyingSet(k) {
                return Decision(allowed: false, summary: "'\(kf.name)' is in set '\(sets[d.set].name)', which no callback of struct \(structName) may call",
                                reasons: [Reason(message: "policy '\(name)' denies set '\(sets[d.set].name)'", range: d.range),
                                          Reason(message: "'\(kf.name)' is in set '\(sets[d.set].name)'", range: kf.setsRange)] + extra)
            }
            let maskReason = Reason(message: "'\(kf.name)' may be called in: \(describe(kf.mask))", range: kf.maskRange)
            let cbReason = Reason(message: "\(op) runs in: \(describe(cb.contexts))\(cb.sleepable ? " (sleepable)" : "")",
                                  range: cb.range)
            if !kf.mask.meets(cb.contexts) {
                return Decision(allowed: false,
                                summary: "'\(kf.name)' is not allowed in \(op): its contexts (\(describe(kf.mask))) "
                                    + "do not meet those of \(op) (\(describe(cb.contexts)))",
                                reasons: [maskReason, cbReason] + extra)
            }
            if kf.requiresSleepable && !cb.sleepable {
                return Decision(allowed: false,
                                summary: "'\(kf.name)' requires a sleepable callback and \(op) is not sleepable",
                                reasons: [Reason(message: "'\(kf.name)' requires sleepable", range: kf.requiresRange), cbReason]
                                    + extra)
            }
            var reasons = [maskReason, cbReason, registration(reg, .struct_ops)]
            if kf.requiresSleepable {
                reasons.append(Reason(message: "'\(kf.name)' requires sleepable; \(op) is sleepable", range: kf.requiresRange))
            }
            if let i = kf.impls.first(where: { $0.callbacks.contains(c) }) {
                reasons.append(Reason(message: "in \(op) it is implemented by '\(i.symbol)'", range: i.range))
            }
            let common = describe(kf.mask.intersection(cb.contexts))
            return Decision(allowed: true, summary: "'\(kf.name)' is allowed in \(op) (common contexts: \(common))",
                            reasons: reasons + extra)
        case .progType(let t):
            let other = t == .struct_ops
            if let s = registeringSet(k, for: t, otherInterface: other) {
                let who = other ? "struct_ops programs of every interface" : "\(t.rawValue) programs"
                return Decision(allowed: true, summary: "'\(kf.name)' is allowed in \(who)",
                                reasons: [Reason(message: "'\(kf.name)' is in set '\(sets[s].name)'", range: kf.setsRange),
                                          registration(s, t)] + extra)
            }
            if other {
                return Decision(allowed: false,
                                summary: "'\(kf.name)' is not allowed in struct_ops programs of other interfaces than struct \(structName)",
                                reasons: [Reason(message: "policy '\(name)' covers struct \(structName) only", range: range)] + extra)
            }
            return Decision(allowed: false, summary: "'\(kf.name)' is in no set registered for \(t.rawValue) programs",
                            reasons: setReasons(k) + extra)
        }
    }

    /// "set S is registered for T" (and who defines it, for an external set).
    func registration(_ s: Int, _ t: ProgType) -> Reason {
        let set = sets[s]
        let via = set.progTypes.contains(t) ? t.rawValue
            : "\(set.progTypes.first { $0.hook == t.hook }!.rawValue), whose kfunc hook \(t.rawValue) programs share"
        return Reason(message: "set '\(set.name)' is registered for \(via)"
                        + (set.external ? " by another subsystem (external)" : ""), range: set.range)
    }

    /// Where a kfunc's sets are declared and what each is registered for.
    func setReasons(_ k: Int) -> [Reason] {
        let kf = kfuncs[k]
        let names = kf.sets.map { "'\(sets[$0].name)'" }
        let setNames = names.isEmpty ? "no set" : (names.count == 1 ? "set " : "sets ") + names.joined(separator: ", ")
        return [Reason(message: "'\(kf.name)' is in \(setNames)", range: kf.setsRange)]
            + kf.sets.map {
                Reason(message: sets[$0].progTypes.isEmpty ? "set '\(sets[$0].name)' is registered for no program type"
                        : "set '\(sets[$0].name)' is registered for " + sets[$0].progTypes.map(\.rawValue).joined(separator: ", "),
                       range: sets[$0].range)
            }
    }

    /// The callbacks where kfunc `k` is allowed, in declaration order.
    public func allowedCallbacks(of k: Int) -> [Int] {
        callbacks.indices.filter { isAllowed(k, .callback($0)) }
    }
}

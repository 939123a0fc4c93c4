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
    /// Quick yes/no, the same answer as `decide(_:_:).allowed`.
    public func isAllowed(_ k: Int, _ caller: Caller) -> Bool {
        let kf = kfuncs[k]
        switch caller {
        case .callback(let c):
            let cb = callbacks[c]
            return kf.sets.contains { sets[$0].progTypes.contains(.struct_ops) }
                && kf.mask.meets(cb.contexts)
                && (!kf.requiresSleepable || cb.sleepable)
        case .progType(let t):
            return t != .struct_ops && kf.sets.contains { sets[$0].progTypes.contains(t) }
        }
    }

    /// May kfunc `k` be called by `caller`, and why.
    public func decide(_ k: Int, _ caller: Caller) -> Decision {
        let kf = kfuncs[k]
        let names = kf.sets.map { "'\(sets[$0].name)'" }
        let setNames = names.isEmpty ? "no set" : (names.count == 1 ? "set " : "sets ") + names.joined(separator: ", ")
        switch caller {
        case .callback(let c):
            let cb = callbacks[c]
            let op = "ops.\(cb.name)"
            let regs = kf.sets.filter { sets[$0].progTypes.contains(.struct_ops) }
            guard let reg = regs.first else {
                return Decision(allowed: false,
                                summary: "'\(kf.name)' is in no set registered for struct_ops programs",
                                reasons: [Reason(message: "'\(kf.name)' is in \(setNames)", range: kf.setsRange)]
                                    + kf.sets.map { Reason(message: "set '\(sets[$0].name)' is registered for \(sets[$0].progTypes.map(\.rawValue).joined(separator: ", "))", range: sets[$0].range) })
            }
            let maskReason = Reason(message: "'\(kf.name)' may be called in: \(describe(kf.mask))", range: kf.maskRange)
            let cbReason = Reason(message: "\(op) runs in: \(describe(cb.contexts))\(cb.sleepable ? " (sleepable)" : "")", range: cb.range)
            if !kf.mask.meets(cb.contexts) {
                return Decision(allowed: false,
                                summary: "'\(kf.name)' is not allowed in \(op): its contexts (\(describe(kf.mask))) do not meet those of \(op) (\(describe(cb.contexts)))",
                                reasons: [maskReason, cbReason])
            }
            if kf.requiresSleepable && !cb.sleepable {
                return Decision(allowed: false,
                                summary: "'\(kf.name)' requires a sleepable callback and \(op) is not sleepable",
                                reasons: [Reason(message: "'\(kf.name)' requires sleepable", range: kf.requiresRange), cbReason])
            }
            let common = describe(kf.mask.intersection(cb.contexts))
            var reasons = [maskReason, cbReason,
                           Reason(message: "set '\(sets[reg].name)' is registered for struct_ops", range: sets[reg].range)]
            if kf.requiresSleepable {
                reasons.append(Reason(message: "'\(kf.name)' requires sleepable; \(op) is sleepable", range: kf.requiresRange))
            }
            let impl = implementation(of: k, in: c)
            if impl != kf.name, let i = kf.impls.first(where: { $0.callbacks.contains(c) }) {
                reasons.append(Reason(message: "in \(op) it is implemented by '\(impl)'", range: i.range))
            }
            return Decision(allowed: true, summary: "'\(kf.name)' is allowed in \(op) (common contexts: \(common))", reasons: reasons)
        case .progType(let t):
            if t == .struct_ops {
                return Decision(allowed: false,
                                summary: "'\(kf.name)' is not allowed in struct_ops programs of other interfaces than struct \(structName)",
                                reasons: [Reason(message: "policy '\(name)' covers struct \(structName) only", range: range)])
            }
            if let s = kf.sets.first(where: { sets[$0].progTypes.contains(t) }) {
                return Decision(allowed: true, summary: "'\(kf.name)' is allowed in \(t.rawValue) programs",
                                reasons: [Reason(message: "'\(kf.name)' is in set '\(sets[s].name)'", range: kf.setsRange),
                                          Reason(message: "set '\(sets[s].name)' is registered for \(t.rawValue)", range: sets[s].range)])
            }
            return Decision(allowed: false, summary: "'\(kf.name)' is in no set registered for \(t.rawValue) programs",
                            reasons: [Reason(message: "'\(kf.name)' is in \(setNames)", range: kf.setsRange)]
                                + kf.sets.map { Reason(message: "set '\(sets[$0].name)' is registered for \(sets[$0].progTypes.map(\.rawValue).joined(separator: ", "))", range: sets[$0].range) })
        }
    }

    /// The callbacks where kfunc `k` is allowed, in declaration order.
    public func allowedCallbacks(of k: Int) -> [Int] {
        callbacks.indices.filter { isAllowed(k, .callback($0)) }
    }
}

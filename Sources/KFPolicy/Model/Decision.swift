// The reference decision function, as the model asks it: the logic and the sentences are
// KFPolicyRuntime's (the generated Swift tables answer through the same code); this file feeds it
// the checked policy and points each reason at the declaration it rests on.

import KFPolicyRuntime

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

extension Policy: DecisionTables {
    public var kernelName: String { kernel.description }

    /// Whether some set of the policy is registered for a program type of `t`'s kfunc hook.
    public func reachesSets(from t: ProgType) -> Bool {
        guard let h = hook(of: t) else { return false }
        return sets.contains { $0.progTypes.contains { hook(of: $0) == h } }
    }
    public var contextCount: Int { contexts.count }
    public func contextName(_ i: Int) -> String { contexts[i].name }
    public var callbackCount: Int { callbacks.count }
    public var kfuncCount: Int { kfuncs.count }

    public func kfuncFacts(_ k: Int) -> KfuncFacts {
        let kf = kfuncs[k]
        return KfuncFacts(name: kf.name, contexts: kf.mask.bits, requiresSleepable: kf.requiresSleepable,
                          sets: kf.sets, config: kf.config)
    }

    public func callbackFacts(_ c: Int) -> CallbackFacts {
        let cb = callbacks[c]
        return CallbackFacts(name: cb.name, contexts: cb.contexts.bits, sleepable: cb.sleepable, config: cb.config)
    }

    public func setFacts(_ s: Int) -> SetFacts {
        SetFacts(name: sets[s].name, programTypes: sets[s].progTypes, external: sets[s].external)
    }

    public var deniedSetCount: Int { deniedSets.count }
    public func deniedSet(at i: Int) -> Int { deniedSets[i].set }

    public func implementation(ofKfunc k: Int, inCallback c: Int) -> (index: Int, symbol: String)? {
        guard let i = kfuncs[k].impls.firstIndex(where: { $0.callbacks.contains(c) }) else { return nil }
        return (i, kfuncs[k].impls[i].symbol)
    }
}

extension Policy {
    /// The `deny set` statement that names a set of kfunc `k`, if any.
    public func denyingSet(_ k: Int) -> (set: Int, range: SourceRange)? {
        denial(ofKfunc: k).map { deniedSets[$0] }
    }

    /// Quick yes/no, the same answer as `decide(_:_:).allowed`.
    public func isAllowed(_ k: Int, _ caller: Caller) -> Bool {
        switch caller {
        case .callback(let c): return isAllowed(kfunc: k, inCallback: c)
        case .progType(let t): return isAllowed(kfunc: k, from: t)
        }
    }

    /// May kfunc `k` be called by `caller`, and why, with each reason at its declaration.
    public func decide(_ k: Int, _ caller: Caller) -> Decision {
        let v: Verdict
        switch caller {
        case .callback(let c): v = decide(kfunc: k, inCallback: c)
        case .progType(let t): v = decide(kfunc: k, from: t)
        }
        return Decision(allowed: v.allowed, summary: v.summary,
                        reasons: v.reasons.map { Reason(message: $0.message, range: range(of: $0.fact)) })
    }

    /// Where the declaration behind a reason is.
    func range(of fact: DecisionFact) -> SourceRange {
        switch fact {
        case .policy: return range
        case .kfunc(let k): return kfuncs[k].range
        case .kfuncSets(let k): return kfuncs[k].setsRange
        case .kfuncContexts(let k): return kfuncs[k].maskRange
        case .kfuncRequires(let k): return kfuncs[k].requiresRange
        case .implementation(let k, let i): return kfuncs[k].impls[i].range
        case .callback(let c): return callbacks[c].range
        case .set(let s): return sets[s].range
        case .denial(let d): return deniedSets[d].range
        }
    }

    /// The callbacks where kfunc `k` is allowed, in declaration order.
    public func allowedCallbacks(of k: Int) -> [Int] { allowedCallbacks(ofKfunc: k) }
}

// What the kernel's verifier does with a BPF program that calls one kfunc, as the policy decides
// it: the expected result of each case of the real-kernel test (scripts/e2e-kernel.sh), built on
// the reference decision function, the KF_SLEEPABLE flag and the callbacks' `sleepable`.

/// The result of loading a program that calls one kfunc, in the order Linux 6.12's verifier
/// checks: the program's attachment (check_attach_btf_id, which runs the struct_ops'
/// check_member) before any kfunc call (check_kfunc_call), and in a call the kfunc's
/// permission (sets and filter) before its KF_SLEEPABLE flag.
public enum LoadOutcome: String, Sendable, CaseIterable {
    /// The program loads (and a struct_ops map holding it attaches).
    case loads
    /// "calling kernel function K is not allowed" (EACCES): the policy's filter refuses the
    /// kfunc for this caller, or no set holding it is registered for the program type.
    case refusedByFilter = "refused_by_filter"
    /// "program must be sleepable to call sleepable kfunc K" (EACCES): the kfunc is KF_SLEEPABLE
    /// and the program is not sleepable.
    case needsSleepableProgram = "needs_sleepable_program"
    /// The struct_ops' check_member refuses a sleepable program for a callback the policy does
    /// not declare `sleepable` (the verifier says "attach to unsupported member").
    case callbackNotSleepable = "callback_not_sleepable"
    /// The program type accepts only sleepable programs ("Syscall programs can only be
    /// sleepable", EINVAL), whatever the program calls.
    case programTypeNeedsSleepable = "program_type_needs_sleepable"
}

extension ProgType {
    /// Program types whose programs must be loaded sleepable (a kernel rule, not a policy's).
    public var alwaysSleepable: Bool { self == .syscall }
}

extension Policy {
    /// The expected load outcome of a program of `caller` (sleepable or not) that calls kfunc
    /// `k`. For `.progType(.struct_ops)`, a struct_ops program of another interface, whose
    /// check_member is not this policy's: it is assumed to accept the program.
    public func loadOutcome(of k: Int, from caller: Caller, sleepableProgram: Bool) -> LoadOutcome {
        switch caller {
        case .callback(let c):
            if sleepableProgram && !callbacks[c].sleepable { return .callbackNotSleepable }
        case .progType(let t):
            if t.alwaysSleepable && !sleepableProgram { return .programTypeNeedsSleepable }
        }
        if !filterAllows(k, caller) { return .refusedByFilter }
        if kfuncs[k].has(.KF_SLEEPABLE) && !sleepableProgram { return .needsSleepableProgram }
        return .loads
    }

    /// The generated filter's answer (with the sets registered for the caller's hook): the
    /// decision without `requires sleepable`, which is KF_SLEEPABLE and so the verifier's own
    /// check, made after the filter's.
    public func filterAllows(_ k: Int, _ caller: Caller) -> Bool {
        guard case .callback(let c) = caller else { return isAllowed(k, caller) }
        return registeringSet(k, for: .struct_ops) != nil && kfuncs[k].mask.meets(callbacks[c].contexts)
            && denyingSet(k) == nil
    }

    /// The callers whose programs a kfunc set of this policy can be called from: every callback,
    /// then every program type a set is registered for (other than struct_ops), then struct_ops
    /// programs of other interfaces.
    public var loadCallers: [Caller] {
        var types = Set<ProgType>()
        for s in sets { types.formUnion(s.progTypes) }
        types.remove(.struct_ops)
        return callbacks.indices.map { Caller.callback($0) } + types.sorted().map { .progType($0) }
            + [.progType(.struct_ops)]
    }
}

extension Caller {
    /// `ops.NAME` for a callback of policy `p`, the program type's name otherwise.
    public func name(in p: Policy) -> String {
        switch self {
        case .callback(let c): return "ops." + p.callbacks[c].name
        case .progType(let t): return t.rawValue
        }
    }
}

/// `kfpolicy matrix --format json`: every (caller, kfunc, program kind) with its expected load
/// outcome and the kernel function that implements the kfunc there, plus the facts a test needs
/// around it (kfunc flags and the callbacks each invokes, callbacks' contexts, the callbacks the
/// kernel runs inside each (`nest`) and all those that may run nested inside it).
public enum LoadMatrixJSON {
    public static func render(_ p: Policy) -> String {
        let graph = NestingGraph(p)
        let kfuncs: [JSONValue] = p.kfuncs.map { k in
            .object(["name": .string(k.name), "flags": .array(k.flags.map { .string($0.rawValue) }),
                     "contexts": .string(p.describe(k.mask)), "requires_sleepable": .bool(k.requiresSleepable),
                     "sets": .array(k.sets.map { .string(p.sets[$0].name) }),
                     "invokes": .array(k.invokes.map { .string(p.callbacks[$0].name) })])
        }
        let callbacks: [JSONValue] = p.callbacks.indices.map { c in
            .object(["name": .string(p.callbacks[c].name), "contexts": .string(p.describe(p.callbacks[c].contexts)),
                     "sleepable": .bool(p.callbacks[c].sleepable),
                     "nests": .array(p.nests.filter { $0.outer == c }.map { .string(p.callbacks[$0.inner].name) }),
                     "nested": .array(graph.nestedCallbacks(of: c).map { .string(p.callbacks[$0].name) })])
        }
        var cells: [JSONValue] = []
        for caller in p.loadCallers {
            for sleepable in [false, true] {
                for k in p.kfuncs.indices {
                    var impl = p.kfuncs[k].name
                    if case .callback(let c) = caller { impl = p.implementation(of: k, in: c) }
                    cells.append(.object([
                        "caller": .string(caller.name(in: p)), "kfunc": .string(p.kfuncs[k].name),
                        "sleepable": .bool(sleepable),
                        "outcome": .string(p.loadOutcome(of: k, from: caller, sleepableProgram: sleepable).rawValue),
                        "implementation": .string(impl),
                    ]))
                }
            }
        }
        return JSONValue.object([
            "version": .int(1), "policy": .string(p.name), "struct": .string(p.structName), "prefix": .string(p.prefix),
            "kfuncs": .array(kfuncs), "callbacks": .array(callbacks), "cells": .array(cells),
        ]).render() + "\n"
    }
}

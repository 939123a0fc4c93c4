// The one authority for the C names a policy's header defines. The C emitter takes every name
// from here, and the checker asks it for the whole list to find collisions before anything is
// generated.

/// A name the generated C defines, and the declaration it comes from.
public struct CName: Sendable {
    public let name: String
    /// What it names, for messages: "context 'dispatch'", "the kfunc filter", ...
    public let what: String
    public let range: SourceRange
}

public struct CNamer: Sendable {
    /// The policy's prefix, lower-case (`scx`) and upper-case (`SCX`).
    public let lower: String
    public let upper: String

    public init(_ policy: Policy) {
        lower = policy.prefix
        upper = policy.prefix.uppercased()
    }

    /// A policy name without the prefix it often starts with, so that `scx_bpf_consume`
    /// becomes `BPF_CONSUME` under `SCX_...` rather than `SCX_..._SCX_BPF_CONSUME`.
    public func unprefixed(_ name: String) -> String {
        name.hasPrefix(lower + "_") && name.count > lower.count + 1 ? String(name.dropFirst(lower.count + 1)) : name
    }

    public var includeGuard: String { "_\(upper)_KFPOLICY_H" }
    public var ctxEnum: String { "\(lower)_ctx" }
    public func ctx(_ name: String) -> String { "\(upper)_CTX_\(name.uppercased())" }
    public var ctxAny: String { "\(upper)_CTX_ANY" }
    public var sleepable: String { "\(upper)_SLEEPABLE" }
    public var opMacro: String { "\(upper)_OP" }
    public var opCtx: String { "\(lower)_op_ctx" }
    public var opContexts: String { "\(lower)_op_contexts" }
    public var kfuncCtx: String { "\(lower)_kfunc_ctx" }
    public var ctxLookup: String { "\(lower)_kfunc_ctx_lookup" }
    /// A plain BTF set of the kfuncs whose contexts are `mask`.
    public func ctxClass(_ mask: ContextMask, in p: Policy) -> String {
        "\(lower)_ctx_\(wordName(mask, in: p))"
    }

    /// A mask as a name: a group with exactly these contexts, `any`, or the contexts joined.
    public func wordName(_ mask: ContextMask, in p: Policy) -> String {
        if mask == p.allContexts { return "any" }
        if let g = p.groups.first(where: { $0.mask == mask }) { return g.name }
        let joined = mask.indices.map { p.contexts[$0].name }.joined(separator: "_")
        return joined.isEmpty ? "none" : joined
    }
    public var structIDs: String { "\(lower)_struct_ids" }
    public var structBTF: String { "\(lower)_struct_btf" }
    public var initBTF: String { "\(lower)_init_btf" }
    public var progOp: String { "\(lower)_prog_op" }
    public var filter: String { "\(lower)_kfunc_filter" }
    public var checkMember: String { "\(lower)_check_member" }
    public var register: String { "\(lower)_register_kfunc_sets" }

    /// The `struct btf_kfunc_id_set` of a set: `scx_kfunc_ids_dispatch` -> `scx_kfunc_set_dispatch`.
    public func idSet(_ set: String) -> String {
        if set.hasSuffix("_ids") { return String(set.dropLast(4)) + "_set" }
        if let r = set[...].range(of: "_ids_") { return set[..<r.lowerBound] + "_set_" + set[r.upperBound...] }
        return set + "_kset"
    }

    // Run-time guards (`runtime_guards;`).
    public var mayNest: String { "\(lower)_may_nest" }
    public var enter: String { "\(lower)_enter" }
    public var leave: String { "\(lower)_leave" }
    public var allowed: String { "\(lower)_allowed" }
    public var running: String { "\(lower)_running" }
    public func kctx(_ kfunc: String) -> String { "\(upper)_KCTX_\(unprefixed(kfunc).uppercased())" }

    // The instance check (`nesting per_instance;`).
    public var kfuncEnum: String { "\(lower)_kfunc" }
    public func kfuncIndex(_ kfunc: String) -> String { "\(upper)_KFUNC_\(unprefixed(kfunc).uppercased())" }
    public var nrKfuncs: String { "\(upper)_NR_KFUNCS" }
    public var kfuncIDs: String { "\(lower)_kfunc_btf_ids" }
    public var kfuncIndexOf: String { "\(lower)_kfunc_index" }
    public var invokes: String { "\(lower)_kfunc_invokes" }
    public var nests: String { "\(lower)_op_nests" }
    public var instance: String { "\(lower)_instance" }
    public var nrOps: String { "\(upper)_NR_OPS" }
    public var nesting: String { "\(lower)_nesting" }
    public var nestsInto: String { "\(lower)_nests_into" }
    public var describeCycle: String { "\(lower)_describe_cycle" }
    public var opNames: String { "\(lower)_op_names" }
    public var kfuncNames: String { "\(lower)_kfunc_names" }
    public var checkInstance: String { "\(lower)_check_instance" }

    // Context-dependent implementations (`impl`).
    public var implEnum: String { "\(lower)_impl" }
    public var implDefault: String { "\(upper)_IMPL_DEFAULT" }
    public func impl(_ symbol: String) -> String { "\(upper)_IMPL_\(unprefixed(symbol).uppercased())" }
    public func implFunction(_ kfunc: String) -> String { "\(kfunc)_impl" }

    /// Every name the header may define, with its origin, and the C symbols the policy names
    /// (kfuncs, sets, implementing functions), which share the header's namespace.
    public func allNames(_ p: Policy) -> [CName] {
        var out: [CName] = []
        func add(_ name: String, _ what: String, _ range: SourceRange = .none) {
            out.append(CName(name: name, what: what, range: range))
        }
        for (name, what) in [
            (includeGuard, "the include guard"), (ctxEnum, "the context enum"), (ctxAny, "the context word 'any'"),
            (sleepable, "the sleepable bit"), (opMacro, "the op index macro"), (opCtx, "the callback context table"), (opContexts, "the callback context lookup"),
            (kfuncCtx, "the kfunc context table"), (ctxLookup, "the context lookup"), (structIDs, "the struct id"),
            (structBTF, "the struct's BTF"), (initBTF, "the BTF initialiser"),
            (progOp, "the op lookup"), (filter, "the kfunc filter"),
            (checkMember, "the member check"), (register, "the registration function"), (mayNest, "the nesting table"),
            (enter, "the guard 'enter'"), (leave, "the guard 'leave'"), (allowed, "the guard 'allowed'"),
            (kfuncEnum, "the kfunc enum"), (nrKfuncs, "the kfunc count"), (kfuncIDs, "the kfunc id list"),
            (kfuncIndexOf, "the kfunc index lookup"), (invokes, "the invokes table"), (nests, "the nests table"),
            (instance, "the instance struct"), (checkInstance, "the instance check"), (implEnum, "the impl enum"),
            (running, "the running callbacks' struct"), (nrOps, "the op count"), (nesting, "the nesting table"),
            (nestsInto, "the nesting test"), (describeCycle, "the cycle description"), (opNames, "the op names"),
            (kfuncNames, "the kfunc names"),
            (implDefault, "the default implementation"),
        ] { add(name, what) }
        for c in p.contexts { add(ctx(c.name), "context '\(c.name)'", c.range) }
        for g in p.groups { add(ctx(g.name), "group '\(g.name)'", g.range) }
        for s in p.sets where !s.external {
            add(s.name, "set '\(s.name)'", s.range)
            add(idSet(s.name), "the id set of '\(s.name)'", s.range)
        }
        var words = Set<UInt32>()
        for k in p.ownKfuncs {
            let kf = p.kfuncs[k]
            if words.insert(kf.mask.bits).inserted {
                add(ctxClass(kf.mask, in: p), "the context class of '\(kf.name)'", kf.range)
            }
            add(kf.name, "kfunc '\(kf.name)'", kf.range)
            add(kctx(kf.name), "the context word of kfunc '\(kf.name)'", kf.range)
            add(kfuncIndex(kf.name), "the index of kfunc '\(kf.name)'", kf.range)
            if !kf.impls.isEmpty { add(implFunction(kf.name), "the implementation choice of '\(kf.name)'", kf.range) }
            for i in kf.impls {
                add(i.symbol, "implementing function '\(i.symbol)'", i.range)
                add(impl(i.symbol), "the implementation constant of '\(i.symbol)'", i.range)
            }
        }
        return out
    }
}

// The typed spellings a generated file writes its table in: `kfuncRow("scx_bpf_consume",
// contexts: [.dispatch], sets: [.scx_kfunc_ids_dispatch])` instead of bare indices and masks.

extension GeneratedPolicy {
    /// A row of `table.callbacks`.
    public static func callbackRow(_ name: String, contexts: Contexts, sleepable: Bool = false, config: [String] = [],
                                   nests: [Callback] = [], nested: [Callback] = []) -> CallbackRow {
        CallbackRow(name: name, contexts: contexts.rawValue, sleepable: sleepable, config: config,
                    nests: nests.map(\.rawValue), nested: nested.map(\.rawValue))
    }

    /// A row of `table.kfuncs`; `implementations` pairs callbacks with the symbol that serves them.
    public static func kfuncRow(_ name: String, flags: [KFFlag] = [], contexts: Contexts, requires: [Requirement] = [],
                                sets: [KfuncSet], invokes: [Callback] = [], invokesChild: [Callback] = [],
                                implementations: [([Callback], String)] = [], was formerNames: [String] = [],
                                config: [String] = []) -> KfuncRow {
        let impls = implementations.map { ImplementationRow(callbacks: $0.0.map(\.rawValue), symbol: $0.1) }
        return KfuncRow(name: name, flags: flags, contexts: contexts.rawValue, requirements: requires.map(\.rawValue),
                        sets: sets.map(\.rawValue), invokes: invokes.map(\.rawValue),
                        invokesChild: invokesChild.map(\.rawValue), implementations: impls, formerNames: formerNames,
                        config: config)
    }

    /// A row of `table.sets`.
    public static func setRow(_ name: String, programTypes: [ProgramType], external: Bool = false,
                              config: [String] = []) -> SetRow {
        SetRow(name: name, programTypes: programTypes, external: external, config: config)
    }

    /// Edges of `table.nestingGraph`: a callback may call a kfunc, a kfunc invokes a callback, the
    /// kernel runs one callback inside another.
    public static func callsEdge(_ callback: Callback, _ kfunc: Kfunc) -> NestingEdgeRow {
        NestingEdgeRow(.calls, from: callback.rawValue, to: kfunc.rawValue)
    }
    public static func invokesEdge(_ kfunc: Kfunc, _ callback: Callback) -> NestingEdgeRow {
        NestingEdgeRow(.invokes, from: kfunc.rawValue, to: callback.rawValue)
    }
    public static func nestsEdge(outer: Callback, inner: Callback) -> NestingEdgeRow {
        NestingEdgeRow(.nests, from: outer.rawValue, to: inner.rawValue)
    }
}

// The checked model as the runtime's `PolicyTable`: the data a generated Swift file spells out.

import KFPolicyRuntime

extension PolicyTable {
    /// The table of a checked policy. The Swift emitter prints exactly this value, and the tests
    /// compare the compiled tables with it.
    public init(_ p: Policy) {
        let graph = NestingGraph(p)
        let nc = p.callbacks.count
        let callbacks = p.callbacks.enumerated().map { i, cb in
            CallbackRow(name: cb.name, contexts: cb.contexts.bits, sleepable: cb.sleepable, config: cb.config,
                        nests: p.nests.filter { $0.outer == i }.map(\.inner), nested: graph.nestedCallbacks(of: i))
        }
        let kfuncs = p.kfuncs.map { kf in
            KfuncRow(name: kf.name, flags: kf.flags.sorted(), contexts: kf.mask.bits, requirements: kf.requires,
                     sets: kf.sets, invokes: kf.invokes, invokesChild: kf.invokesChild,
                     implementations: kf.impls.map { ImplementationRow(callbacks: $0.callbacks, symbol: $0.symbol) },
                     formerNames: kf.was, config: kf.config)
        }
        let edges = graph.edges.joined().map { e in
            switch e.kind {
            case .calls: return NestingEdgeRow(.calls, from: e.from, to: e.to - nc)
            case .invokes: return NestingEdgeRow(.invokes, from: e.from - nc, to: e.to)
            case .nests: return NestingEdgeRow(.nests, from: e.from, to: e.to)
            }
        }
        self.init(name: p.name, structName: p.structName, prefix: p.prefix, kernel: p.kernel.description,
                  module: p.module,
                  contexts: p.contexts.map(\.name), callbacks: callbacks, kfuncs: kfuncs,
                  sets: p.sets.map { SetRow(name: $0.name, programTypes: $0.progTypes, external: $0.external,
                                            config: $0.config) },
                  deniedSets: p.deniedSets.map(\.set), nestingGraph: edges)
    }
}

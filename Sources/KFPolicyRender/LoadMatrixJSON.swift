// The expected load outcome of every (caller, kfunc, program kind) as JSON, for the real-kernel
// test (`kfpolicy matrix --format json`).

import KFPolicy

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

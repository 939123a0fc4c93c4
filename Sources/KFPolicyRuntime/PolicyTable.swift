// The data of one policy, as the generated Swift tables hold it: rows indexed by declaration
// order, names as the policy writes them. Everything a decision or a lookup needs is here; the
// logic that reads it is in Decision.swift and GeneratedPolicy.swift, once for every policy.

/// One callback: a function-pointer member of the policy's struct.
public struct CallbackRow: Sendable, Hashable {
    public let name: String
    /// The contexts the kernel sets while it runs the callback, one bit per context.
    public let contexts: UInt32
    /// Whether the callback may be a sleepable program.
    public let sleepable: Bool
    /// The Kconfig options it exists with (`if CONFIG_...`), outermost first.
    public let config: [String]
    /// The callbacks the kernel runs directly inside this one (`nest`), by index.
    public let nests: [Int]
    /// Every callback that may run nested inside this one, by index, in declaration order.
    public let nested: [Int]

    public init(name: String, contexts: UInt32, sleepable: Bool = false, config: [String] = [],
                nests: [Int] = [], nested: [Int] = []) {
        self.name = name; self.contexts = contexts; self.sleepable = sleepable; self.config = config
        self.nests = nests; self.nested = nested
    }
}

/// One kernel function that implements a kfunc in some callbacks (`impl CALLBACKS = SYMBOL;`).
public struct ImplementationRow: Sendable, Hashable {
    public let callbacks: [Int]
    public let symbol: String
    public init(callbacks: [Int], symbol: String) { self.callbacks = callbacks; self.symbol = symbol }
}

/// One kfunc.
public struct KfuncRow: Sendable, Hashable {
    public let name: String
    /// Its KF_ flags, lowest bit first.
    public let flags: [KFFlag]
    /// The contexts it may be called from (`allow`), one bit per context.
    public let contexts: UInt32
    /// Its requirements by name, in the order written (`sleepable` is built in).
    public let requirements: [String]
    /// The sets it is in, by index, in the order written.
    public let sets: [Int]
    /// The callbacks it calls back into (`invokes`), by index.
    public let invokes: [Int]
    /// The callbacks of a child instance it calls back into (`invokes child`), by index.
    public let invokesChild: [Int]
    public let implementations: [ImplementationRow]
    /// Its earlier names (`was`), in the order written.
    public let formerNames: [String]
    /// The Kconfig options it exists with, outermost first.
    public let config: [String]

    public init(name: String, flags: [KFFlag] = [], contexts: UInt32, requirements: [String] = [], sets: [Int],
                invokes: [Int] = [], invokesChild: [Int] = [], implementations: [ImplementationRow] = [],
                formerNames: [String] = [], config: [String] = []) {
        self.name = name; self.flags = flags; self.contexts = contexts; self.requirements = requirements
        self.sets = sets; self.invokes = invokes; self.invokesChild = invokesChild
        self.implementations = implementations; self.formerNames = formerNames; self.config = config
    }

    /// Whether only sleepable callbacks may call it (`requires sleepable`).
    public var requiresSleepable: Bool { requirements.contains("sleepable") }
}

/// One BTF kfunc set.
public struct SetRow: Sendable, Hashable {
    public let name: String
    /// The program types it is registered for, in the order written.
    public let programTypes: [ProgramType]
    /// Defined and registered by another subsystem (`external set`): its `struct_ops` means
    /// struct_ops programs of every interface.
    public let external: Bool
    /// The Kconfig options it exists with, outermost first.
    public let config: [String]

    public init(name: String, programTypes: [ProgramType], external: Bool = false, config: [String] = []) {
        self.name = name; self.programTypes = programTypes; self.external = external; self.config = config
    }
}

/// An edge of the nesting graph, by index: callback `from` may call kfunc `to` (`calls`, only
/// for kfuncs that invoke callbacks), kfunc `from` invokes callback `to`, or the kernel runs
/// callback `to` inside callback `from` (`nests`).
public struct NestingEdgeRow: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case calls, invokes, nests }
    public let kind: Kind
    public let from: Int
    public let to: Int
    public init(_ kind: Kind, from: Int, to: Int) { self.kind = kind; self.from = from; self.to = to }
}

/// Everything the generated Swift tables know about one policy.
public struct PolicyTable: Sendable, Hashable {
    /// The policy's name, from its `policy` line.
    public let name: String
    /// The C struct whose function-pointer members are the callbacks.
    public let structName: String
    /// The prefix of generated C names.
    public let prefix: String
    /// The kernel the generated C is for: `mainline` or a release such as `6.12`.
    public let kernel: String
    /// The kernel module that registers the sets (`module NAME;`), nil for vmlinux.
    public let module: String?
    /// Context names, by bit number.
    public let contexts: [String]
    public let callbacks: [CallbackRow]
    public let kfuncs: [KfuncRow]
    public let sets: [SetRow]
    /// The set each `deny set` statement names, by index, in the order written.
    public let deniedSets: [Int]
    /// Every edge, grouped by source node: callbacks in declaration order, then kfuncs.
    public let nestingGraph: [NestingEdgeRow]

    public init(name: String, structName: String, prefix: String, kernel: String, module: String?,
                contexts: [String], callbacks: [CallbackRow], kfuncs: [KfuncRow], sets: [SetRow],
                deniedSets: [Int], nestingGraph: [NestingEdgeRow]) {
        self.name = name; self.structName = structName; self.prefix = prefix; self.kernel = kernel
        self.module = module; self.contexts = contexts; self.callbacks = callbacks; self.kfuncs = kfuncs
        self.sets = sets; self.deniedSets = deniedSets; self.nestingGraph = nestingGraph
    }
}

extension PolicyTable: DecisionTables {
    public var kernelName: String { kernel }
    public var contextCount: Int { contexts.count }
    public func contextName(_ i: Int) -> String { contexts[i] }
    public var callbackCount: Int { callbacks.count }
    public var kfuncCount: Int { kfuncs.count }

    public func kfuncFacts(_ k: Int) -> KfuncFacts {
        let r = kfuncs[k]
        return KfuncFacts(name: r.name, contexts: r.contexts, requiresSleepable: r.requiresSleepable,
                          sets: r.sets, config: r.config)
    }

    public func callbackFacts(_ c: Int) -> CallbackFacts {
        let r = callbacks[c]
        return CallbackFacts(name: r.name, contexts: r.contexts, sleepable: r.sleepable, config: r.config)
    }

    public func setFacts(_ s: Int) -> SetFacts {
        SetFacts(name: sets[s].name, programTypes: sets[s].programTypes, external: sets[s].external)
    }

    public var deniedSetCount: Int { deniedSets.count }
    public func deniedSet(at i: Int) -> Int { deniedSets[i] }

    public func implementation(ofKfunc k: Int, inCallback c: Int) -> (index: Int, symbol: String)? {
        guard let i = kfuncs[k].implementations.firstIndex(where: { $0.callbacks.contains(c) }) else { return nil }
        return (i, kfuncs[k].implementations[i].symbol)
    }
}

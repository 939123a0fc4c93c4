// What each generated declaration knows about itself, read from its policy's table.

extension GeneratedContext {
    /// The context's name in the policy.
    public var name: String { Policy.table.contexts[rawValue] }
    /// The mask with only this context.
    public var mask: Policy.Contexts { Policy.Contexts(rawValue: 1 << UInt32(rawValue)) }
}

extension GeneratedContexts {
    /// Every context of the policy.
    public static var all: Self {
        Self(rawValue: UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(Policy.table.contexts.count)) - 1))
    }
    /// The contexts in the set, lowest bit first.
    public var contexts: [Policy.Context] { Policy.Context.allCases.filter { rawValue & $0.mask.rawValue != 0 } }
    /// `a | b`, or `none`: the contexts as `kfpolicy explain` names them.
    public var description: String { Policy.table.describe(contexts: rawValue) }
}

extension GeneratedCallback {
    private var row: CallbackRow { Policy.table.callbacks[rawValue] }
    /// The member's name in the policy's struct.
    public var name: String { row.name }
    /// The contexts the kernel sets while it runs the callback.
    public var contexts: Policy.Contexts { Policy.Contexts(rawValue: row.contexts) }
    /// True when the callback may be a sleepable program (`sleepable` in the policy).
    public var isSleepable: Bool { row.sleepable }
    /// The Kconfig options the callback exists with (`if CONFIG_...`), outermost first.
    public var config: [String] { row.config }
    /// The callbacks the kernel runs directly inside this one (`nest` lines).
    public var nests: [Self] { Self.all(row.nests) }
    /// Every callback that may run nested inside this one, through kfuncs it may call and
    /// kernel nestings, in declaration order.
    public var nestedCallbacks: [Self] { Self.all(row.nested) }
    /// The kfuncs this callback may call, in declaration order.
    public var allowedKfuncs: [Policy.Kfunc] {
        Policy.Kfunc.allCases.filter { Policy.table.isAllowed(kfunc: $0.rawValue, inCallback: rawValue) }
    }
}

extension GeneratedKfunc {
    private var row: KfuncRow { Policy.table.kfuncs[rawValue] }
    /// The kfunc's name: the BPF-visible kernel function.
    public var name: String { row.name }
    /// Its KF_ flags, lowest bit first.
    public var flags: [KFFlag] { row.flags }
    /// The contexts it may be called from (`allow`).
    public var contexts: Policy.Contexts { Policy.Contexts(rawValue: row.contexts) }
    /// Its requirements, in the order written (`sleepable` is built in).
    public var requirements: [Policy.Requirement] { row.requirements.map { Policy.Requirement(rawValue: $0)! } }
    /// True when only sleepable callbacks may call it (`requires sleepable`).
    public var requiresSleepable: Bool { row.requiresSleepable }
    /// The kfunc sets it is in, in the order written.
    public var sets: [Policy.KfuncSet] { Policy.KfuncSet.all(row.sets) }
    /// The program types that reach it: those of the kfunc hooks its sets are registered for.
    public var programTypes: [ProgramType] { Policy.table.programTypes(ofKfunc: rawValue) }
    /// The callbacks it calls back into (`invokes`).
    public var invokes: [Policy.Callback] { Policy.Callback.all(row.invokes) }
    /// The callbacks of a child struct_ops instance it calls back into (`invokes child`).
    public var invokesChild: [Policy.Callback] { Policy.Callback.all(row.invokesChild) }
    /// Its context-dependent implementations (`impl` lines).
    public var implementations: [KfuncImplementation<Policy.Callback>] {
        row.implementations.map { KfuncImplementation(callbacks: Policy.Callback.all($0.callbacks), symbol: $0.symbol) }
    }
    /// The kernel function that implements it when called from `callback`: the one an `impl`
    /// line names for that callback, or the kfunc itself.
    public func implementation(in callback: Policy.Callback) -> String {
        Policy.table.implementingSymbol(ofKfunc: rawValue, inCallback: callback.rawValue)
    }
    /// Its earlier names (`was`), in the order written.
    public var formerNames: [String] { row.formerNames }
    /// The Kconfig options it exists with, outermost first.
    public var config: [String] { row.config }
    /// The callbacks that may call it, in declaration order.
    public var allowedCallbacks: [Policy.Callback] {
        Policy.Callback.all(Policy.table.allowedCallbacks(ofKfunc: rawValue))
    }
}

extension GeneratedKfuncSet {
    private var row: SetRow { Policy.table.sets[rawValue] }
    /// The set's name (the C symbol of its BTF id set).
    public var name: String { row.name }
    /// The program types it is registered for, in the order written.
    public var programTypes: [ProgramType] { row.programTypes }
    /// Whether another subsystem defines and registers it (`external set`).
    public var isExternal: Bool { row.external }
    /// Whether a `deny set` statement names it.
    public var isDenied: Bool { Policy.table.deniedSets.contains(rawValue) }
    /// The Kconfig options it exists with, outermost first.
    public var config: [String] { row.config }
}

extension GeneratedRequirement {
    /// The requirement's name in the policy.
    public var name: String { rawValue }
}

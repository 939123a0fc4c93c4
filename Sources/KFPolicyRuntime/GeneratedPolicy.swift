// The typed face of a generated policy. A generated file declares one namespace type per policy
// with an enum per kind of declaration (contexts, callbacks, kfuncs, sets, requirements) whose
// cases are the policy's names, and one `PolicyTable`; every member below reads that table, so
// two policies share one implementation and one set of helper types.

/// A policy's namespace type, as `kfpolicy gen --emit swift` writes it (`ScxPolicy`).
public protocol GeneratedPolicy: Sendable {
    associatedtype Context: GeneratedContext where Context.Policy == Self
    associatedtype Contexts: GeneratedContexts where Contexts.Policy == Self
    associatedtype Callback: GeneratedCallback where Callback.Policy == Self
    associatedtype Kfunc: GeneratedKfunc where Kfunc.Policy == Self
    associatedtype KfuncSet: GeneratedKfuncSet where KfuncSet.Policy == Self
    associatedtype Requirement: GeneratedRequirement where Requirement.Policy == Self
    /// The policy's data.
    static var table: PolicyTable { get }
}

/// A declaration of a policy whose raw value is its index (a context's is its bit number).
public protocol GeneratedIndex: RawRepresentable, CaseIterable, Hashable, Sendable
where RawValue == Int, AllCases == [Self] {
    associatedtype Policy: GeneratedPolicy
}

/// A context a callback runs in.
public protocol GeneratedContext: GeneratedIndex {}
/// A callback: a function-pointer member of the policy's struct.
public protocol GeneratedCallback: GeneratedIndex {}
/// A kfunc of the policy.
public protocol GeneratedKfunc: GeneratedIndex {}
/// A BTF kfunc set.
public protocol GeneratedKfuncSet: GeneratedIndex {}

/// A condition a kfunc can require; the raw value is its name.
public protocol GeneratedRequirement: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == String {
    associatedtype Policy: GeneratedPolicy
}

/// A set of contexts. The raw value is the C mask, one bit per context.
public protocol GeneratedContexts: OptionSet, Hashable, Sendable, CustomStringConvertible
where RawValue == UInt32, Element == Self {
    associatedtype Policy: GeneratedPolicy
}

/// Who calls a kfunc.
public enum KfuncCaller<Callback: Hashable & Sendable>: Hashable, Sendable {
    /// A struct_ops program of the policy's struct implementing this callback.
    case callback(Callback)
    /// A program of another type. `.struct_ops` here means a struct_ops program of another
    /// interface, which may call only kfuncs of external sets.
    case programType(ProgramType)
}

/// One kernel function that implements a kfunc in some callbacks.
public struct KfuncImplementation<Callback: Hashable & Sendable>: Hashable, Sendable {
    /// The callbacks in which the call goes to `symbol`.
    public let callbacks: [Callback]
    /// The implementing kernel function.
    public let symbol: String
}

/// An edge of the nesting graph, as the checker builds it to prove the graph acyclic.
public enum NestingEdge<Callback: Hashable & Sendable, Kfunc: Hashable & Sendable>: Hashable, Sendable {
    /// A callback may call a kfunc that invokes callbacks.
    case calls(Callback, Kfunc)
    /// A kfunc calls back into a callback.
    case invokes(Kfunc, Callback)
    /// The kernel runs `inner` while `outer` runs.
    case nests(outer: Callback, inner: Callback)
}

extension GeneratedPolicy {
    public typealias ProgramType = KFPolicyRuntime.ProgramType
    public typealias KFFlag = KFPolicyRuntime.KFFlag
    public typealias Explanation = KFPolicyRuntime.Explanation
    public typealias Caller = KfuncCaller<Callback>
    public typealias Implementation = KfuncImplementation<Callback>
    public typealias NestingEdge = KFPolicyRuntime.NestingEdge<Callback, Kfunc>

    /// The policy's name, from its `policy` line.
    public static var name: String { table.name }
    /// The C struct whose function-pointer members are the callbacks.
    public static var structName: String { table.structName }
    /// The prefix of generated C names.
    public static var prefix: String { table.prefix }

    /// The context with this name in the policy, if any.
    public static func context(named name: String) -> Context? { Context.allCases.first { $0.name == name } }
    /// The callback with this member name, if the policy declares one.
    public static func callback(named name: String) -> Callback? { Callback.allCases.first { $0.name == name } }
    /// The kfunc with this name, if the policy declares one.
    public static func kfunc(named name: String) -> Kfunc? { Kfunc.allCases.first { $0.name == name } }

    /// May `kfunc` be called from `callback`: it is in a set registered for struct_ops that no
    /// `deny set` names, its contexts meet the callback's, and a `requires sleepable` kfunc
    /// needs a sleepable callback.
    public static func isAllowed(_ kfunc: Kfunc, in callback: Callback) -> Bool {
        table.isAllowed(kfunc: kfunc.rawValue, inCallback: callback.rawValue)
    }

    /// May `kfunc` be called from a program of `programType`: one of its sets is registered for
    /// a type of the same kfunc hook. For `.struct_ops` (another interface), only external sets.
    public static func isAllowed(_ kfunc: Kfunc, from programType: ProgramType) -> Bool {
        table.isAllowed(kfunc: kfunc.rawValue, from: programType)
    }

    /// May `kfunc` be called by `caller`.
    public static func isAllowed(_ kfunc: Kfunc, by caller: Caller) -> Bool {
        switch caller {
        case .callback(let c): return isAllowed(kfunc, in: c)
        case .programType(let t): return isAllowed(kfunc, from: t)
        }
    }

    /// Why `kfunc` may or may not be called from `callback`.
    public static func explain(_ kfunc: Kfunc, in callback: Callback) -> Explanation {
        table.decide(kfunc: kfunc.rawValue, inCallback: callback.rawValue).explanation
    }

    /// Why `kfunc` may or may not be called from a program of `programType`.
    public static func explain(_ kfunc: Kfunc, from programType: ProgramType) -> Explanation {
        table.decide(kfunc: kfunc.rawValue, from: programType).explanation
    }

    /// Why `kfunc` may or may not be called by `caller`.
    public static func explain(_ kfunc: Kfunc, by caller: Caller) -> Explanation {
        switch caller {
        case .callback(let c): return explain(kfunc, in: c)
        case .programType(let t): return explain(kfunc, from: t)
        }
    }

    /// The kfuncs a program of `programType` may call, in declaration order.
    public static func kfuncs(allowedFrom programType: ProgramType) -> [Kfunc] {
        Kfunc.allCases.filter { isAllowed($0, from: programType) }
    }

    /// Every edge of the nesting graph, grouped by source node: callbacks in declaration
    /// order, then kfuncs.
    public static var nestingGraph: [NestingEdge] {
        table.nestingGraph.map { e in
            switch e.kind {
            case .calls: return .calls(Callback(rawValue: e.from)!, Kfunc(rawValue: e.to)!)
            case .invokes: return .invokes(Kfunc(rawValue: e.from)!, Callback(rawValue: e.to)!)
            case .nests: return .nests(outer: Callback(rawValue: e.from)!, inner: Callback(rawValue: e.to)!)
            }
        }
    }
}

extension GeneratedIndex {
    /// The values of the indices `rows` hold, in that order.
    static func all(_ indices: [Int]) -> [Self] { indices.map { Self(rawValue: $0)! } }
}

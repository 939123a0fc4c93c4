// The decision function and its explanations, the one copy of both: kfpolicy's model (for
// `explain`, `lint`, `diff` and the tests) and the generated Swift tables answer through it.

/// The facts about kfunc `k` that a decision reads.
public struct KfuncFacts: Sendable {
    public let name: String
    /// The contexts it may be called from, one bit per context.
    public let contexts: UInt32
    public let requiresSleepable: Bool
    /// Its sets, by index, in the order written.
    public let sets: [Int]
    /// The Kconfig options it exists with, outermost first.
    public let config: [String]

    public init(name: String, contexts: UInt32, requiresSleepable: Bool, sets: [Int], config: [String]) {
        self.name = name; self.contexts = contexts; self.requiresSleepable = requiresSleepable
        self.sets = sets; self.config = config
    }
}

/// The facts about a callback that a decision reads.
public struct CallbackFacts: Sendable {
    public let name: String
    public let contexts: UInt32
    public let sleepable: Bool
    public let config: [String]

    public init(name: String, contexts: UInt32, sleepable: Bool, config: [String]) {
        self.name = name; self.contexts = contexts; self.sleepable = sleepable; self.config = config
    }
}

/// The facts about a kfunc set that a decision reads.
public struct SetFacts: Sendable {
    public let name: String
    public let programTypes: [ProgramType]
    public let external: Bool

    public init(name: String, programTypes: [ProgramType], external: Bool) {
        self.name = name; self.programTypes = programTypes; self.external = external
    }
}

/// A policy as a decision reads it, by index (declaration order). `PolicyTable` (the generated
/// Swift tables) and kfpolicy's checked model both conform, so both answer with this file's logic
/// and words.
public protocol DecisionTables {
    var name: String { get }
    var structName: String { get }
    /// The kernel the policy describes: `mainline` or a release such as `6.12`.
    var kernelName: String { get }
    var contextCount: Int { get }
    func contextName(_ i: Int) -> String
    var callbackCount: Int { get }
    var kfuncCount: Int { get }
    func kfuncFacts(_ k: Int) -> KfuncFacts
    func callbackFacts(_ c: Int) -> CallbackFacts
    func setFacts(_ s: Int) -> SetFacts
    /// How many `deny set` statements the policy has, and the set the i-th names.
    var deniedSetCount: Int { get }
    func deniedSet(at i: Int) -> Int
    /// The first `impl` of kfunc `k` that names callback `c`: its place among the kfunc's
    /// implementations and the implementing symbol.
    func implementation(ofKfunc k: Int, inCallback c: Int) -> (index: Int, symbol: String)?
}

/// The declaration a reason rests on, so that the model can point at it in the policy source.
public enum DecisionFact: Sendable, Hashable {
    /// The `policy` line.
    case policy
    /// Kfunc `k`'s declaration.
    case kfunc(Int)
    /// Kfunc `k`'s `in` statement (its sets).
    case kfuncSets(Int)
    /// Kfunc `k`'s `allow` statement (its contexts).
    case kfuncContexts(Int)
    /// Kfunc `k`'s `requires` statement.
    case kfuncRequires(Int)
    /// The `index`-th `impl` of kfunc `k`.
    case implementation(kfunc: Int, index: Int)
    /// Callback `c`'s declaration.
    case callback(Int)
    /// Set `s`'s declaration.
    case set(Int)
    /// The `i`-th `deny set` statement.
    case denial(Int)
}

/// One sentence of an explanation and the declaration it rests on.
public struct VerdictReason: Sendable, Hashable {
    public let message: String
    public let fact: DecisionFact
}

/// A decision, the sentence that sums it up and its reasons, most decisive first.
public struct Verdict: Sendable, Hashable {
    public let allowed: Bool
    public let summary: String
    public let reasons: [VerdictReason]

    /// The same without the facts behind the reasons.
    public var explanation: Explanation {
        Explanation(allowed: allowed, summary: summary, reasons: reasons.map(\.message))
    }
}

/// A decision and why, worded as `kfpolicy explain` words it (without source locations).
public struct Explanation: Sendable, Hashable {
    public let allowed: Bool
    /// One sentence saying why.
    public let summary: String
    /// The facts that decide it, most decisive first.
    public let reasons: [String]

    public init(allowed: Bool, summary: String, reasons: [String]) {
        self.allowed = allowed; self.summary = summary; self.reasons = reasons
    }
}

extension DecisionTables {
    /// `a | b | c` for a set of contexts, or `none`.
    public func describe(contexts: UInt32) -> String {
        let names = (0..<contextCount).filter { contexts & (1 << UInt32($0)) != 0 }.map(contextName)
        return names.isEmpty ? "none" : names.joined(separator: " | ")
    }

    /// The kfunc hook of program type `t` on the policy's kernel.
    public func hook(of t: ProgramType) -> String? { t.hook(onKernel: kernelName) }

    /// The first set of kfunc `k` registered for a program type of `t`'s kfunc hook. With
    /// `otherInterface` (struct_ops programs of other interfaces, which may call none of this
    /// policy's own kfuncs), only external sets count.
    public func registeringSet(_ k: Int, for t: ProgramType, otherInterface: Bool = false) -> Int? {
        guard let hook = hook(of: t) else { return nil }
        return kfuncFacts(k).sets.first { s in
            let set = setFacts(s)
            return set.programTypes.contains { self.hook(of: $0) == hook } && (!otherInterface || set.external)
        }
    }

    /// The `deny set` statement that names a set of kfunc `k`, if any, by index.
    public func denial(ofKfunc k: Int) -> Int? {
        let sets = kfuncFacts(k).sets
        return (0..<deniedSetCount).first { sets.contains(deniedSet(at: $0)) }
    }

    /// May kfunc `k` be called from callback `c`: a set registered for struct_ops holds it, no
    /// `deny set` names its sets, its contexts meet the callback's, and `requires sleepable`
    /// needs a sleepable callback. The same answer as `decide(kfunc:inCallback:).allowed`.
    public func isAllowed(kfunc k: Int, inCallback c: Int) -> Bool {
        let kf = kfuncFacts(k), cb = callbackFacts(c)
        return registeringSet(k, for: .struct_ops) != nil && kf.contexts & cb.contexts != 0
            && (!kf.requiresSleepable || cb.sleepable) && denial(ofKfunc: k) == nil
    }

    /// May kfunc `k` be called from a program of type `t`; `.struct_ops` means a struct_ops
    /// program of another interface, which may call only kfuncs of external sets.
    public func isAllowed(kfunc k: Int, from t: ProgramType) -> Bool {
        registeringSet(k, for: t, otherInterface: t == .struct_ops) != nil
    }

    /// The callbacks where kfunc `k` is allowed, in declaration order.
    public func allowedCallbacks(ofKfunc k: Int) -> [Int] {
        (0..<callbackCount).filter { isAllowed(kfunc: k, inCallback: $0) }
    }

    /// The program types that reach kfunc `k`: those whose kfunc hook one of its sets is
    /// registered for (`struct_ops` when a set is registered for struct_ops), in `ProgramType` order.
    public func programTypes(ofKfunc k: Int) -> [ProgramType] {
        ProgramType.allCases.filter { registeringSet(k, for: $0) != nil }
    }

    /// The kernel function that implements kfunc `k` when called from callback `c`.
    public func implementingSymbol(ofKfunc k: Int, inCallback c: Int) -> String {
        implementation(ofKfunc: k, inCallback: c)?.symbol ?? kfuncFacts(k).name
    }
}

// The checked model: what a policy means, with every name resolved. Emitters, the diff and the
// decision function see only this, never syntax.

import KFPolicyRuntime

/// A set of contexts, one bit per context in declaration order.
public struct ContextMask: Sendable, Hashable, Comparable {
    public var bits: UInt32
    public init(bits: UInt32) { self.bits = bits }
    public static let empty = ContextMask(bits: 0)
    public static func bit(_ i: Int) -> ContextMask { ContextMask(bits: 1 << UInt32(i)) }
    public var isEmpty: Bool { bits == 0 }
    public func union(_ o: ContextMask) -> ContextMask { ContextMask(bits: bits | o.bits) }
    public func intersection(_ o: ContextMask) -> ContextMask { ContextMask(bits: bits & o.bits) }
    public func subtracting(_ o: ContextMask) -> ContextMask { ContextMask(bits: bits & ~o.bits) }
    public func meets(_ o: ContextMask) -> Bool { bits & o.bits != 0 }
    public func contains(_ i: Int) -> Bool { bits & (1 << UInt32(i)) != 0 }
    /// Indices of the set bits, lowest first.
    public var indices: [Int] { (0..<32).filter { contains($0) } }
    public static func < (a: ContextMask, b: ContextMask) -> Bool { a.bits < b.bits }
}

/// BPF program types a kfunc set can be registered for: the runtime's, which the generated
/// Swift tables share.
public typealias ProgType = ProgramType

/// KF_ flags a kfunc can carry: the runtime's.
public typealias KFFlag = KFPolicyRuntime.KFFlag

/// The kernel a policy's generated C is for (`kernel 6.12;`, `kernel mainline;`).
public enum Kernel: Sendable, Hashable, CustomStringConvertible {
    case release(major: Int, minor: Int)
    case mainline

    /// The oldest kernel the generated C supports: kfunc set filters and module struct_ops.
    public static let oldest = Kernel.release(major: 6, minor: 9)

    /// `6.12` or `mainline`; nil for anything else.
    public init?(_ text: String) {
        if text == "mainline" { self = .mainline; return }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self = .release(major: major, minor: minor)
    }

    public var description: String {
        switch self {
        case .release(let major, let minor): return "\(major).\(minor)"
        case .mainline: return "mainline"
        }
    }

    /// Whether `k` is at least `major.minor` (mainline is newer than every release).
    public func atLeast(_ major: Int, _ minor: Int) -> Bool {
        switch self {
        case .mainline: return true
        case .release(let a, let b): return a > major || (a == major && b >= minor)
        }
    }

    /// Since 6.16 the verifier records a struct_ops program's member offset in
    /// `prog->aux->attach_st_ops_member_off`; before, only the member index is known.
    public var hasMemberOffset: Bool { atLeast(6, 16) }
}

/// Whether the nesting graph must be acyclic as a whole (`dag`) or per struct_ops instance.
public enum NestingMode: String, Sendable { case dag, per_instance }

/// The Kconfig options a declaration depends on (`if CONFIG_FOO { ... }`), outermost first;
/// empty when it always exists.
public typealias Condition = [String]

public struct Context: Sendable {
    public let name: String
    public let doc: String?
    public let range: SourceRange
}

public struct Group: Sendable {
    public let name: String
    public let mask: ContextMask
    public let doc: String?
    public let range: SourceRange
}

public struct Callback: Sendable {
    public let name: String
    public let contexts: ContextMask
    public let sleepable: Bool
    public let config: Condition
    public let doc: String?
    /// The name in the declaration.
    public let range: SourceRange
    /// The mask expression that gives its contexts.
    public let maskRange: SourceRange
}

public struct Requirement: Sendable {
    public let name: String
    public let doc: String?
    public let range: SourceRange
}

public struct KfuncSet: Sendable {
    public let name: String
    public let progTypes: [ProgType]
    /// Defined and registered by another subsystem (`external set`): nothing is generated for
    /// it, and its `struct_ops` means struct_ops programs of every interface.
    public let external: Bool
    public let config: Condition
    public let doc: String?
    public let range: SourceRange
}

/// One kernel function that implements a kfunc in some callbacks.
public struct Implementation: Sendable {
    public let callbacks: [Int]
    public let symbol: String
    public let range: SourceRange
}

/// One kfunc with everything the policy says about it.
public struct Kfunc: Sendable {
    public var name: String
    public var doc: String?
    public var range: SourceRange
    /// Indices into `Policy.sets`, in the order written.
    public var sets: [Int] = []
    public var setsRange: SourceRange
    public var flags: [KFFlag] = []
    public var flagsRange: SourceRange
    public var mask = ContextMask.empty
    public var maskRange: SourceRange
    /// Names of requirements, in the order written (`sleepable` is built in).
    public var requires: [String] = []
    public var requiresRange: SourceRange
    public var invokes: [Int] = []
    /// Callbacks of a child instance it may call back into (`invokes child NAME`): the kernel
    /// runs them in another struct_ops instance (a sub-scheduler), so they close no cycle here.
    public var invokesChild: [Int] = []
    public var invokesRange: SourceRange
    public var impls: [Implementation] = []
    /// Earlier names of the kfunc (`was`), in the order written.
    public var was: [String] = []
    public var wasRange: SourceRange
    public var config: Condition = []

    /// A kfunc named `name` declared at `range`, with nothing said about it yet.
    public init(name: String, doc: String?, range: SourceRange) {
        self.name = name; self.doc = doc; self.range = range
        setsRange = range; flagsRange = range; maskRange = range
        requiresRange = range; invokesRange = range; wasRange = range
    }

    public var requiresSleepable: Bool { requires.contains("sleepable") }
    public func has(_ f: KFFlag) -> Bool { flags.contains(f) }
}

/// `nest outer -> inner`: the kernel runs `inner` while `outer` runs.
public struct Nest: Sendable {
    public let outer: Int
    public let inner: Int
    public let config: Condition
    public let range: SourceRange
}

/// Another struct that shares a policy's header (`form "file.policy";`): its own policy, whose
/// callbacks sit at the offsets of the first ones of the sharing policy, with the same contexts.
public struct Form: Sendable {
    public let policy: Policy
    /// The `form` statement.
    public let range: SourceRange
}

/// A checked policy.
public struct Policy: Sendable {
    public var name = ""
    public var structName = ""
    public var prefix = ""
    public var doc: String?
    public var range = SourceRange.none
    public var kernel = Kernel.mainline
    /// Sets whose kfuncs no callback of this struct may call (`deny set NAME;`).
    public var deniedSets: [(set: Int, range: SourceRange)] = []
    /// The kernel module that registers the kfunc sets (`module NAME;`), nil for vmlinux.
    public var module: String?
    /// Whether the struct is defined by vmlinux (always, without `module`).
    public var structInVmlinux = true
    public var nesting = NestingMode.dag
    /// Whether the header carries run-time nesting guards (`runtime_guards;`).
    public var runtimeGuards = false
    /// Other structs this policy's header serves too.
    public var forms: [Form] = []
    public var contexts: [Context] = []
    public var groups: [Group] = []
    public var callbacks: [Callback] = []
    public var requirements: [Requirement] = []
    public var sets: [KfuncSet] = []
    public var kfuncs: [Kfunc] = []
    public var nests: [Nest] = []
    /// Every file read, root first: the policy and its includes, as given or resolved.
    public var files: [String] = []

    var callbackIndex: [String: Int] = [:]
    var kfuncIndex: [String: Int] = [:]

    public init() {}

    public func callback(named n: String) -> Int? { callbackIndex[n] }
    public func kfunc(named n: String) -> Int? { kfuncIndex[n] }

    /// Every declared context.
    public var allContexts: ContextMask {
        ContextMask(bits: UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(contexts.count)) - 1))
    }

    /// `a | b | c`, or `none`.
    public func describe(_ m: ContextMask) -> String { describe(contexts: m.bits) }

    /// The program types that reach a kfunc: those whose kfunc hook one of its sets is
    /// registered for (`struct_ops` when a set is registered for struct_ops).
    public func progTypes(of k: Int) -> [ProgType] { programTypes(ofKfunc: k) }

    /// The kernel function that implements kfunc `k` when called from callback `c`.
    public func implementation(of k: Int, in c: Int) -> String { implementingSymbol(ofKfunc: k, inCallback: c) }
}

extension Policy {
    /// Whether kfunc `k` is registered by this policy (in a set that is not external).
    public func isOwn(_ k: Int) -> Bool { kfuncs[k].sets.contains { !sets[$0].external } }

    /// The kfuncs the generated C registers, in declaration order.
    public var ownKfuncs: [Int] { kfuncs.indices.filter(isOwn) }

    /// The sets the generated C defines and registers, in declaration order.
    public var ownSets: [Int] { sets.indices.filter { !sets[$0].external } }

    /// The sets the header defines, in declaration order: those registered for some program
    /// type, and those a `deny set` of this policy or of one of its forms names (the filter
    /// tests membership in them).
    public var emittedSets: [Int] {
        let denied = Set(([self] + forms.map(\.policy)).flatMap { q in q.deniedSets.map { q.sets[$0.set].name } })
        return ownSets.filter { s in !sets[s].progTypes.isEmpty || denied.contains(sets[s].name) }
    }
}

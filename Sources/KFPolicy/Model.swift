// The checked model: what a policy means, with every name resolved. Emitters, the diff and the
// decision function see only this, never syntax.

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

/// BPF program types a kfunc set can be registered for.
public enum ProgType: String, Sendable, CaseIterable, Comparable {
    case struct_ops, tracing, syscall, lsm, kprobe, tracepoint, raw_tracepoint, perf_event, xdp
    case sched_cls, sched_act, cgroup_skb, cgroup_sock, cgroup_sock_addr, sk_skb, netfilter

    /// The kernel's `enum bpf_prog_type` constant.
    public var cName: String { "BPF_PROG_TYPE_" + rawValue.uppercased() }
    public static func < (a: ProgType, b: ProgType) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// KF_ flags a kfunc can carry (include/linux/btf.h). Generated C uses the kernel's macros, so
/// the numbers here are for documentation and the Swift tables only.
public enum KFFlag: String, Sendable, CaseIterable, Comparable {
    case KF_ACQUIRE, KF_RELEASE, KF_RET_NULL, KF_TRUSTED_ARGS, KF_SLEEPABLE, KF_DESTRUCTIVE, KF_RCU
    case KF_ITER_NEW, KF_ITER_NEXT, KF_ITER_DESTROY, KF_RCU_PROTECTED, KF_FASTCALL
    case KF_ARENA_RET, KF_ARENA_ARG1, KF_ARENA_ARG2, KF_IMPLICIT_ARGS

    /// Flags by name: one hash lookup, where `init(rawValue:)` compares with every case in turn.
    static let named: [String: KFFlag] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    public var bit: Int {
        switch self {
        case .KF_ACQUIRE: 0
        case .KF_RELEASE: 1
        case .KF_RET_NULL: 2
        case .KF_TRUSTED_ARGS: 4
        case .KF_SLEEPABLE: 5
        case .KF_DESTRUCTIVE: 6
        case .KF_RCU: 7
        case .KF_ITER_NEW: 8
        case .KF_ITER_NEXT: 9
        case .KF_ITER_DESTROY: 10
        case .KF_RCU_PROTECTED: 11
        case .KF_FASTCALL: 12
        case .KF_ARENA_RET: 13
        case .KF_ARENA_ARG1: 14
        case .KF_ARENA_ARG2: 15
        case .KF_IMPLICIT_ARGS: 16
        }
    }
    public static func < (a: KFFlag, b: KFFlag) -> Bool { a.bit < b.bit }
}

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
    public let doc: String?
    public let range: SourceRange
}

/// One kernel function that implements a kfunc in some callbacks.
public struct Implementation: Sendable {
    public let callbacks: [Int]
    public let symbol: String
    public let range: SourceRange
}

/// A class, not a struct: its fields never change, and a policy may hold 100k kfuncs that
/// every pass walks, where copying a struct would retain each of its arrays and strings.
public final class Kfunc: Sendable {
    public let name: String
    public let doc: String?
    public let range: SourceRange
    /// Indices into `Policy.sets`, in the order written.
    public let sets: [Int]
    public let setsRange: SourceRange
    public let flags: [KFFlag]
    public let flagsRange: SourceRange
    public let mask: ContextMask
    public let maskRange: SourceRange
    /// Names of requirements, in the order written (`sleepable` is built in).
    public let requires: [String]
    public let requiresRange: SourceRange
    public let invokes: [Int]
    public let invokesRange: SourceRange
    public let impls: [Implementation]
    public let requiresSleepable: Bool

    public init(name: String, doc: String?, range: SourceRange, sets: [Int], setsRange: SourceRange,
                flags: [KFFlag], flagsRange: SourceRange, mask: ContextMask, maskRange: SourceRange,
                requires: [String], requiresRange: SourceRange, invokes: [Int], invokesRange: SourceRange,
                impls: [Implementation]) {
        self.name = name; self.doc = doc; self.range = range
        self.sets = sets; self.setsRange = setsRange
        self.flags = flags; self.flagsRange = flagsRange
        self.mask = mask; self.maskRange = maskRange
        self.requires = requires; self.requiresRange = requiresRange
        self.invokes = invokes; self.invokesRange = invokesRange
        self.impls = impls
        requiresSleepable = requires.contains("sleepable")
    }

    public func has(_ f: KFFlag) -> Bool { flags.contains(f) }
}

/// `nest outer -> inner`: the kernel runs `inner` while `outer` runs.
public struct Nest: Sendable {
    public let outer: Int
    public let inner: Int
    public let range: SourceRange
}

/// A checked policy.
public struct Policy: Sendable {
    public var name = ""
    public var structName = ""
    public var prefix = ""
    public var doc: String?
    public var range = SourceRange.none
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
        contexts.isEmpty ? .empty : ContextMask(bits: UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(contexts.count)) - 1))
    }

    /// `a | b | c`, or `none`.
    public func describe(_ m: ContextMask) -> String {
        let names = m.indices.filter { $0 < contexts.count }.map { contexts[$0].name }
        return names.isEmpty ? "none" : names.joined(separator: " | ")
    }

    /// The program types a kfunc may be called from: the union over its sets.
    public func progTypes(of k: Int) -> [ProgType] {
        var s = Set<ProgType>()
        for set in kfuncs[k].sets { s.formUnion(sets[set].progTypes) }
        return s.sorted()
    }

    /// The kernel function that implements kfunc `k` when called from callback `c`.
    public func implementation(of k: Int, in c: Int) -> String {
        kfuncs[k].impls.first { $0.callbacks.contains(c) }?.symbol ?? kfuncs[k].name
    }
}

/// `s.uppercased()` for the ASCII identifiers the lexer makes: a byte map, without Unicode
/// case tables (generated C names upper-case every kfunc name, several times).
func asciiUppercased(_ s: String) -> String {
    let n = s.utf8.count
    return String(unsafeUninitializedCapacity: n) { buf in
        var i = 0
        for b in s.utf8 { buf[i] = b >= 97 && b <= 122 ? b - 32 : b; i += 1 }
        return i
    }
}

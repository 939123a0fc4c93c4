// BPF program types and KF_ flags: the kernel vocabulary every policy shares.

/// A BPF program type a kfunc set can be registered for. The raw value is the policy's
/// spelling; `cName` is the kernel's `enum bpf_prog_type` constant.
public enum ProgramType: String, CaseIterable, Hashable, Sendable, Comparable {
    case struct_ops, tracing, syscall, lsm, kprobe, tracepoint, raw_tracepoint, perf_event, xdp
    case sched_cls, sched_act, cgroup_skb, cgroup_sock, cgroup_sock_addr, sk_skb, netfilter

    /// The kernel's constant, e.g. `BPF_PROG_TYPE_STRUCT_OPS`.
    public var cName: String { "BPF_PROG_TYPE_" + rawValue.uppercased() }

    /// The kfunc hook whose sets the verifier consults for this type on `kernel` (`6.12`,
    /// `mainline`; bpf_prog_type_to_kfunc_hook); nil for a type that has none there (it may call
    /// no kfunc). Types of one hook share its sets: a set registered for tracing serves lsm
    /// programs too.
    public func hook(onKernel kernel: String) -> String? {
        switch self {
        case .struct_ops: return "STRUCT_OPS"
        case .tracing, .tracepoint, .perf_event, .lsm: return "TRACING"
        case .syscall: return "SYSCALL"
        case .kprobe: return "KPROBE"
        case .xdp: return "XDP"
        case .sched_cls: return "TC"
        case .sched_act: return "SCHED_ACT"
        case .cgroup_skb, .cgroup_sock, .cgroup_sock_addr: return "CGROUP"
        case .sk_skb: return "SK_SKB"
        case .netfilter: return "NETFILTER"
        case .raw_tracepoint: return Self.rawTracepointHasKfuncs(kernel) ? "TRACING" : nil
        }
    }

    /// Whether raw_tracepoint programs share the tracing hook on `kernel`: from Linux 7.0 on
    /// (bpf-next commit 342297d51146 "bpf: allow calling kfuncs from raw_tp programs", merged
    /// after 6.19); before, they may call no kfunc.
    public static func rawTracepointHasKfuncs(_ kernel: String) -> Bool {
        if kernel == "mainline" { return true }
        guard let major = kernel.split(separator: ".").first.flatMap({ Int($0) }) else { return false }
        return major >= 7
    }

    /// Declaration order.
    public static func < (a: ProgramType, b: ProgramType) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A KF_ flag a kfunc can carry (include/linux/btf.h). Generated C uses the kernel's own macros;
/// the bit numbers are for the Swift tables and documentation (KbuildTests compares them with
/// the kernel's headers).
public enum KFFlag: String, CaseIterable, Hashable, Sendable, Comparable {
    // In bit order, as in Linux 6.12 plus later additions.
    case KF_ACQUIRE, KF_RELEASE, KF_RET_NULL
    case KF_TRUSTED_ARGS, KF_SLEEPABLE, KF_DESTRUCTIVE, KF_RCU
    case KF_ITER_NEW, KF_ITER_NEXT, KF_ITER_DESTROY, KF_RCU_PROTECTED, KF_FASTCALL
    case KF_ARENA_RET, KF_ARENA_ARG1, KF_ARENA_ARG2, KF_IMPLICIT_ARGS

    /// The flag's bit number: its place in the cases above, past bit 3 (KF_KPTR_GET, retired).
    public var bit: Int {
        let place = Self.allCases.firstIndex(of: self)!
        return place < 3 ? place : place + 1
    }

    /// The kernel's u32 of flags for `flags`.
    public static func bits(of flags: some Sequence<KFFlag>) -> UInt32 {
        flags.reduce(0) { $0 | 1 << UInt32($1.bit) }
    }

    public static func < (a: KFFlag, b: KFFlag) -> Bool { a.bit < b.bit }
}

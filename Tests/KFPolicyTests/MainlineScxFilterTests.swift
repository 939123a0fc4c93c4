import Foundation
import KFPolicy
import XCTest

/// Policies/scx.policy and Policies/scx_cid.policy decide every (caller, kfunc) pair as mainline
/// Linux does, compared with `Mainline`, an independent restatement of the kernel's rules.
///
/// `Mainline` is written from our reading of torvalds/linux at 3bd46666cfe5 (7.3-rc4), recorded
/// in docs/kernel/sched_ext-mainline.md, not from the policies: its own set tables, its own
/// per-op allow table and its own copy of scx_kfunc_context_filter()'s steps. A disagreement is
/// reported with the kfunc, the caller and both answers.
final class MainlineScxFilterTests: XCTestCase {
    /// Mainline sched_ext's load-time decision for one kfunc call, restated in Swift.
    enum Mainline {
        /// Which struct a struct_ops program implements.
        enum Form { case cpu, cid }

        /// Who calls: a member of the form's struct, or a program of another type;
        /// `.program(.struct_ops)` is a struct_ops program of an interface other than sched_ext
        /// (its st_ops already set).
        enum Who: Hashable {
            case op(String)
            case program(ProgType)
        }

        /// The kfunc groups of enum scx_kf_allow_flags (ext.c).
        struct Groups: OptionSet, Hashable {
            let rawValue: UInt32
            static let unlocked = Groups(rawValue: 1 << 0)
            static let initCids = Groups(rawValue: 1 << 1)
            static let cpuRelease = Groups(rawValue: 1 << 2)
            static let dispatch = Groups(rawValue: 1 << 3)
            static let enqueue = Groups(rawValue: 1 << 4)
            static let selectCpu = Groups(rawValue: 1 << 5)
        }

        // The BTF_KFUNCS sets, member by member.
        static let selectCpuKfuncs: Set = ["__scx_bpf_select_cpu_and", "scx_bpf_select_cpu_and",
                                           "scx_bpf_select_cpu_dfl"]
        static let dsqMoveKfuncs: Set = ["scx_bpf_dsq_move_set_slice", "scx_bpf_dsq_move_set_vtime",
                                         "scx_bpf_dsq_move", "scx_bpf_dsq_move_vtime"]
        static let unlocked = dsqMoveKfuncs.union(selectCpuKfuncs).union(["scx_bpf_create_dsq"])
        static let initCids: Set = ["scx_bpf_cid_override"]
        static let enqueueDispatch: Set = ["scx_bpf_dsq_insert", "scx_bpf_dsq_insert___v2",
                                           "__scx_bpf_dsq_insert_vtime", "scx_bpf_dsq_insert_vtime"]
        static let dispatch = dsqMoveKfuncs.union(["scx_bpf_dispatch_nr_slots", "scx_bpf_dispatch_cancel",
                                                   "scx_bpf_dsq_move_to_local", "scx_bpf_dsq_move_to_local___v2",
                                                   "scx_bpf_sub_dispatch"])
        static let cpuRelease: Set = ["scx_bpf_reenqueue_local"]
        static let idle: Set = [
            "scx_bpf_cpu_node", "scx_bpf_get_idle_cpumask_node", "scx_bpf_get_idle_cpumask",
            "scx_bpf_get_idle_smtmask_node", "scx_bpf_get_idle_smtmask", "scx_bpf_put_idle_cpumask",
            "scx_bpf_test_and_clear_cpu_idle", "scx_bpf_pick_idle_cpu_node", "scx_bpf_pick_idle_cpu",
            "scx_bpf_pick_any_cpu_node", "scx_bpf_pick_any_cpu",
        ]
        static let any: Set = [
            "scx_bpf_task_set_slice", "scx_bpf_task_set_dsq_vtime", "scx_bpf_kick_cpu", "scx_bpf_kick_cid",
            "scx_bpf_dsq_nr_queued", "scx_bpf_destroy_dsq", "scx_bpf_dsq_peek", "scx_bpf_dsq_reenq",
            "scx_bpf_reenqueue_local___v2", "bpf_iter_scx_dsq_new", "bpf_iter_scx_dsq_next", "bpf_iter_scx_dsq_destroy",
            "scx_bpf_exit_bstr", "scx_bpf_error_bstr", "scx_bpf_dump_bstr", "scx_bpf_cpuperf_cap",
            "scx_bpf_cpuperf_cur", "scx_bpf_cpuperf_set", "scx_bpf_cidperf_cap", "scx_bpf_cidperf_cur",
            "scx_bpf_cidperf_set",
            "scx_bpf_nr_node_ids", "scx_bpf_nr_cpu_ids", "scx_bpf_nr_cids", "scx_bpf_nr_online_cids",
            "scx_bpf_online_cmask", "scx_bpf_this_cid", "scx_bpf_get_possible_cpumask", "scx_bpf_get_online_cpumask",
            "scx_bpf_put_cpumask", "scx_bpf_task_running", "scx_bpf_task_cpu", "scx_bpf_task_cid", "scx_bpf_locked_rq",
            "scx_bpf_cpu_curr", "scx_bpf_cid_curr", "scx_bpf_tid_to_task", "scx_bpf_now", "scx_bpf_events",
            "scx_bpf_task_cgroup", "scx_bpf_sub_grant", "scx_bpf_sub_revoke", "scx_bpf_sub_caps",
            "scx_bpf_sub_kill_bstr",
        ]
        static let cid: Set = ["scx_bpf_cid_to_cpu", "scx_bpf_cpu_to_cid", "scx_bpf_cid_topo"]
        /// Membership only: never registered; refused to cid-form programs.
        static let cpuOnly = idle.union(selectCpuKfuncs).union([
            "scx_bpf_kick_cpu", "scx_bpf_task_cpu", "scx_bpf_cpu_curr", "scx_bpf_cpuperf_cap", "scx_bpf_cpuperf_cur",
            "scx_bpf_cpuperf_set", "scx_bpf_get_possible_cpumask", "scx_bpf_get_online_cpumask", "scx_bpf_put_cpumask",
        ])
        /// The KF_SLEEPABLE kfuncs.
        static let sleepableKfuncs: Set = ["scx_bpf_create_dsq", "scx_bpf_cid_override"]

        /// Each context-sensitive set with the group that admits it.
        static let governed: [(Set<String>, Groups)] = [
            (unlocked, .unlocked), (initCids, .initCids), (cpuRelease, .cpuRelease),
            (dispatch, .dispatch), (enqueueDispatch, .enqueue), (selectCpuKfuncs, .selectCpu),
        ]
        static let ungoverned = idle.union(any).union(cid)
        static let allKfuncs = governed.reduce(ungoverned) { $0.union($1.0) }

        /// The kfunc hooks sched_ext registers sets on (kernel/bpf/btf.c merges program types;
        /// raw_tracepoint joined the tracing hook with bpf-next 342297d51146, in 7.0).
        enum Hook { case structOps, tracing, syscall }

        static func hook(_ t: ProgType) -> Hook? {
            switch t {
            case .struct_ops: return .structOps
            case .tracing, .tracepoint, .perf_event, .lsm, .raw_tracepoint: return .tracing
            case .syscall: return .syscall
            default: return nil // hooks sched_ext registers nothing on, or none at all
            }
        }

        /// scx_init(), scx_idle_init(), scx_cid_kfunc_init(): the sets each hook sees.
        static let registered: [Hook: [Set<String>]] = [
            .structOps: [enqueueDispatch, dispatch, cpuRelease, unlocked, any, idle, selectCpuKfuncs, initCids, cid],
            .tracing: [any, idle, cid],
            .syscall: [unlocked, any, idle, selectCpuKfuncs, cid],
        ]

        /// scx_kf_allow_flags[], by the cpu-form member at the offset; unlisted ops have no group.
        static let table: [String: Groups] = [
            "select_cpu": [.selectCpu, .enqueue], "enqueue": [.selectCpu, .enqueue],
            "dispatch": [.enqueue, .dispatch], "cpu_release": .cpuRelease,
            "init_task": .unlocked, "dump": .unlocked,
            "cgroup_init": .unlocked, "cgroup_exit": .unlocked, "cgroup_prep_move": .unlocked,
            "cgroup_cancel_move": .unlocked, "cgroup_set_weight": .unlocked, "cgroup_set_bandwidth": .unlocked,
            "cgroup_set_idle": .unlocked, "sub_attach": .unlocked, "sub_detach": .unlocked,
            "sub_ecaps_updated": [.enqueue, .dispatch], "cpu_online": .unlocked, "cpu_offline": .unlocked,
            "init_cids": [.unlocked, .initCids], "init": .unlocked, "exit": .unlocked,
        ]

        /// bpf_scx_check_member(): members that may be sleepable programs, by cpu-form offset.
        static let sleepableOps: Set = ["init_task", "cgroup_init", "cgroup_exit", "cgroup_prep_move",
                                        "cgroup_set_bandwidth", "cpu_online", "cpu_offline", "init_cids", "init",
                                        "exit", "sub_attach", "sub_detach"]

        /// struct sched_ext_ops members a program can implement (a cfi stub in __bpf_ops_sched_ext_ops).
        static let cpuOps = ["select_cpu", "enqueue", "dequeue", "dispatch", "tick", "runnable", "running", "stopping",
                             "quiescent", "yield", "core_sched_before", "set_weight", "set_cpumask", "update_idle",
                             "init_task", "exit_task", "enable", "disable", "dump", "dump_cpu", "dump_task",
                             "cgroup_init", "cgroup_exit", "cgroup_prep_move", "cgroup_move", "cgroup_cancel_move",
                             "cgroup_set_weight", "cgroup_set_bandwidth", "cgroup_set_idle", "sub_attach",
                             "sub_detach", "cpu_online", "cpu_offline", "init_cids", "init", "exit",
                             "cpu_acquire", "cpu_release"]

        /// cid-form members named differently from their cpu-form sibling at the same offset.
        static let cidRenames = ["select_cid": "select_cpu", "set_cmask": "set_cpumask", "dump_cid": "dump_cpu",
                                 "cid_online": "cpu_online", "cid_offline": "cpu_offline",
                                 "cpuctl_init": "cgroup_init", "cpuctl_exit": "cgroup_exit",
                                 "cpuctl_prep_move": "cgroup_prep_move", "cpuctl_move": "cgroup_move",
                                 "cpuctl_cancel_move": "cgroup_cancel_move", "cpuctl_set_weight": "cgroup_set_weight",
                                 "cpuctl_set_bandwidth": "cgroup_set_bandwidth", "cpuctl_set_idle": "cgroup_set_idle"]

        /// struct sched_ext_ops_cid members (all have a cfi stub in __bpf_ops_sched_ext_ops_cid).
        static let cidOps = ["select_cid", "enqueue", "dequeue", "dispatch", "tick", "runnable", "running", "stopping",
                             "quiescent", "yield", "core_sched_before", "set_weight", "set_cmask", "update_idle",
                             "init_task", "exit_task", "enable", "disable", "dump", "dump_cid", "dump_task",
                             "cpuctl_init", "cpuctl_exit", "cpuctl_prep_move", "cpuctl_move", "cpuctl_cancel_move",
                             "cpuctl_set_weight", "cpuctl_set_bandwidth", "cpuctl_set_idle", "sub_attach",
                             "sub_detach", "sub_caps_updated", "sub_ecaps_updated", "cid_online", "cid_offline",
                             "init_cids", "init", "exit"]

        static func ops(_ form: Form) -> [String] { form == .cpu ? cpuOps : cidOps }

        /// The cpu-form member at the same offset as `member` of `form`.
        static func slot(_ form: Form, _ member: String) -> String {
            form == .cid ? (cidRenames[member] ?? member) : member
        }

        /// Whether a program of `form`/`who` may call `kfunc`: found on the program's hook, let
        /// through by the filter, and sleepable if the kfunc is.
        static func allowed(_ form: Form, _ who: Who, _ kfunc: String) -> Bool {
            let h: Hook
            switch who {
            case .op: h = .structOps
            case .program(let t):
                guard let found = hook(t) else { return false }
                h = found
            }
            guard registered[h, default: []].contains(where: { $0.contains(kfunc) }) else { return false }
            guard filter(form, who, kfunc) else { return false }
            if sleepableKfuncs.contains(kfunc), case .op(let m) = who { return sleepableOps.contains(slot(form, m)) }
            return true // SYSCALL programs may be sleepable; no sleepable kfunc is on the tracing hook
        }

        /// scx_kfunc_context_filter() after the verifier's first pass (st_ops known), step by step.
        static func filter(_ form: Form, _ who: Who, _ kfunc: String) -> Bool {
            let sensitive = governed.filter { $0.0.contains(kfunc) }
            if sensitive.isEmpty && !ungoverned.contains(kfunc) { return true } // not sched_ext's business
            switch who {
            case .program(.syscall):
                return unlocked.contains(kfunc) || selectCpuKfuncs.contains(kfunc) || ungoverned.contains(kfunc)
            case .program(.struct_ops):
                return false // another interface's struct_ops
            case .program:
                return ungoverned.contains(kfunc)
            case .op(let member):
                if form == .cid && cpuOnly.contains(kfunc) { return false }
                if ungoverned.contains(kfunc) { return true }
                let flags = table[slot(form, member)] ?? []
                return sensitive.contains { flags.contains($0.1) }
            }
        }
    }

    /// The restatement agrees with decisions the sources state outright (and the issue quotes).
    func testRestatementAgreesWithTheSourcesExamples() {
        let facts: [(Mainline.Form, Mainline.Who, String, Bool)] = [
            (.cpu, .op("enqueue"), "scx_bpf_select_cpu_dfl", true),
            (.cpu, .op("init_task"), "scx_bpf_task_cgroup", true),
            (.cpu, .op("dispatch"), "scx_bpf_select_cpu_dfl", false),
            (.cpu, .op("dispatch"), "scx_bpf_dsq_insert", true),
            (.cpu, .op("dump"), "scx_bpf_create_dsq", false), // allowed group, not a sleepable member
            (.cpu, .op("init"), "scx_bpf_create_dsq", true),
            (.cpu, .op("cpu_release"), "scx_bpf_reenqueue_local", true),
            (.cpu, .op("cgroup_move"), "scx_bpf_dsq_move", false),
            (.cpu, .op("init_cids"), "scx_bpf_cid_override", true),
            (.cid, .op("select_cid"), "scx_bpf_kick_cpu", false), // cpu-only
            (.cid, .op("select_cid"), "scx_bpf_kick_cid", true),
            (.cid, .op("sub_ecaps_updated"), "scx_bpf_dsq_insert", true),
            (.cid, .program(.syscall), "scx_bpf_kick_cpu", true), // cpu_only is not tested for SYSCALL
            (.cpu, .program(.syscall), "scx_bpf_dsq_insert", false),
            (.cpu, .program(.syscall), "scx_bpf_create_dsq", true),
            (.cpu, .program(.tracing), "scx_bpf_select_cpu_dfl", false),
            (.cpu, .program(.lsm), "scx_bpf_kick_cpu", true), // lsm shares the tracing hook
            (.cpu, .program(.raw_tracepoint), "scx_bpf_kick_cpu", true), // so does raw_tracepoint, from 7.0
            (.cpu, .program(.raw_tracepoint), "scx_bpf_dsq_move", false),
            (.cpu, .program(.kprobe), "scx_bpf_now", false),
            (.cpu, .program(.struct_ops), "scx_bpf_cid_to_cpu", false),
        ]
        for (form, who, kfunc, want) in facts {
            XCTAssertEqual(Mainline.allowed(form, who, kfunc), want, "\(kfunc) from \(who) (\(form))")
        }
        XCTAssertEqual(Mainline.allKfuncs.count, 77)
        XCTAssertEqual(Mainline.cpuOnly.count, 23)
    }

    func testScxPolicyDecidesAsMainline() throws {
        try compare("Policies/scx.policy", .cpu)
    }

    func testScxCidPolicyDecidesAsMainline() throws {
        try compare("Policies/scx_cid.policy", .cid)
    }

    /// The generated header's filter, run in the C harness (both kernel forms), against the
    /// restatement directly: every struct_ops call and every program type.
    func testGeneratedFiltersDecideAsMainline() throws {
        for (rel, form) in [("Policies/scx.policy", Mainline.Form.cpu), ("Policies/scx_cid.policy", .cid)] {
            let p = try compileShipped(rel).policy
            for q in [p, HarnessTests.otherKernel(p)] {
                let out = try HarnessTests.runHarness(q, name: Generator.stem(of: rel))
                var problems: [String] = []
                for r in out.rows("C") where Mainline.allowed(form, .op(r[1]), r[0]) != (r[2] == "1") {
                    problems.append(Self.describe(r[0], "ops.\(r[1])", want: r[2] != "1"))
                }
                // The header built for 6.12 runs on 6.12's verifier, whose raw_tracepoint programs
                // reach no kfunc hook at all: the one program type whose answer is the kernel's.
                let rawTP = ProgType.rawTracepointHasKfuncs(q.kernel.description)
                for r in out.rows("P") {
                    let t = ProgType(rawValue: r[1])!
                    let want = t == .raw_tracepoint && !rawTP ? false : Mainline.allowed(form, .program(t), r[0])
                    if want != (r[2] == "1") { problems.append(Self.describe(r[0], "a \(r[1]) program", want: r[2] != "1")) }
                }
                // scx.policy's header serves the cid form too (form "scx_cid.policy").
                for r in out.rows("D") where Mainline.allowed(.cid, .op(r[1]), r[0]) != (r[2] == "1") {
                    problems.append(Self.describe(r[0], "cid-form ops.\(r[1])", want: r[2] != "1"))
                }
                if form == .cpu { XCTAssertGreaterThan(out.rows("D").count, 2_000, "the cid form through the cpu form's header") }
                XCTAssertTrue(problems.isEmpty, "\(rel) (kernel \(q.kernel)): \(problems.joined(separator: "\n"))")
                XCTAssertGreaterThan(out.rows("C").count + out.rows("P").count, 3_000, rel)
            }
        }
    }

    /// bench/filter_bench.c carries a second, C model of mainline's filter (the one the benchmark
    /// times against): it must reach the generated filter's verdict on every struct, member,
    /// sleepable or not, kfunc and program type, or the benchmark's figure means nothing.
    func testBenchModelOfMainlineAgreesWithTheGeneratedFilter() throws {
        let dir = makeTempDir("filter-bench")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = try String(contentsOfFile: packageRoot + "/Generated/scx_kfpolicy.h", encoding: .utf8)
        XCTAssertEqual(header, CEmitter.header(try compileShipped("Policies/scx.policy").policy, sourceName: "scx.policy"),
                       "Generated/scx_kfpolicy.h is stale")
        try header.write(toFile: dir + "/scx_kfpolicy.h", atomically: true, encoding: .utf8)
        let pre = try runProcess("/usr/bin/env", ["python3", packageRoot + "/bench/prelude.py", dir + "/scx_kfpolicy.h"])
        XCTAssertEqual(pre.status, 0, pre.err)
        try pre.out.write(toFile: dir + "/prelude.h", atomically: true, encoding: .utf8)
        let cc = try runProcess("/usr/bin/env", ["cc", "-std=gnu11", "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function",
                                                 "-I", dir, "-I", packageRoot + "/Tests/Harness/include", "-I", packageRoot + "/Tests/Harness",
                                                 packageRoot + "/bench/filter_bench.c", "-o", dir + "/bench"])
        XCTAssertEqual(cc.status, 0, cc.err)
        let run = try runProcess(dir + "/bench", ["1"])
        XCTAssertEqual(run.status, 0, run.err)
        let fields = run.out.split(separator: " ")
        let checked = fields.firstIndex(of: "checked").map { Int(fields[$0 + 1]) ?? 0 } ?? 0
        XCTAssertGreaterThan(checked, 7_000, run.out)
    }

    /// Compares every (member, kfunc) and every (program type, kfunc) pair; lists every disagreement.
    func compare(_ rel: String, _ form: Mainline.Form, file: StaticString = #filePath, line: UInt = #line) throws {
        let p = try compileShipped(rel, file: file, line: line).policy
        var problems: [String] = []
        let ops = Mainline.ops(form)
        let callbacks = p.callbacks.map(\.name), kfuncs = p.kfuncs.map(\.name)
        problems += ops.filter { p.callback(named: $0) == nil }.map { "member \($0) is not a callback of the policy" }
        problems += callbacks.filter { !ops.contains($0) }.map { "callback \($0) is no implementable member" }
        problems += Mainline.allKfuncs.sorted().filter { p.kfunc(named: $0) == nil }.map { "kfunc \($0) is missing" }
        problems += kfuncs.filter { !Mainline.allKfuncs.contains($0) }.map { "kfunc \($0) is not mainline's" }
        var checks = 0
        for k in kfuncs.filter(Mainline.allKfuncs.contains) {
            guard let ki = p.kfunc(named: k) else { continue }
            for m in ops {
                guard let ci = p.callback(named: m) else { continue }
                checks += 1
                let want = Mainline.allowed(form, .op(m), k), got = p.isAllowed(ki, .callback(ci))
                if want != got { problems.append(Self.describe(k, "ops.\(m)", want: want)) }
            }
            for t in ProgType.allCases {
                checks += 1
                let want = Mainline.allowed(form, .program(t), k), got = p.isAllowed(ki, .progType(t))
                if want != got { problems.append(Self.describe(k, "a \(t.rawValue) program", want: want)) }
            }
        }
        XCTAssertTrue(problems.isEmpty, "\(rel): \(problems.count) disagreements with mainline:\n"
                      + problems.joined(separator: "\n"), file: file, line: line)
        XCTAssertGreaterThan(checks, 4_000, "\(rel): too few pairs compared", file: file, line: line)
    }

    static func describe(_ kfunc: String, _ caller: String, want: Bool) -> String {
        "\(kfunc) from \(caller): mainline \(want ? "allows" : "refuses") it, the policy \(want ? "refuses" : "allows")"
    }
}

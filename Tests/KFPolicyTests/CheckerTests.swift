import Foundation
import KFPolicy
import XCTest

/// The checked model and the reference decision function.
final class CheckerTests: XCTestCase {
    static let demo = """
        policy demo for struct demo_ops;
        context unlocked;
        context locked;
        context dispatch;
        group rq = locked | dispatch;
        callback init: unlocked sleepable;
        callback dump: unlocked;
        callback run, stop: locked;
        callback dispatch: dispatch;
        requirement subject;
        set ids: struct_ops, syscall;
        set sys_only: syscall;
        kfunc anywhere { in ids; allow any; }
        kfunc locked_only { in ids; flags KF_RCU; allow rq - dispatch; requires subject; }
        kfunc create { in ids; flags KF_SLEEPABLE; allow unlocked; requires sleepable; }
        kfunc consume { in ids; allow dispatch; invokes stop; impl dispatch = consume_in_dispatch; }
        kfunc sysfn { in sys_only; }
        nest dispatch -> run;
        """

    func model() -> Policy {
        let c = compileText(Self.demo)
        XCTAssertFalse(c.diagnostics.hasErrors, c.diagnostics.items.map(\.message).joined(separator: "\n"))
        return c.policy
    }

    func testMasksGroupsAndOperators() {
        let p = model()
        XCTAssertEqual(p.contexts.map(\.name), ["unlocked", "locked", "dispatch"])
        XCTAssertEqual(p.groups[0].mask.bits, 0b110)
        XCTAssertEqual(p.kfuncs[p.kfunc(named: "locked_only")!].mask.bits, 0b010)
        XCTAssertEqual(p.kfuncs[p.kfunc(named: "anywhere")!].mask, p.allContexts)
        XCTAssertEqual(p.callbacks.map(\.name), ["init", "dump", "run", "stop", "dispatch"])
        XCTAssertEqual(p.callbacks.map(\.sleepable), [true, false, false, false, false])
        XCTAssertEqual(p.kfuncs[p.kfunc(named: "locked_only")!].flags, [.KF_RCU])
        XCTAssertEqual(p.progTypes(of: p.kfunc(named: "anywhere")!), [.struct_ops, .syscall])
    }

    func testDecisionFunctionTable() {
        let p = model()
        func allowed(_ k: String, _ c: String) -> Bool { p.isAllowed(p.kfunc(named: k)!, .callback(p.callback(named: c)!)) }
        let table: [(String, [String])] = [
            ("anywhere", ["init", "dump", "run", "stop", "dispatch"]),
            ("locked_only", ["run", "stop"]),
            ("create", ["init"]),            // dump is unlocked but not sleepable
            ("consume", ["dispatch"]),
            ("sysfn", []),                   // not registered for struct_ops
        ]
        for (k, yes) in table {
            for c in p.callbacks.map(\.name) {
                XCTAssertEqual(allowed(k, c), yes.contains(c), "\(k) in \(c)")
                XCTAssertEqual(p.decide(p.kfunc(named: k)!, .callback(p.callback(named: c)!)).allowed, allowed(k, c))
            }
        }
        XCTAssertTrue(p.isAllowed(p.kfunc(named: "sysfn")!, .progType(.syscall)))
        XCTAssertFalse(p.isAllowed(p.kfunc(named: "sysfn")!, .progType(.tracing)))
        XCTAssertFalse(p.isAllowed(p.kfunc(named: "anywhere")!, .progType(.struct_ops)), "other interfaces' struct_ops get nothing")
        XCTAssertEqual(p.implementation(of: p.kfunc(named: "consume")!, in: p.callback(named: "dispatch")!), "consume_in_dispatch")
        XCTAssertEqual(p.implementation(of: p.kfunc(named: "anywhere")!, in: p.callback(named: "dispatch")!), "anywhere")
    }

    func testDecisionReasonsPointAtTheDecidingDeclarations() {
        let c = compileText(Self.demo)
        let p = c.policy
        let d = p.decide(p.kfunc(named: "create")!, .callback(p.callback(named: "dump")!))
        XCTAssertFalse(d.allowed)
        XCTAssertTrue(d.summary.contains("requires a sleepable callback"), d.summary)
        let where_ = d.reasons.map { c.sources.describe($0.range) }
        XCTAssertEqual(where_, ["test.policy:15:60", "test.policy:7:10"])
        let d2 = p.decide(p.kfunc(named: "consume")!, .callback(p.callback(named: "run")!))
        XCTAssertTrue(d2.summary.contains("do not meet"), d2.summary)
        XCTAssertEqual(d2.reasons.count, 2)
    }

    func testNestingGraphReachability() {
        let p = model()
        let g = NestingGraph(p)
        let names = { (c: String) in g.nestedCallbacks(of: p.callback(named: c)!).map { p.callbacks[$0].name } }
        XCTAssertEqual(names("dispatch"), ["run", "stop"]) // kernel nest, and consume invokes stop
        XCTAssertEqual(names("run"), [])
        XCTAssertTrue(g.cycles().isEmpty)
    }

    func testIncludesAreReadOnceRelativeToTheIncluder() {
        let c = compileText("policy p for struct s;\ninclude \"lib/a.policy\";\ninclude \"lib/b.policy\";\ncallback x: a | b;\n",
                            path: "dir/p.policy",
                            includes: ["dir/lib/a.policy": "context a;\ninclude \"b.policy\";\n", "dir/lib/b.policy": "context b;\n"])
        XCTAssertFalse(c.diagnostics.hasErrors, c.diagnostics.items.map(\.message).joined())
        XCTAssertEqual(c.policy.contexts.map(\.name), ["a", "b"])
        XCTAssertEqual(c.policy.files, ["dir/p.policy", "dir/lib/a.policy", "dir/lib/b.policy"])
    }

    func testShipped612ScxPolicyFacts() throws {
        let c = try compileShipped("Policies/scx-6.12.policy")
        let p = c.policy
        XCTAssertEqual(c.diagnostics.items.count, 0, "scx-6.12.policy has no warnings")
        XCTAssertEqual(p.kernel, .release(major: 6, minor: 12))
        XCTAssertEqual(p.callbacks.count, 33)
        XCTAssertEqual(p.sets.count, 6)
        XCTAssertEqual(Set(p.callbacks.filter(\.sleepable).map(\.name)),
                       ["init_task", "cgroup_init", "cgroup_exit", "cgroup_prep_move", "cpu_online", "cpu_offline", "init", "exit"])
        func allowed(_ k: String, _ cb: String) -> Bool { p.isAllowed(p.kfunc(named: k)!, .callback(p.callback(named: cb)!)) }
        XCTAssertTrue(allowed("scx_bpf_consume", "dispatch"))
        XCTAssertFalse(allowed("scx_bpf_consume", "enqueue"))
        XCTAssertTrue(allowed("scx_bpf_dispatch", "select_cpu"))
        XCTAssertFalse(allowed("scx_bpf_create_dsq", "dump"))
        XCTAssertTrue(allowed("scx_bpf_create_dsq", "init"))
        XCTAssertTrue(allowed("scx_bpf_reenqueue_local", "cpu_release"))
        XCTAssertTrue(p.isAllowed(p.kfunc(named: "scx_bpf_create_dsq")!, .progType(.syscall)))
        XCTAssertTrue(p.isAllowed(p.kfunc(named: "scx_bpf_kick_cpu")!, .progType(.tracing)))
        XCTAssertTrue(p.isAllowed(p.kfunc(named: "scx_bpf_kick_cpu")!, .progType(.lsm)), "lsm shares the tracing kfunc hook")
        XCTAssertFalse(p.isAllowed(p.kfunc(named: "scx_bpf_consume")!, .progType(.syscall)))
        XCTAssertEqual(p.kfuncs.filter { $0.sets.count > 1 }.map(\.name).sorted(),
                       ["scx_bpf_dispatch_from_dsq", "scx_bpf_dispatch_from_dsq_set_slice", "scx_bpf_dispatch_from_dsq_set_vtime", "scx_bpf_dispatch_vtime_from_dsq"])
    }

    func testShippedMainlineScxPolicyFacts() throws {
        for rel in ["Policies/scx.policy", "Policies/scx_cid.policy"] {
            let c = try compileShipped(rel)
            let p = c.policy
            XCTAssertEqual(c.diagnostics.items.count, 0, "\(rel) has no warnings: \(c.diagnostics.items.map(\.message))")
            XCTAssertEqual(p.kernel, .mainline)
            func allowed(_ k: String, _ cb: String) -> Bool { p.isAllowed(p.kfunc(named: k)!, .callback(p.callback(named: cb)!)) }
            XCTAssertTrue(allowed("scx_bpf_dsq_move_to_local", "dispatch"))
            XCTAssertFalse(allowed("scx_bpf_dsq_move_to_local", "enqueue"))
            XCTAssertTrue(allowed("scx_bpf_dsq_insert", "enqueue"))
            XCTAssertTrue(allowed("scx_bpf_create_dsq", "init"))
            XCTAssertFalse(allowed("scx_bpf_create_dsq", "dump"), "dump is unlocked but not sleepable")
            XCTAssertEqual(p.kfuncs[p.kfunc(named: "scx_bpf_dsq_insert")!].was, ["scx_bpf_dispatch"])
            XCTAssertNil(p.kfunc(named: "scx_bpf_consume"), "renamed to scx_bpf_dsq_move_to_local")
        }
        let cid = try compileShipped("Policies/scx_cid.policy").policy
        XCTAssertFalse(cid.isAllowed(cid.kfunc(named: "scx_bpf_kick_cpu")!, .callback(cid.callback(named: "dispatch")!)),
                       "cpu-form kfuncs are denied to cid-form callbacks")
        XCTAssertTrue(cid.isAllowed(cid.kfunc(named: "scx_bpf_kick_cpu")!, .progType(.syscall)), "but not to other program types")
    }
}

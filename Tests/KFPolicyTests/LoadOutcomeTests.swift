import Foundation
import KFPolicy
import XCTest

/// `Policy.loadOutcome`: what the verifier does with a program calling one kfunc, in the order
/// 6.12 checks (attachment and program type, then the kfunc's permission, then KF_SLEEPABLE),
/// and `kfpolicy matrix --format json`, which scripts/e2e-kernel.sh reads.
final class LoadOutcomeTests: XCTestCase {
    static let policy = """
        policy t for struct t_ops;
        prefix t;
        context setup;
        context run;
        callback init: setup sleepable;
        callback go: run;
        callback idle: setup;
        set t_ops_ids: struct_ops;
        set t_prog_ids: syscall, tracing;
        kfunc t_any { in t_ops_ids, t_prog_ids; allow setup | run; }
        kfunc t_run { in t_ops_ids; allow run; }
        kfunc t_wait { in t_ops_ids, t_prog_ids; flags KF_SLEEPABLE; allow setup; requires sleepable; }
        kfunc t_kick { in t_prog_ids; }
        """

    func outcome(_ p: Policy, _ k: String, _ caller: Caller, sleepable: Bool) -> LoadOutcome {
        p.loadOutcome(of: p.kfunc(named: k)!, from: caller, sleepableProgram: sleepable)
    }

    func testEachOutcomeInTheVerifiersOrder() throws {
        let c = compileText(Self.policy)
        XCTAssertFalse(c.diagnostics.hasErrors, "\(c.diagnostics.sorted.map(\.message))")
        let p = c.policy
        let initCb = Caller.callback(p.callback(named: "init")!), go = Caller.callback(p.callback(named: "go")!)
        let idle = Caller.callback(p.callback(named: "idle")!)
        // The filter: contexts, sets, other interfaces.
        XCTAssertEqual(outcome(p, "t_any", go, sleepable: false), .loads)
        XCTAssertEqual(outcome(p, "t_run", initCb, sleepable: false), .refusedByFilter)
        XCTAssertEqual(outcome(p, "t_kick", go, sleepable: false), .refusedByFilter, "in no struct_ops set")
        XCTAssertEqual(outcome(p, "t_any", .progType(.struct_ops), sleepable: false), .refusedByFilter)
        XCTAssertEqual(outcome(p, "t_run", .progType(.tracing), sleepable: false), .refusedByFilter)
        // `requires sleepable` is KF_SLEEPABLE, the verifier's own check after the filter's: in a
        // callback that may not sleep only a non-sleepable program can attach, and it is refused.
        XCTAssertEqual(outcome(p, "t_wait", idle, sleepable: false), .needsSleepableProgram)
        XCTAssertEqual(outcome(p, "t_wait", initCb, sleepable: false), .needsSleepableProgram)
        XCTAssertEqual(outcome(p, "t_wait", initCb, sleepable: true), .loads)
        XCTAssertEqual(outcome(p, "t_wait", .progType(.tracing), sleepable: false), .needsSleepableProgram)
        XCTAssertEqual(outcome(p, "t_wait", .progType(.tracing), sleepable: true), .loads)
        // check_member runs before any kfunc call is looked at: it wins over a refused call.
        XCTAssertEqual(outcome(p, "t_any", go, sleepable: true), .callbackNotSleepable)
        XCTAssertEqual(outcome(p, "t_run", idle, sleepable: true), .callbackNotSleepable)
        XCTAssertEqual(outcome(p, "t_run", initCb, sleepable: true), .refusedByFilter)
        // Syscall programs must be sleepable, whatever they call.
        XCTAssertEqual(outcome(p, "t_kick", .progType(.syscall), sleepable: false), .programTypeNeedsSleepable)
        XCTAssertEqual(outcome(p, "t_run", .progType(.syscall), sleepable: false), .programTypeNeedsSleepable)
        XCTAssertEqual(outcome(p, "t_kick", .progType(.syscall), sleepable: true), .loads)
        XCTAssertEqual(outcome(p, "t_run", .progType(.syscall), sleepable: true), .refusedByFilter)
    }

    /// Built on the decision function: wherever the program kind raises no objection of its own,
    /// "loads or needs a sleepable program" is exactly isAllowed, on every shipped policy.
    func testAgreesWithTheDecisionFunctionOnEveryShippedPolicy() throws {
        for rel in shippedPolicies() {
            let p = try compileShipped(rel).policy
            let types = Set(p.sets.flatMap(\.progTypes)).subtracting([.struct_ops])
            XCTAssertEqual(p.loadCallers.count, p.callbacks.count + types.count + 1, rel)
            for caller in p.loadCallers {
                for k in p.kfuncs.indices {
                    let o = p.loadOutcome(of: k, from: caller, sleepableProgram: true)
                    if case .callback(let c) = caller, !p.callbacks[c].sleepable {
                        XCTAssertEqual(o, .callbackNotSleepable, rel)
                    } else {
                        XCTAssertEqual(o == .loads, p.isAllowed(k, caller),
                                       "\(rel): \(p.kfuncs[k].name) from \(caller.name(in: p))")
                    }
                }
            }
        }
    }

    func testMatrixJSONListsEveryCallerKfuncAndKind() throws {
        let p = compileText(Self.policy).policy
        let json = try Self.json(p)
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        // init, go, idle, syscall, tracing, struct_ops (other interfaces); two kinds; four kfuncs.
        XCTAssertEqual(cells.count, 6 * 2 * 4)
        XCTAssertEqual(Set(cells.map { $0["caller"] as! String }),
                       ["ops.init", "ops.go", "ops.idle", "syscall", "tracing", "struct_ops"])
        for cell in cells {
            let k = p.kfunc(named: cell["kfunc"] as! String)!
            let name = cell["caller"] as! String
            let caller: Caller = name.hasPrefix("ops.") ? .callback(p.callback(named: String(name.dropFirst(4)))!)
                : .progType(ProgType(rawValue: name)!)
            let want = p.loadOutcome(of: k, from: caller, sleepableProgram: cell["sleepable"] as! Bool)
            XCTAssertEqual(cell["outcome"] as? String, want.rawValue, "\(name) \(p.kfuncs[k].name)")
        }
        let kfuncs = try XCTUnwrap(json["kfuncs"] as? [[String: Any]])
        XCTAssertEqual(kfuncs.map { $0["name"] as! String }, ["t_any", "t_run", "t_wait", "t_kick"])
        XCTAssertEqual(kfuncs[2]["flags"] as? [String], ["KF_SLEEPABLE"])
    }

    /// The testmod policy's implementation table and nesting reach the JSON the script simulates.
    func testMatrixJSONCarriesImplementationsAndNesting() throws {
        let p = try compileShipped("Policies/examples/testmod.policy").policy
        let json = try Self.json(p)
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        let insertInComplete = cells.first {
            $0["caller"] as? String == "ops.complete" && $0["kfunc"] as? String == "kfp_testmod_insert"
        }
        XCTAssertEqual(insertInComplete?["implementation"] as? String, "kfp_testmod_insert_deferred")
        let callbacks = try XCTUnwrap(json["callbacks"] as? [[String: Any]])
        // complete -> kfp_testmod_resubmit -> submit -> kfp_testmod_complete_now -> complete: a cycle.
        let nested = { (c: String) in callbacks.first { $0["name"] as? String == c }?["nested"] as? [String] }
        XCTAssertEqual(nested("complete"), ["submit", "complete"])
        XCTAssertEqual(nested("init"), [])
        let kfuncs = try XCTUnwrap(json["kfuncs"] as? [[String: Any]])
        let invokes = { (k: String) in kfuncs.first { $0["name"] as? String == k }?["invokes"] as? [String] }
        XCTAssertEqual(invokes("kfp_testmod_resubmit"), ["submit"])
        XCTAssertEqual(invokes("kfp_testmod_complete_now"), ["complete"])
    }

    static func json(_ p: Policy) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(LoadMatrixJSON.render(p).utf8)) as? [String: Any])
    }
}

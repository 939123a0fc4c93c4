import NetdevPolicies
import XCTest

final class NetdevPoliciesTests: XCTestCase {
    /// The generated tables answer as the policy says.
    func testGeneratedTables() {
        XCTAssertTrue(NetDevPolicy.isAllowed(.example_count_tx, in: .xmit))
        XCTAssertFalse(NetDevPolicy.isAllowed(.example_count_tx, in: .open))
        XCTAssertTrue(NetDevPolicy.isAllowed(.example_alloc_state, in: .open))
        XCTAssertTrue(NetDevPolicy.isAllowed(.example_count_tx, from: .syscall))
        XCTAssertFalse(NetDevPolicy.isAllowed(.example_count_tx, from: .tracing))
        XCTAssertEqual(NetDevPolicy.Kfunc.example_alloc_state.flags, [.KF_SLEEPABLE])
        XCTAssertTrue(NetDevPolicy.Callback.open.isSleepable)
        // The included file's contexts are part of this policy's tables.
        XCTAssertEqual(NetDevPolicy.Context.allCases.map(\.name), ["unlocked", "tx_locked"])
    }

    /// The target's own code, built on the tables.
    func testTargetCodeUsesTheTables() {
        XCTAssertEqual(allowedKfuncReport(), ["ops.open: example_alloc_state", "ops.xmit: example_count_tx"])
        XCTAssertEqual(refusedCalls([("xmit", "example_count_tx"), ("xmit", "example_alloc_state"), ("close", "example_count_tx")]), [
            "'example_alloc_state' is not allowed in ops.xmit: its contexts (unlocked) do not meet those of ops.xmit (tx_locked)",
            "ops.close: no such callback",
        ])
    }
}

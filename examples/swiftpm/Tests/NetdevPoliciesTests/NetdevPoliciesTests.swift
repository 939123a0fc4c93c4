import NetdevPolicies
import XCTest

final class NetdevPoliciesTests: XCTestCase {
    /// The generated tables answer as the policy says.
    func testGeneratedTables() {
        XCTAssertTrue(ExampleNetdevPolicy.isAllowed(.example_count_tx, in: .xmit))
        XCTAssertFalse(ExampleNetdevPolicy.isAllowed(.example_count_tx, in: .open))
        XCTAssertTrue(ExampleNetdevPolicy.isAllowed(.example_alloc_state, in: .open))
        XCTAssertTrue(ExampleNetdevPolicy.isAllowed(.example_count_tx, from: .syscall))
        XCTAssertFalse(ExampleNetdevPolicy.isAllowed(.example_count_tx, from: .tracing))
        XCTAssertEqual(ExampleNetdevPolicy.Kfunc.example_alloc_state.flags, [.KF_SLEEPABLE])
        XCTAssertTrue(ExampleNetdevPolicy.Callback.open.isSleepable)
        // The included file's contexts are part of this policy's tables.
        XCTAssertEqual(ExampleNetdevPolicy.Context.allCases.map(\.name), ["unlocked", "tx_locked"])
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

import Foundation
import KFPolicy
import XCTest

/// The generated run-time guards, given Policies/scx-6.12.policy, answer as Linux 6.12's
/// scx_kf_allow / scx_kf_allowed do, on every nesting the policy's DAG allows, for every call
/// the generated filter lets a program make (see the nested case below for the others).
///
/// `Linux612` restates 6.12's rules (kernel/sched/ext.c) in our own words:
/// - entering a callback ORs its mask into the task's kf_mask; nesting is legal only when no
///   bit at or above the new mask's highest bit is already set (mask 0, i.e. unlocked
///   callbacks, are not tracked at all);
/// - a kfunc checked with mask M passes when kf_mask meets M, except that a kfunc whose
///   highest bit is CPU_RELEASE or DISPATCH fails when any higher bit is set (a callback is
///   nested on top);
/// - kfuncs with no run-time check pass; the dispatch_from_dsq family passes when kf_mask is 0
///   or the DISPATCH check passes.
final class Scx612GuardTests: XCTestCase {
    enum Linux612 {
        static let cpuRelease: UInt32 = 1 << 0, dispatch: UInt32 = 1 << 1

        static func highestBit(_ m: UInt32) -> UInt32 { m == 0 ? 0 : 1 << UInt32(31 - m.leadingZeroBitCount) }
        static func higherBits(_ m: UInt32) -> UInt32 { ~((highestBit(m) << 1) &- 1) }

        static func mayNest(current: UInt32, mask: UInt32) -> Bool {
            mask == 0 || ((mask | higherBits(mask)) & current) == 0
        }

        static func kfAllowed(current: UInt32, mask: UInt32) -> Bool {
            if current & mask == 0 { return false }
            if highestBit(mask) == cpuRelease && current & higherBits(cpuRelease) != 0 { return false }
            if highestBit(mask) == dispatch && current & higherBits(dispatch) != 0 { return false }
            return true
        }
    }

    /// Our context bits to 6.12's scx_kf_mask: 'unlocked' is 0 there, the others shift down one.
    static func to612(_ m: ContextMask, _ p: Policy) -> UInt32 {
        var out: UInt32 = 0
        for i in m.indices where p.contexts[i].name != "unlocked" { out |= 1 << UInt32(i - 1) }
        return out
    }

    /// 6.12's verdict for kfunc k with the given kf_mask.
    static func verdict612(_ p: Policy, _ k: Int, current: UInt32) -> Bool {
        let kf = p.kfuncs[k]
        if kf.mask == p.allContexts { return true } // no run-time check
        let unlocked = p.contexts.firstIndex { $0.name == "unlocked" }!
        let locked = to612(kf.mask, p)
        if kf.mask.contains(unlocked) { return current == 0 || (locked != 0 && Linux612.kfAllowed(current: current, mask: locked)) }
        return Linux612.kfAllowed(current: current, mask: locked)
    }

    func testGuardsMatchLinux612OnEveryDAGNesting() throws {
        let c = try compileShipped("Policies/scx-6.12.policy")
        let p = c.policy
        XCTAssertEqual(p.contexts.map(\.name), ["unlocked", "cpu_release", "dispatch", "enqueue", "select_cpu", "rest"])
        let out = try HarnessTests.runHarness(p, name: "scx")
        let cb = Dictionary(uniqueKeysWithValues: p.callbacks.enumerated().map { ($1.name, $0) })
        let kf = Dictionary(uniqueKeysWithValues: p.kfuncs.enumerated().map { ($1.name, $0) })
        // Sleepable-only kfuncs have no run-time check in 6.12: the verifier keeps them out of
        // non-sleepable programs, so the guard's answer is not comparable there.
        let compared = p.kfuncs.indices.filter { !p.kfuncs[$0].requiresSleepable }
        var checks = 0
        for r in out.rows("G") where compared.contains(kf[r[0]]!) {
            let cur = Self.to612(p.callbacks[cb[r[1]]!].contexts, p)
            XCTAssertEqual(r[2] == "1", Self.verdict612(p, kf[r[0]]!, current: cur), "\(r[0]) in ops.\(r[1])")
            checks += 1
        }
        let graph = NestingGraph(p)
        var nestings = 0
        for r in out.rows("N") {
            let a = cb[r[0]]!, b = cb[r[1]]!
            guard graph.nestedCallbacks(of: a).contains(b) else { continue }
            nestings += 1
            let outer = Self.to612(p.callbacks[a].contexts, p), inner = Self.to612(p.callbacks[b].contexts, p)
            XCTAssertTrue(Linux612.mayNest(current: outer, mask: inner), "6.12 refuses ops.\(r[1]) inside ops.\(r[0])")
            XCTAssertEqual(r[2], "1", "guard refuses ops.\(r[1]) inside ops.\(r[0])")
            // The program that calls a kfunc is the inner callback's, which the verifier checked
            // against the filter: for the kfuncs it let through, the guards answer as 6.12 does.
            // For the others, 6.12 goes by every running context (it lets ops.dequeue nested in
            // ops.dispatch call scx_bpf_dispatch); the guards go by the innermost callback and
            // refuse, which the filter has already done at load time.
            let bits = Array(r[3])
            for k in compared {
                let want = p.isAllowed(k, .callback(b)) ? Self.verdict612(p, k, current: outer | inner) : false
                XCTAssertEqual(bits[k] == "1", want, "\(p.kfuncs[k].name) in ops.\(r[1]) nested in ops.\(r[0])")
                checks += 1
            }
        }
        XCTAssertEqual(nestings, 2, "cpu_release -> enqueue and dispatch -> dequeue")
        XCTAssertGreaterThan(checks, 1000)
    }
}

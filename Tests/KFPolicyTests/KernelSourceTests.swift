import Foundation
import KFPolicy
import KFPolicyClang
import XCTest

/// The unpacked Linux 6.12 sources the kernel-source tests read (scripts/kernel-src.sh unpacks
/// them from Debian's linux-source-6.12 once, into .build-kernel-src). A missing tarball fails
/// the test: scripts/setup.sh installs it.
func kernelSource612() throws -> String {
    struct Missing: Error, CustomStringConvertible { let description: String }
    let r = try runProcess("/bin/bash", [packageRoot + "/scripts/kernel-src.sh"], cwd: packageRoot)
    guard r.status == 0 else { throw Missing(description: "scripts/kernel-src.sh failed (linux-source-6.12 installed?): \(r.err)") }
    return r.out.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("/") ? r.out.trimmingCharacters(in: .whitespacesAndNewlines)
        : packageRoot + "/" + r.out.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The kfpolicy built with these tests (beside the test bundle), else the default build's.
var builtKfpolicy: String {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for d in [dir, dir.deletingLastPathComponent()] {
        let p = d.appendingPathComponent("kfpolicy").path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return kfpolicyBinary
}

/// `check --kernel-src` against Linux 6.12: the shipped policies agree with the sources, and
/// seeded mismatches are each reported with the policy's location and the kernel's.
final class KernelSourceTests: XCTestCase {
    /// Compiles scx.policy after an edit, and checks it against 6.12.
    func checkScx(_ edit: (String) -> String, file: StaticString = #filePath, line: UInt = #line) throws -> (ds: [Diagnostic], text: String, policy: String) {
        let src = try kernelSource612()
        let original = try String(contentsOfFile: packageRoot + "/Policies/scx-6.12.policy", encoding: .utf8)
        let edited = edit(original)
        XCTAssertNotEqual(edited, original, "the edit changed nothing", file: file, line: line)
        let c = compileText(edited, path: "scx.policy")
        XCTAssertFalse(c.diagnostics.hasErrors, "the seeded policy must still compile", file: file, line: line)
        let ks = try KernelSource(root: src, structNames: [c.policy.structName], sources: c.sources)
        let ds = ks.check(c.policy)
        return (ds, ds.map(DiagnosticRenderer(sources: c.sources, color: false).render).joined(), edited)
    }

    /// 1-based line in `text` of the first line containing `s`.
    func line(of s: String, in text: String) -> Int {
        (text.components(separatedBy: "\n").firstIndex { $0.contains(s) } ?? -1) + 1
    }

    func extLine(_ s: String) throws -> Int {
        line(of: s, in: try String(contentsOfFile: try kernelSource612() + "/kernel/sched/ext.c", encoding: .utf8))
    }

    func replacingOnce(_ text: String, _ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let parts = text.components(separatedBy: old)
        XCTAssertEqual(parts.count, 2, "'\(old)' should occur once", file: file, line: line)
        return parts.joined(separator: new)
    }

    func testShippedPoliciesAgreeWith612() throws {
        let src = try kernelSource612()
        for rel in ["Policies/scx-6.12.policy", "Policies/tcp_cong.policy"] {
            let c = try compileShipped(rel)
            let ks = try KernelSource(root: src, structNames: [c.policy.structName], sources: c.sources)
            let ds = ks.check(c.policy)
            XCTAssertEqual(ds.count, 0, "\(rel):\n" + ds.map(DiagnosticRenderer(sources: c.sources, color: false).render).joined())
            // It really read the kernel: every callback is a member, every kfunc is in a set.
            let s = try XCTUnwrap(ks.structs[c.policy.structName])
            XCTAssertEqual(Set(s.members.filter(\.isFunctionPointer).map(\.name)), Set(c.policy.callbacks.map(\.name)), rel)
            for k in c.policy.kfuncs { XCTAssertFalse(ks.entries(of: k.name).isEmpty, "\(rel): \(k.name)") }
        }
    }

    func testWrongFlagIsReportedWithBothLocations() throws {
        let (ds, text, policy) = try checkScx {
            self.replacingOnce($0, "    flags KF_RCU | KF_ACQUIRE;\n", "    flags KF_RCU;\n")
        }
        XCTAssertEqual(ds.map(\.id), [.kernelFlagsDiffer], text)
        let pl = line(of: "kfunc scx_bpf_task_cgroup {", in: policy) + 2 // after its `in` line
        XCTAssertTrue(text.contains("scx.policy:\(pl):5: error: kfunc 'scx_bpf_task_cgroup' has flags KF_RCU in the policy, but KF_ACQUIRE | KF_RCU in the kernel's set 'scx_kfunc_ids_any' [KFP805]"), text)
        let kl = try extLine("BTF_ID_FLAGS(func, scx_bpf_task_cgroup")
        XCTAssertTrue(text.contains("kernel/sched/ext.c:\(kl):1: note: BTF_ID_FLAGS(func, scx_bpf_task_cgroup, KF_RCU | KF_ACQUIRE) is here (under #if defined(CONFIG_CGROUP_SCHED))"), text)
    }

    func testKfuncInTheWrongSetIsReported() throws {
        let (ds, text, _) = try checkScx { t in
            // scx_bpf_consume is in scx_kfunc_ids_dispatch; claim it is in scx_kfunc_ids_any.
            let parts = t.components(separatedBy: "kfunc scx_bpf_consume {\n    in scx_kfunc_ids_dispatch;")
            XCTAssertEqual(parts.count, 2)
            return parts.joined(separator: "kfunc scx_bpf_consume {\n    in scx_kfunc_ids_any;")
        }
        XCTAssertEqual(ds.map(\.id), [.kernelSetDiffers, .kernelSetDiffers], text)
        XCTAssertTrue(text.contains("error: kfunc 'scx_bpf_consume' is in set 'scx_kfunc_ids_any' in the policy, but the kernel's set 'scx_kfunc_ids_any' does not list it [KFP806]"), text)
        XCTAssertTrue(text.contains("ext.c:\(try extLine("BTF_ID_FLAGS(func, scx_bpf_consume)")):1: note: the kernel lists 'scx_bpf_consume' in set 'scx_kfunc_ids_dispatch' here"), text)
        XCTAssertTrue(text.contains("error: the kernel also lists kfunc 'scx_bpf_consume' in set 'scx_kfunc_ids_dispatch', which the policy does not give it"), text)
    }

    func testMissingCallbackIsAWarningAtTheKernelMember() throws {
        let (ds, text, _) = try checkScx {
            self.replacingOnce($0, "callback tick: rest; // task_tick_scx\n", "")
        }
        XCTAssertEqual(ds.map(\.id), [.kernelMemberNotInPolicy], text)
        XCTAssertEqual(ds.first?.severity, .warning)
        XCTAssertTrue(text.contains("warning: struct sched_ext_ops has a function-pointer member 'tick' that the policy does not declare as a callback [KFP803]"), text)
        XCTAssertTrue(text.contains("ext.c:\(try extLine("void (*tick)(struct task_struct *p);")):"), text)
        XCTAssertTrue(text.contains("note: 'void (*tick)(struct task_struct *p)' is declared here"), text)
    }

    func testCallbackThatIsNoMemberIsAnError() throws {
        let (ds, text, _) = try checkScx {
            self.replacingOnce($0, "callback tick: rest;", "callback tick: rest;\ncallback tock: rest;")
        }
        XCTAssertEqual(ds.map(\.id), [.kernelCallbackNotMember], text)
        XCTAssertTrue(text.contains("error: callback 'tock' is not a member of struct sched_ext_ops in the kernel sources [KFP802]"), text)
        XCTAssertTrue(text.contains("note: struct sched_ext_ops is defined here"), text)
        XCTAssertTrue(text.contains("hint: did you mean 'tick'?"), text)
    }

    func testUnknownKfuncIsReported() throws {
        let (ds, text, _) = try checkScx {
            $0 + "\nkfunc scx_bpf_kick_cpus {\n    in scx_kfunc_ids_any;\n    flags none;\n    allow any;\n}\n"
        }
        XCTAssertEqual(ds.map(\.id), [.kernelKfuncNotFound], text)
        XCTAssertTrue(text.contains("error: kfunc 'scx_bpf_kick_cpus' is neither defined with __bpf_kfunc nor declared in the kernel sources, and no set lists it [KFP804]"), text)
        XCTAssertTrue(text.contains("hint: did you mean 'scx_bpf_kick_cpu'?"), text)
    }

    func testProgramTypesOfASetAreCompared() throws {
        let (ds, text, _) = try checkScx {
            self.replacingOnce($0, "set scx_kfunc_ids_any: struct_ops, tracing, syscall;", "set scx_kfunc_ids_any: struct_ops, syscall;")
        }
        XCTAssertEqual(ds.map(\.id), [.kernelProgTypesDiffer], text)
        XCTAssertTrue(text.contains("set 'scx_kfunc_ids_any' is registered for struct_ops, syscall in the policy, but the kernel registers it for struct_ops, tracing, syscall [KFP808]"), text)
        XCTAssertTrue(text.contains("note: register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &scx_kfunc_set_any)"), text)
    }

    func testUnknownStructIsReported() throws {
        let (ds, text, _) = try checkScx {
            self.replacingOnce($0, "policy scx for struct sched_ext_ops;", "policy scx for struct sched_ext_opz;")
        }
        XCTAssertTrue(ds.map(\.id).contains(.kernelStructNotFound), text)
    }

    func testExplainShowsTheKernelSignature() throws {
        let src = try kernelSource612()
        let c = try compileShipped("Policies/scx-6.12.policy")
        let ks = try KernelSource(root: src, structNames: ["sched_ext_ops"], sources: c.sources)
        let sig = try XCTUnwrap(ks.signature(ofKfunc: "scx_bpf_create_dsq"))
        XCTAssertEqual(sig.text, "__bpf_kfunc s32 scx_bpf_create_dsq(u64 dsq_id, s32 node)")
        XCTAssertTrue(sig.location.hasSuffix("kernel/sched/ext.c:\(try extLine("__bpf_kfunc s32 scx_bpf_create_dsq(")):17"), sig.location)

        let bin = builtKfpolicy
        guard FileManager.default.isExecutableFile(atPath: bin) else { throw XCTSkip("kfpolicy is not built") }
        let r = try runProcess(bin, ["explain", "Policies/scx-6.12.policy", "scx_bpf_create_dsq", "init", "--kernel-src", src], cwd: packageRoot)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("kernel: __bpf_kfunc s32 scx_bpf_create_dsq(u64 dsq_id, s32 node)"), r.out)
        XCTAssertTrue(r.out.contains("kernel: in set scx_kfunc_ids_unlocked: BTF_ID_FLAGS(func, scx_bpf_create_dsq, KF_SLEEPABLE)"), r.out)
        XCTAssertTrue(r.out.contains("kernel: struct sched_ext_ops member: s32 (*init)(void)"), r.out)
        let ok = try runProcess(bin, ["check", "Policies/scx-6.12.policy", "Policies/tcp_cong.policy", "--kernel-src", src], cwd: packageRoot)
        XCTAssertEqual(ok.status, 0, ok.err)
    }
}

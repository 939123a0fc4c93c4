import Foundation
import KFPolicy
import KFPolicyRender
import KFPolicyClang
import XCTest

/// The libclang cross-check of generated headers: every shipped policy's header parses cleanly
/// and says what the model says; deliberately broken headers are caught, each with a message
/// that names the fact, a location in the header and a note at the policy declaration.
final class ValidateTests: XCTestCase {
    /// Generates the header of a shipped policy and validates it.
    func generateAndValidate(_ rel: String, edit: ((String) -> String)? = nil, handEdited: Bool = false,
                             kernelHeaders: String? = nil) throws -> (result: ValidationResult, sources: SourceManager, header: String) {
        let c = try compileShipped(rel)
        let (text, origins) = CEmitter.headerWithOrigins(c.policy, sourceName: Generator.stem(of: rel) + ".policy")
        XCTAssertEqual(text, CEmitter.header(c.policy, sourceName: Generator.stem(of: rel) + ".policy"), "origins must not change the header")
        XCTAssertEqual(origins.count, text.split(separator: "\n", omittingEmptySubsequences: false).count - 1, "one origin per line")
        let header = edit.map { $0(text) } ?? text
        let r = try HeaderValidator.validate(header: header, path: "Generated/\(Generator.stem(of: rel))_kfpolicy.h",
                                             policy: c.policy, sources: c.sources, origins: origins,
                                             options: ValidationOptions(kernelHeaders: kernelHeaders, handEdited: handEdited))
        return (r, c.sources, header)
    }

    func render(_ r: ValidationResult, _ s: SourceManager) -> String {
        r.diagnostics.map(DiagnosticRenderer(sources: s, color: false).render).joined()
    }

    /// Replaces exactly one occurrence of `old`.
    func replacingOnce(_ text: String, _ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let parts = text.components(separatedBy: old)
        XCTAssertEqual(parts.count, 2, "'\(old)' should occur once", file: file, line: line)
        return parts.joined(separator: new)
    }

    /// The 1-based line of the first occurrence of `s` in `text`.
    func lineOf(_ s: String, in text: String) -> Int {
        let before = text.components(separatedBy: s)[0]
        return before.filter { $0 == "\n" }.count + 1
    }

    func testEveryShippedHeaderValidates() throws {
        for rel in shippedPolicies() {
            let (r, s, _) = try generateAndValidate(rel)
            XCTAssertEqual(r.diagnostics.count, 0, "\(rel):\n" + render(r, s))
            let c = try compileShipped(rel)
            // At least one fact per context, callback, kfunc, set and kfunc-in-set.
            let p = c.policy
            let minimum = p.contexts.count + p.callbacks.count + 3 * p.ownKfuncs.count + p.ownSets.count
            XCTAssertGreaterThan(r.factsChecked, minimum, rel)
        }
    }

    /// The 6.12 policy: its header is the largest and does not change with mainline.
    static let scx = "Policies/scx-6.12.policy"
    static let scxHeader = "Generated/scx-6.12_kfpolicy.h"

    func testFlippedContextBitInOpTableIsCaught() throws {
        // ops.dispatch runs in `dispatch`; make its table entry say `enqueue`.
        let (r, s, header) = try generateAndValidate(Self.scx) {
            self.replacingOnce($0, "[SCX_OP(dispatch)] = SCX_CTX_DISPATCH,", "[SCX_OP(dispatch)] = SCX_CTX_ENQUEUE,")
        }
        let text = render(r, s)
        XCTAssertTrue(r.hasErrors)
        let line = lineOf("[SCX_OP(dispatch)] = SCX_CTX_ENQUEUE", in: header)
        XCTAssertTrue(text.contains("\(Self.scxHeader):\(line):"), text)
        XCTAssertTrue(text.contains("the contexts of callback 'dispatch' are 0x00000008, the policy gives 0x00000004 (dispatch) [KFP902]"), text)
        XCTAssertTrue(text.contains("scx-6.12.policy:"), "a note at the policy declaration:\n" + text)
        XCTAssertEqual(r.diagnostics.count, 1, text)
    }

    func testFlippedContextConstantIsCaught() throws {
        let (r, s, _) = try generateAndValidate(Self.scx) {
            self.replacingOnce($0, "SCX_CTX_REST = BIT(5),", "SCX_CTX_REST = BIT(6),")
        }
        let text = render(r, s)
        XCTAssertTrue(text.contains("context 'rest': SCX_CTX_REST is 0x00000040 in the header, the policy gives 0x00000020"), text)
        // Everything built from it is wrong too, and each is reported.
        XCTAssertTrue(text.contains("the contexts of callback 'tick'"), text)
    }

    func testDroppedKFFlagIsCaught() throws {
        let (r, s, header) = try generateAndValidate(Self.scx) {
            self.replacingOnce($0, "BTF_ID_FLAGS(func, scx_bpf_task_cgroup, KF_ACQUIRE | KF_RCU)", "BTF_ID_FLAGS(func, scx_bpf_task_cgroup, KF_RCU)")
        }
        let text = render(r, s)
        let line = lineOf("BTF_ID_FLAGS(func, scx_bpf_task_cgroup, KF_RCU)", in: header)
        XCTAssertTrue(text.contains("\(Self.scxHeader):\(line):1: error: header disagrees with the policy: kfunc 'scx_bpf_task_cgroup' has KF_ flags KF_RCU in set 'scx_kfunc_ids_any', the policy gives KF_ACQUIRE | KF_RCU [KFP902]"), text)
        XCTAssertTrue(text.contains("note: the policy declares it here"), text)
        XCTAssertTrue(text.contains("flags KF_RCU | KF_ACQUIRE;") || text.contains("flags KF_ACQUIRE | KF_RCU;"), "the note shows the policy's flags line:\n" + text)
        XCTAssertEqual(r.diagnostics.count, 1, text)
    }

    func testChangedTableEntriesAreCaught() throws {
        // A set's contexts, a registration and an implementation choice, each changed once.
        var (r, s, _) = try generateAndValidate(Self.scx) {
            self.replacingOnce($0, "{ &scx_kfunc_ids_dispatch, SCX_CTX_DISPATCH },", "{ &scx_kfunc_ids_dispatch, SCX_CTX_DISPATCH | SCX_CTX_ENQUEUE },")
        }
        var text = render(r, s)
        XCTAssertTrue(text.contains("kfunc 'scx_bpf_consume' gets the contexts 0x0000000c from scx_kfunc_ids_dispatch, the policy gives 0x00000004 (dispatch)"), text)
        (r, s, _) = try generateAndValidate(Self.scx) {
            self.replacingOnce($0, "{ BPF_PROG_TYPE_TRACING, &scx_kfunc_set_any },", "{ BPF_PROG_TYPE_LSM, &scx_kfunc_set_any },")
        }
        text = render(r, s)
        XCTAssertTrue(text.contains("set 'scx_kfunc_ids_any' is registered for BPF_PROG_TYPE_LSM, BPF_PROG_TYPE_STRUCT_OPS, BPF_PROG_TYPE_SYSCALL, the policy gives BPF_PROG_TYPE_STRUCT_OPS, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_TRACING"), text)
        (r, s, _) = try generateAndValidate("Policies/examples/impls.policy") {
            // The dispatch case moved to ops.tick.
            self.replacingOnce($0, "\tcase DEMO_IMPL_OP(dispatch):\n\t\treturn DEMO_IMPL_IMPL_DEMO_INSERT_DEFERRED;",
                               "\tcase DEMO_IMPL_OP(enqueue):\n\t\treturn DEMO_IMPL_IMPL_DEMO_INSERT_DEFERRED;")
        }
        text = render(r, s)
        XCTAssertTrue(text.contains("demo_insert_impl() does not return DEMO_IMPL_IMPL_DEMO_INSERT_DEFERRED in ops.dispatch"), text)
        XCTAssertTrue(text.contains("demo_insert_impl() returns DEMO_IMPL_IMPL_DEMO_INSERT_DEFERRED in ops.enqueue; the policy does not say so"), text)
    }

    func testKfuncMissingFromTheContextTableIsCaught() throws {
        let (r, s, _) = try generateAndValidate(Self.scx) {
            self.replacingOnce($0, "\t{ &scx_kfunc_ids_dispatch, SCX_CTX_DISPATCH },\n", "")
        }
        let text = render(r, s)
        XCTAssertTrue(text.contains("no set of 'scx_kfunc_ctx' holds kfunc 'scx_bpf_consume': the filter cannot place it"), text)
    }

    func testKfuncMovedBetweenSetsIsCaught() throws {
        let (r, s, _) = try generateAndValidate(Self.scx) { t in
            let a = self.replacingOnce(t, "BTF_ID_FLAGS(func, scx_bpf_consume)\n", "")
            return self.replacingOnce(a, "BTF_KFUNCS_END(scx_kfunc_ids_any)", "BTF_ID_FLAGS(func, scx_bpf_consume)\nBTF_KFUNCS_END(scx_kfunc_ids_any)")
        }
        let text = render(r, s)
        XCTAssertTrue(text.contains("set 'scx_kfunc_ids_dispatch' lacks kfunc 'scx_bpf_consume'"), text)
        XCTAssertTrue(text.contains("set 'scx_kfunc_ids_any' lists 'scx_bpf_consume', which the policy does not put in that set"), text)
    }

    func testClangErrorIsReportedAtTheLineWithItsPolicyDeclaration() throws {
        // Break the line generated for callback 'enqueue' in the op table.
        let (r, s, header) = try generateAndValidate(Self.scx) {
            self.replacingOnce($0, "[SCX_OP(enqueue)] = SCX_CTX_ENQUEUE,", "[SCX_OP(enqueue)] = SCX_CTX_ENQUEUED,")
        }
        let text = render(r, s)
        let line = lineOf("SCX_CTX_ENQUEUED", in: header)
        XCTAssertTrue(text.contains("\(Self.scxHeader):\(line):"), text)
        XCTAssertTrue(text.contains("error: clang: use of undeclared identifier 'SCX_CTX_ENQUEUED'"), text)
        XCTAssertTrue(text.contains("[KFP901]"), text)
        XCTAssertTrue(text.contains("note: this line of the header was generated from this declaration"), text)
        XCTAssertTrue(text.contains("callback enqueue: enqueue;"), "the note quotes the callback's declaration:\n" + text)
        XCTAssertTrue(text.contains("hint: this is a bug in kfpolicy"), text)
    }

    func testDuplicateDesignatedEntryIsAnError() throws {
        let (r, s, _) = try generateAndValidate(Self.scx) {
            self.replacingOnce($0, "[SCX_OP(enqueue)] = SCX_CTX_ENQUEUE,", "[SCX_OP(enqueue)] = SCX_CTX_ENQUEUE,\n\t[SCX_OP(dispatch)] = SCX_CTX_ENQUEUE,")
        }
        let text = render(r, s)
        XCTAssertTrue(text.contains("initializer overrides prior initialization") && text.contains("[KFP901]"), text)
    }

    func testHandEditedHeaderGetsAHandEditedHint() throws {
        let (r, s, _) = try generateAndValidate(Self.scx, edit: {
            self.replacingOnce($0, "BTF_ID_FLAGS(func, scx_bpf_create_dsq, KF_SLEEPABLE)", "BTF_ID_FLAGS(func, scx_bpf_create_dsq)")
        }, handEdited: true)
        let text = render(r, s)
        XCTAssertTrue(text.contains("kfunc 'scx_bpf_create_dsq' has KF_ flags none in set 'scx_kfunc_ids_unlocked', the policy gives KF_SLEEPABLE"), text)
        XCTAssertTrue(text.contains("hint: the header was changed by hand or is stale"), text)
    }

    func testValidateCommandOnAHandEditedHeader() throws {
        let bin = builtKfpolicy
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: bin), "kfpolicy is not built")
        let dir = makeTempDir("validate-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try runProcess(bin, ["validate", Self.scxHeader, "--policy", Self.scx], cwd: packageRoot)
        XCTAssertEqual(good.status, 0, good.err)
        XCTAssertTrue(good.err.contains("\(Self.scxHeader): agrees with \(Self.scx)"), good.err)
        let text = try String(contentsOfFile: packageRoot + "/" + Self.scxHeader, encoding: .utf8)
        try replacingOnce(text, "SCX_CTX_DISPATCH = BIT(2),", "SCX_CTX_DISPATCH = BIT(1),")
            .write(toFile: dir + "/scx_kfpolicy.h", atomically: true, encoding: .utf8)
        let bad = try runProcess(bin, ["validate", dir + "/scx_kfpolicy.h", "--policy", Self.scx], cwd: packageRoot)
        XCTAssertEqual(bad.status, 1, bad.err)
        XCTAssertTrue(bad.err.contains("context 'dispatch': SCX_CTX_DISPATCH is 0x00000002 in the header, the policy gives 0x00000004 [KFP902]"), bad.err)
        // gen validates what it writes, and says nothing when all is well.
        let gen = try runProcess(bin, ["gen", Self.scx, "-o", dir + "/gen"], cwd: packageRoot)
        XCTAssertEqual(gen.status, 0, gen.err)
        XCTAssertEqual(gen.err, "")
    }

    /// With Debian's kernel headers instead of the stand-in (scripts/setup.sh installs them).
    func testValidatesAgainstRealKernelHeaders() throws {
        let dirs = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/src")) ?? [])
            .filter { $0.hasPrefix("linux-headers-6.12") && $0.hasSuffix("-amd64") }.sorted()
        let dir = try XCTUnwrap(dirs.last, "no linux-headers-6.12-amd64 under /usr/src: scripts/setup.sh installs it")
        let (r, s, _) = try generateAndValidate(Self.scx, kernelHeaders: "/usr/src/" + dir)
        XCTAssertFalse(r.hasErrors, render(r, s))
        let (broken, s2, _) = try generateAndValidate(Self.scx, edit: {
            self.replacingOnce($0, "BTF_ID_FLAGS(func, scx_bpf_task_cgroup, KF_ACQUIRE | KF_RCU)", "BTF_ID_FLAGS(func, scx_bpf_task_cgroup, KF_RCU)")
        }, kernelHeaders: "/usr/src/" + dir)
        XCTAssertTrue(render(broken, s2).contains("has KF_ flags KF_RCU in set 'scx_kfunc_ids_any'"), render(broken, s2))
        // A mainline header is not validated against 6.12's headers: one clear error, exit 2.
        let out = makeTempDir("validate-release")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r2 = try runProcess(builtKfpolicy, ["gen", "Policies/scx.policy", "-o", out, "--kernel-headers", "/usr/src/" + dir],
                                cwd: packageRoot)
        XCTAssertEqual(r2.status, 2, r2.err)
        XCTAssertTrue(r2.err.contains("are Linux 6.12.") && r2.err.contains("generated for mainline"), r2.err)
        XCTAssertFalse(r2.err.contains("bug in kfpolicy"), r2.err)
    }
}

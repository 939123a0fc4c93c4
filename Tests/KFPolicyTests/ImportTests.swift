import Foundation
import KFPolicy
import KFPolicyRender
import KFPolicyClang
import XCTest

/// `kfpolicy import` on Linux 6.12's sched_ext: the imported policy decides every (callback,
/// kfunc) pair and every program type as Policies/scx-6.12.policy does, it follows the sources
/// (a changed call site changes the policy), and it says what it cannot infer.
final class ImportTests: XCTestCase {
    func importScx(from root: String) throws -> (policy: Policy, text: String, result: ImportResult, sources: SourceManager) {
        let sources = SourceManager()
        let r = try PolicyImporter.importPolicy(kernelSource: root, structName: "sched_ext_ops", name: "scx", sources: sources)
        let c = compileText(r.policyText, path: "imported.policy")
        let rendered = c.diagnostics.sorted.map(DiagnosticRenderer(sources: c.sources, color: false).render).joined()
        XCTAssertFalse(c.diagnostics.hasErrors, "the imported policy must compile:\n\(rendered)\n\(r.policyText)")
        return (c.policy, r.policyText, r, sources)
    }

    /// Every decision of `a` and `b` by name; returns the differences.
    func differences(_ a: Policy, _ b: Policy) -> [String] {
        var out: [String] = []
        XCTAssertEqual(Set(a.callbacks.map(\.name)), Set(b.callbacks.map(\.name)), "callbacks")
        XCTAssertEqual(Set(a.kfuncs.map(\.name)), Set(b.kfuncs.map(\.name)), "kfuncs")
        for (ka, k) in a.kfuncs.enumerated() {
            guard let kb = b.kfunc(named: k.name) else { continue }
            for (ca, c) in a.callbacks.enumerated() {
                guard let cb = b.callback(named: c.name) else { continue }
                let x = a.isAllowed(ka, .callback(ca)), y = b.isAllowed(kb, .callback(cb))
                if x != y { out.append("\(k.name) in ops.\(c.name): \(x) vs \(y)") }
            }
            for t in ProgType.allCases {
                let x = a.isAllowed(ka, .progType(t)), y = b.isAllowed(kb, .progType(t))
                if x != y { out.append("\(k.name) from \(t.rawValue): \(x) vs \(y)") }
            }
        }
        return out
    }

    func testImported612DecidesAsScxPolicy() throws {
        let (imported, text, result, _) = try importScx(from: try kernelSource612())
        let shipped = try compileShipped("Policies/scx-6.12.policy").policy
        let diffs = differences(imported, shipped)
        XCTAssertEqual(diffs, [], text)
        // Every kfunc and callback of scx.policy is there, so every pair was compared.
        XCTAssertEqual(imported.kfuncs.count, shipped.kfuncs.count)
        XCTAssertEqual(imported.callbacks.count, shipped.callbacks.count)
        XCTAssertGreaterThan(shipped.kfuncs.count * (shipped.callbacks.count + ProgType.allCases.count), 1500)
        // Facts that do not change decisions are imported too.
        for k in shipped.kfuncs {
            let i = try XCTUnwrap(imported.kfunc(named: k.name))
            XCTAssertEqual(Set(imported.kfuncs[i].flags), Set(k.flags), k.name)
            XCTAssertEqual(Set(imported.kfuncs[i].sets.map { imported.sets[$0].name }), Set(k.sets.map { shipped.sets[$0].name }), k.name)
        }
        XCTAssertEqual(imported.callbacks.filter(\.sleepable).map(\.name), shipped.callbacks.filter(\.sleepable).map(\.name))
        // It says what it did not infer, with a location in the kernel sources.
        XCTAssertTrue(result.diagnostics.contains { $0.id == .importNotInferred && $0.message.contains("nesting") && !$0.range.isNone })
        XCTAssertTrue(text.contains("// Not inferred by import"), text)
        // Each fact names its source line.
        XCTAssertTrue(text.contains("callback select_cpu: enqueue | select_cpu; // ext.c:"), text)
        XCTAssertTrue(text.contains("allow rq_locked; // 'if (!scx_kf_allowed_on_arg_tasks(__SCX_KF_RQ_LOCKED, p))' at kernel/sched/ext.c:"), text)
        XCTAssertFalse(text.contains(packageRoot), "no machine path in the output")
        // Canonical layout: formatting it changes nothing.
        let file = SourceFile(path: "imported.policy", text: text)
        XCTAssertEqual(Formatter.format(Parser.parse(file, file: 0).0), text)
    }

    /// A copy of the 6.12 files with edits to ext.c.
    func editedTree(_ edits: [(String, String)]) throws -> String {
        let src = try kernelSource612()
        let dir = makeTempDir("import")
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runProcess("/bin/cp", ["-R", src + "/.", dir])
        XCTAssertEqual(r.status, 0, r.err)
        let ext = dir + "/kernel/sched/ext.c"
        var text = try String(contentsOfFile: ext, encoding: .utf8)
        for (old, new) in edits {
            XCTAssertEqual(text.components(separatedBy: old).count, 2, "'\(old)' should occur once in ext.c")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: ext, atomically: true, encoding: .utf8)
        return dir
    }

    /// The `kernel` line comes from the tree's Makefile; without one, import says it could not
    /// tell the release and writes none (the policy is then for mainline).
    func testKernelReleaseFromTheTreesMakefile() throws {
        let withMakefile = try importScx(from: try kernelSource612())
        XCTAssertTrue(withMakefile.text.contains("\nkernel 6.12; // the tree's Makefile\n"), withMakefile.text)
        let dir = try editedTree([])
        try FileManager.default.removeItem(atPath: dir + "/Makefile")
        let without = try importScx(from: dir)
        XCTAssertFalse(without.text.contains("\nkernel "), without.text)
        XCTAssertTrue(without.result.diagnostics.contains {
            $0.message.contains("the kernel's release: no VERSION and PATCHLEVEL in \(dir)/Makefile")
        }, without.result.diagnostics.map(\.message).joined(separator: "\n"))
    }

    func testImportFollowsTheSources() throws {
        let dir = try editedTree([
            // ops.tick now runs in DISPATCH: the dispatch kfuncs become allowed there.
            ("SCX_CALL_OP_TASK(SCX_KF_REST, tick, curr);", "SCX_CALL_OP_TASK(SCX_KF_DISPATCH, tick, curr);"),
            // scx_bpf_reenqueue_local loses its check: allowed everywhere.
            ("if (!scx_kf_allowed(SCX_KF_CPU_RELEASE))\n\t\treturn 0;", "if (0)\n\t\treturn 0;"),
        ])
        let (p, text, _, _) = try importScx(from: dir)
        let shipped = try compileShipped("Policies/scx-6.12.policy").policy
        let diffs = Set(differences(p, shipped))
        XCTAssertTrue(diffs.contains("scx_bpf_consume in ops.tick: true vs false"), "\(diffs)")
        XCTAssertTrue(diffs.contains("scx_bpf_reenqueue_local in ops.tick: true vs false"), "\(diffs)")
        XCTAssertTrue(diffs.contains("scx_bpf_reenqueue_local in ops.enqueue: true vs false"), "\(diffs)")
        XCTAssertFalse(diffs.contains { $0.hasPrefix("scx_bpf_kick_cpu") }, "\(diffs)")
        XCTAssertTrue(text.contains("callback tick: dispatch;"), text)
    }

    func testWhatCannotBeInferredIsReportedWithLocations() throws {
        let dir = try editedTree([
            // No call site names ops.cpu_acquire any more.
            ("SCX_CALL_OP(SCX_KF_REST, cpu_acquire, cpu_of(rq), NULL);", "do_something_else(cpu_of(rq));"),
            // A check used in a way import does not follow.
            ("if (!scx_kf_allowed(SCX_KF_DISPATCH))\n\t\treturn 0;", "bool ok = scx_kf_allowed(SCX_KF_DISPATCH);\n\tif (!ok)\n\t\treturn 0;"),
        ])
        let (p, text, result, sources) = try importScx(from: dir)
        XCTAssertNil(p.callback(named: "cpu_acquire"), "left out, not guessed")
        XCTAssertTrue(text.contains("// callback cpu_acquire: not imported (no call site found)"), text)
        let rendered = result.diagnostics.map(DiagnosticRenderer(sources: sources, color: false).render).joined()
        XCTAssertTrue(rendered.contains("ext.c:\(try lineIn(dir + "/kernel/sched/ext.c", "void (*cpu_acquire)(")):"), rendered)
        XCTAssertTrue(rendered.contains("warning: import: callback 'cpu_acquire': no SCX_CALL_OP"), rendered)
        XCTAssertTrue(rendered.contains("scx_bpf_dispatch_nr_slots(): scx_kf_allowed() is used in a way import does not follow"), rendered)
        XCTAssertTrue(rendered.contains("[KFP850]"), rendered)
    }

    func lineIn(_ path: String, _ s: String) throws -> Int {
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        return (lines.firstIndex { $0.contains(s) } ?? -1) + 1
    }

    /// tcp_congestion_ops has no per-callback context in the sources: one context for every
    /// callback. Its only difference from tcp_cong.policy is get_info, which BPF cannot
    /// implement in 6.12 (a fact import does not read, and says so).
    func testImportWithoutContextsPutsEveryCallbackInOneContext() throws {
        let sources = SourceManager()
        let r = try PolicyImporter.importPolicy(kernelSource: try kernelSource612(), structName: "tcp_congestion_ops", sources: sources)
        let c = compileText(r.policyText, path: "tcp.policy")
        XCTAssertFalse(c.diagnostics.hasErrors, r.policyText)
        let shipped = try compileShipped("Policies/tcp_cong.policy").policy
        let diffs = differences(c.policy, shipped)
        XCTAssertEqual(Set(diffs), Set(shipped.kfuncs.map { "\($0.name) in ops.get_info: true vs false" }), r.policyText)
        XCTAssertTrue(r.diagnostics.contains { $0.message.contains("every callback is put in one context 'any_callback'") && !$0.range.isNone })
    }

    func testUnknownStructIsAnError() throws {
        XCTAssertThrowsError(try PolicyImporter.importPolicy(kernelSource: try kernelSource612(), structName: "sched_ext_opz", sources: SourceManager())) {
            XCTAssertTrue("\($0)".contains("struct sched_ext_opz is not defined"), "\($0)")
        }
    }

    func testImportCommandWritesThePolicy() throws {
        let src = try kernelSource612()
        let bin = builtKfpolicy
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: bin), "kfpolicy is not built at \(bin)")
        let dir = makeTempDir("import-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/scx-imported.policy"
        let r = try runProcess(bin, ["import", "--kernel-src", src, "--struct", "sched_ext_ops", "--name", "scx", "-o", out], cwd: packageRoot)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("warning: import: nesting"), r.err)
        let check = try runProcess(bin, ["check", out], cwd: packageRoot)
        XCTAssertEqual(check.status, 0, check.err)
    }
}

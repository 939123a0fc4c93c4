import Foundation
import KFPolicy
import XCTest

/// The kfpolicy executable: exit statuses, outputs, and the committed Generated/ files.
final class CLITests: XCTestCase {
    var bin: String { kfpolicyBinary }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func mtime(_ path: String) throws -> Date {
        try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
    }

    static let policy = """
        policy demo for struct demo_ops;
        include "inc/ctx.policy";
        callback run: a;
        set ids: struct_ops;
        kfunc k { in ids; allow a; }

        """

    /// Every committed output equals what the generator makes now (the golden check that
    /// `swift test` runs, not only test.sh).
    func testCommittedGeneratedFilesAreFresh() throws {
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            let dir = rel.hasPrefix("Policies/examples/") ? "Generated/examples" : "Generated"
            for g in Generator.outputs(c.policy, path: rel, emit: OutputKind.allCases) {
                let committed = try? String(contentsOfFile: packageRoot + "/\(dir)/\(g.name)", encoding: .utf8)
                XCTAssertEqual(committed, g.contents, "\(dir)/\(g.name) is stale; run kfpolicy gen \(rel)\(dir == "Generated" ? "" : " -o \(dir)")")
            }
        }
    }

    func testGenWritesOnlyWhenChangedAndCheckCatchesStaleOutput() throws {
        let dir = makeTempDir("gen")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir + "/p/demo.policy", Self.policy)
        try write(dir + "/p/inc/ctx.policy", "context a;\n")
        var r = try runProcess(bin, ["gen", "p/demo.policy", "-o", "out", "--depfile", "out/demo.d"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.err)
        let header = dir + "/out/demo_kfpolicy.h"
        let first = try String(contentsOfFile: header, encoding: .utf8)
        XCTAssertTrue(first.contains("from demo.policy: policy demo"), first)
        XCTAssertFalse(first.contains(dir), "no absolute path in output")
        let dep = try String(contentsOfFile: dir + "/out/demo.d", encoding: .utf8)
        XCTAssertEqual(dep, "out/demo_kfpolicy.h: \\\n  p/demo.policy \\\n  p/inc/ctx.policy\n\np/demo.policy:\n\np/inc/ctx.policy:\n")
        // Same input: the file is not rewritten.
        let t0 = try mtime(header)
        Thread.sleep(forTimeInterval: 0.02)
        r = try runProcess(bin, ["gen", "p/demo.policy", "-o", "out"], cwd: dir)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(try mtime(header), t0)
        // --check: fresh passes; a hand edit is caught with a diff.
        XCTAssertEqual(try runProcess(bin, ["gen", "--check", "p/demo.policy", "-o", "out"], cwd: dir).status, 0)
        try write(header, first.replacingOccurrences(of: "DEMO_CTX_A = BIT(0),", with: "DEMO_CTX_A = BIT(1),"))
        r = try runProcess(bin, ["gen", "--check", "p/demo.policy", "-o", "out"], cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("out/demo_kfpolicy.h: stale"), r.err)
        XCTAssertTrue(r.out.contains("-\tDEMO_CTX_A = BIT(1),\n+\tDEMO_CTX_A = BIT(0),"), r.out)
        try FileManager.default.removeItem(atPath: header)
        r = try runProcess(bin, ["gen", "--check", "p/demo.policy", "-o", "out"], cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("missing"), r.err)
    }

    func testGenWritesNothingWhenAPolicyHasErrors() throws {
        let dir = makeTempDir("genbad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir + "/good.policy", "policy good for struct g_ops;\ncontext a;\ncallback x: a;\n")
        try write(dir + "/bad.policy", "policy bad for struct b_ops;\ncontext a;\ncallback x: b;\n")
        try write(dir + "/out/good_kfpolicy.h", "old contents\n")
        let r = try runProcess(bin, ["gen", "good.policy", "bad.policy", "-o", "out"], cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("bad.policy:3:13: error: unknown context or group 'b'"), r.err)
        XCTAssertEqual(try String(contentsOfFile: dir + "/out/good_kfpolicy.h", encoding: .utf8), "old contents\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/bad_kfpolicy.h"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir + "/out")
        XCTAssertEqual(leftovers, ["good_kfpolicy.h"])
    }

    func testExitStatusesAndHelp() throws {
        let scx = packageRoot + "/Policies/scx.policy"
        XCTAssertEqual(try runProcess(bin, ["check", scx]).status, 0)
        XCTAssertEqual(try runProcess(bin, ["check", packageRoot + "/Tests/Invalid/names.policy"]).status, 1)
        XCTAssertEqual(try runProcess(bin, ["check", "/nonexistent/x.policy"]).status, 2)
        XCTAssertEqual(try runProcess(bin, ["check", packageRoot + "/Policies"]).status, 2)
        XCTAssertEqual(try runProcess(bin, ["frobnicate"]).status, 2)
        XCTAssertEqual(try runProcess(bin, ["check"]).status, 2, "missing argument is a usage error")
        let v = try runProcess(bin, ["--version"])
        XCTAssertEqual(v.status, 0)
        XCTAssertEqual(v.out, kfpolicyVersion + "\n")
        for sub in ["check", "fmt", "explain", "gen"] {
            let h = try runProcess(bin, [sub, "--help"])
            XCTAssertEqual(h.status, 0, sub)
            XCTAssertTrue(h.out.contains("USAGE: kfpolicy \(sub)"), h.out)
        }
        // No colour when not on a terminal; colour on request.
        let plain = try runProcess(bin, ["check", packageRoot + "/Tests/Invalid/unused.policy"])
        XCTAssertFalse(plain.err.contains("\u{1B}["))
        let colored = try runProcess(bin, ["check", "--color", "always", packageRoot + "/Tests/Invalid/unused.policy"])
        XCTAssertTrue(colored.err.contains("\u{1B}["))
    }

    func testExplainSaysDeniedAndWhy() throws {
        let r = try runProcess(bin, ["explain", "Policies/scx.policy", "scx_bpf_dsq_move_to_local", "enqueue"], cwd: packageRoot)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.out.hasPrefix("denied: 'scx_bpf_dsq_move_to_local' is not allowed in ops.enqueue"), r.out)
        XCTAssertTrue(r.out.contains("Policies/scx/common.policy:135:11: 'scx_bpf_dsq_move_to_local' may be called in: dispatch"), r.out)
        XCTAssertTrue(r.out.contains("ops.enqueue runs in: enqueue | select_cpu"), r.out)
        let ok = try runProcess(bin, ["explain", "Policies/scx.policy", "scx_bpf_dsq_move_to_local", "ops.dispatch"], cwd: packageRoot)
        XCTAssertEqual(ok.status, 0)
        XCTAssertTrue(ok.out.hasPrefix("allowed:"), ok.out)
        let sys = try runProcess(bin, ["explain", "Policies/scx.policy", "scx_bpf_create_dsq", "syscall"], cwd: packageRoot)
        XCTAssertEqual(sys.status, 0, sys.out)
        let bad = try runProcess(bin, ["explain", "Policies/scx.policy", "scx_bpf_nope", "dispatch"], cwd: packageRoot)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("has no kfunc 'scx_bpf_nope'"))
        // The generic kfuncs of the policy's kernel, as lint checks them (lint's hints name this).
        let generic = try runProcess(bin, ["explain", "Policies/scx.policy", "bpf_cpumask_test_cpu", "dispatch"], cwd: packageRoot)
        XCTAssertEqual(generic.status, 0, generic.err)
        XCTAssertTrue(generic.out.contains("Policies/generic/bpf-mainline.policy:"), generic.out)
        let sleepy = try runProcess(bin, ["explain", "Policies/scx-6.12.policy", "bpf_copy_from_user_str", "running"],
                                    cwd: packageRoot)
        XCTAssertEqual(sleepy.status, 1, sleepy.err)
        XCTAssertTrue(sleepy.out.hasPrefix("denied: 'bpf_copy_from_user_str' requires a sleepable callback"), sleepy.out)
        let without = try runProcess(bin, ["explain", "--no-generic", "Policies/scx.policy", "bpf_cpumask_test_cpu", "dispatch"],
                                     cwd: packageRoot)
        XCTAssertEqual(without.status, 2)
    }

    /// The README's explain example is what the tool prints today.
    func testReadmeExplainExampleIsCurrent() throws {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        let marker = "$ kfpolicy explain Policies/scx.policy scx_bpf_dsq_move_to_local enqueue\n"
        guard let start = readme.range(of: marker), let end = readme.range(of: "```", range: start.upperBound..<readme.endIndex) else {
            return XCTFail("README has no explain example")
        }
        let shown = String(readme[start.upperBound..<end.lowerBound])
        let r = try runProcess(bin, ["explain", "Policies/scx.policy", "scx_bpf_dsq_move_to_local", "enqueue"], cwd: packageRoot)
        XCTAssertEqual(r.out, shown)
    }

    func testFmtCheckAndRewrite() throws {
        let dir = makeTempDir("fmt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir + "/a.policy", "policy a for struct a_ops;context x;  // c\ncallback y:x;\n")
        var r = try runProcess(bin, ["fmt", "--check", "a.policy"], cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("a.policy: not formatted"), r.err)
        r = try runProcess(bin, ["fmt", "a.policy"], cwd: dir)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(try String(contentsOfFile: dir + "/a.policy", encoding: .utf8), "policy a for struct a_ops;\ncontext x; // c\ncallback y: x;\n")
        XCTAssertEqual(try runProcess(bin, ["fmt", "--check", "a.policy"], cwd: dir).status, 0)
        try write(dir + "/b.policy", "policy b for struct b_ops\ncontext ;\n")
        r = try runProcess(bin, ["fmt", "b.policy"], cwd: dir)
        XCTAssertEqual(r.status, 1, "a file with syntax errors is not rewritten")
        XCTAssertEqual(try String(contentsOfFile: dir + "/b.policy", encoding: .utf8), "policy b for struct b_ops\ncontext ;\n")
    }

    func testJSONDiagnostics() throws {
        let r = try runProcess(bin, ["check", "--diagnostics-format", "json", "Tests/Invalid/unused.policy", "Tests/Invalid/cycle.policy"], cwd: packageRoot)
        XCTAssertEqual(r.status, 1)
        let arr = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [[String: Any]]
        XCTAssertEqual(Set(arr.compactMap { $0["id"] as? String }), ["KFP601", "KFP602", "KFP603", "KFP501", "KFP502"])
        XCTAssertTrue(arr.allSatisfy { ($0["file"] as? String)?.hasPrefix("Tests/Invalid/") == true })
    }
}

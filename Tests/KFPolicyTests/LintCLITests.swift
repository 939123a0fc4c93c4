import Foundation
import KFPolicy
import KFPolicyClang
import XCTest

/// `kfpolicy lint` as a command: exit statuses, text and JSON output, compilation databases,
/// and a generated program of about 4,000 lines.
final class LintCLITests: XCTestCase {
    /// The kfpolicy built next to this test bundle (whatever scratch path the build used),
    /// else the default build's.
    var bin: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        for d in [dir, URL(fileURLWithPath: dir).deletingLastPathComponent().path] {
            if FileManager.default.isExecutableFile(atPath: d + "/kfpolicy") { return d + "/kfpolicy" }
        }
        return kfpolicyBinary
    }

    let cases = "Tests/LintCases"
    let policy = "Policies/scx-6.12.policy"

    func lint(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try runProcess(bin, ["lint", "--policy", policy] + args, cwd: packageRoot)
    }

    func testCorrectSchedulerExitsZeroAndPrintsNothing() throws {
        let r = try lint(["\(cases)/vtime_ok/main.bpf.c", "\(cases)/vtime_ok/helpers.bpf.c", "--", "-I", "\(cases)/include"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "")
        XCTAssertEqual(r.out, "")
    }

    func testViolationsExitOneWithChainsAndPolicyNotes() throws {
        let r = try lint(["--color", "never", "\(cases)/violations/violations.bpf.c", "--", "-I", "\(cases)/include"])
        XCTAssertEqual(r.status, 1)
        let text = r.err
        XCTAssertTrue(text.contains("Tests/LintCases/violations/common.h:14:9: error: 'scx_bpf_consume' is not allowed in ops.enqueue (allowed in: dispatch) [KFP701]\n"), text)
        XCTAssertTrue(text.contains("  \treturn scx_bpf_consume(USER_DSQ); // SITE: pull_consume\n  \t       ^~~~~~~~~~~~~~~\n"), text)
        XCTAssertTrue(text.contains(": note: ops.enqueue is 'bad_enqueue' in struct_ops map 'bad_ops'\n"), text)
        XCTAssertTrue(text.contains("violations.bpf.c:23:2: note: 'bad_enqueue' calls 'balance_queues'\n"), text)
        XCTAssertTrue(text.contains("common.h:21:3: note: 'balance_queues' calls 'pull_user_dsq'\n"), text)
        XCTAssertTrue(text.contains("Policies/scx-6.12.policy:177:11: note: 'scx_bpf_consume' may be called in: dispatch\n"), text)
        XCTAssertTrue(text.contains("hint: 'kfpolicy explain Policies/scx-6.12.policy scx_bpf_consume enqueue' shows the rule"), text)
        XCTAssertTrue(text.hasSuffix("8 errors, 0 warnings\n"), text)
        // The same run twice prints the same bytes.
        let again = try lint(["--color", "never", "\(cases)/violations/violations.bpf.c", "--", "-I", "\(cases)/include"])
        XCTAssertEqual(again.err, text)
    }

    func testJSONOutput() throws {
        let r = try lint(["--diagnostics-format", "json", "\(cases)/two_maps/two_maps.bpf.c", "--", "-I", "\(cases)/include"])
        XCTAssertEqual(r.status, 1)
        let parsed = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [[String: Any]]
        XCTAssertEqual(parsed.count, 2)
        for d in parsed {
            XCTAssertEqual(d["id"] as? String, "KFP701")
            XCTAssertEqual(d["file"] as? String, "Tests/LintCases/two_maps/two_maps.bpf.c")
            XCTAssertEqual(d["line"] as? Int, 14)
            let notes = d["notes"] as! [[String: Any]]
            XCTAssertEqual(notes.first?["message"] as? String == nil, false)
            XCTAssertTrue(notes.contains { ($0["file"] as? String) == "Policies/scx-6.12.policy" })
        }
        XCTAssertEqual(parsed.map { $0["message"] as! String }.sorted(), [
            "'scx_bpf_consume' is not allowed in ops.cpu_acquire (allowed in: dispatch)",
            "'scx_bpf_consume' is not allowed in ops.enqueue (allowed in: dispatch)",
        ])
    }

    func testUsageAndIOErrorsExitTwo() throws {
        let missing = try lint(["\(cases)/no/such.bpf.c"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.err.contains("cannot read Tests/LintCases/no/such.bpf.c"), missing.err)
        let none = try lint([])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.err.contains("give the program's C files, or --compile-commands"), none.err)
        let badDB = try lint(["--compile-commands", "\(cases)/nothing.json"])
        XCTAssertEqual(badDB.status, 2)
    }

    func testPolicyWithErrorsIsRefused() throws {
        let dir = makeTempDir("lint-badpolicy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "policy p for struct s;\ncallback a: nosuch;\n".write(toFile: dir + "/bad.policy", atomically: true, encoding: .utf8)
        let r = try runProcess(bin, ["lint", "--policy", dir + "/bad.policy", "\(cases)/fifo_ok/fifo.bpf.c"], cwd: packageRoot)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("has errors; fix them before linting"), r.err)
    }

    func testWarningsAsErrors() throws {
        let args = ["\(cases)/empty/helpers_only.bpf.c", "--", "-I", "\(cases)/include"]
        XCTAssertEqual(try lint(args).status, 0)
        XCTAssertEqual(try lint(["--warnings-as-errors"] + args).status, 1)
    }

    func testCompilationDatabase() throws {
        let dir = makeTempDir("lint-compdb")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = packageRoot + "/" + cases
        let db = """
            [
              {"directory": "\(root)", "file": "violations/violations.bpf.c",
               "arguments": ["clang", "-g", "-O2", "-target", "bpf", "-Iinclude", "-c", "violations/violations.bpf.c", "-o", "\(dir)/v.o"]},
              {"directory": "\(root)", "file": "fifo_ok/fifo.bpf.c",
               "command": "clang -g -O2 -target bpf -Iinclude -MD -MF \(dir)/f.d -c fifo_ok/fifo.bpf.c -o \(dir)/f.o"},
              {"directory": "\(root)", "file": "loader.c", "command": "cc -c loader.c"}
            ]
            """
        try db.write(toFile: dir + "/compile_commands.json", atomically: true, encoding: .utf8)
        // Every .bpf.c entry: the include path comes from the database, relative to its directory.
        let all = try lint(["--compile-commands", dir + "/compile_commands.json", "--diagnostics-format", "json"])
        XCTAssertEqual(all.status, 1, all.err)
        let parsed = try JSONSerialization.jsonObject(with: Data(all.out.utf8)) as! [[String: Any]]
        XCTAssertEqual(parsed.filter { ($0["severity"] as? String) == "error" }.count, 8, all.out)
        // One file named on the command line, found by its path.
        let one = try lint(["--compile-commands", dir, "\(cases)/fifo_ok/fifo.bpf.c"])
        XCTAssertEqual(one.status, 0, one.err)
        let unknown = try lint(["--compile-commands", dir, "\(cases)/two_maps/two_maps.bpf.c"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.err.contains("no compile command for"), unknown.err)
    }

    /// The generated ~4,000-line program (scripts/bench-lint.sh) gets exactly its one seeded
    /// finding, with its chain, in reasonable time even in a debug build.
    func testGeneratedProgramAtScale() throws {
        let dir = makeTempDir("lint-scale")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gen = try runProcess("/usr/bin/env", ["bash", packageRoot + "/scripts/bench-lint.sh", "--generate", dir], cwd: packageRoot)
        XCTAssertEqual(gen.status, 0, gen.err)
        let lines = try String(contentsOfFile: dir + "/big.bpf.c", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count
        XCTAssertGreaterThan(lines, 3900)
        let sources = SourceManager()
        let c = try Compilation.compile(path: packageRoot + "/" + policy, sources: sources)
        let start = Date()
        let report = try Linter.lint([LintInput(path: dir + "/big.bpf.c", arguments: ["-I", packageRoot + "/" + cases + "/include"])],
                                     policy: c.policy, policyPath: policy, sources: sources)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(report.findings.map { $0.chain.joined(separator: " -> ") },
                       ["m13_ops.enqueue -> m13_enqueue -> m13_refill -> scx_bpf_consume"],
                       report.diagnostics.map(\.message).joined(separator: "\n"))
        XCTAssertLessThan(seconds, 10, "lint of \(lines) lines took \(seconds) s")
    }
}

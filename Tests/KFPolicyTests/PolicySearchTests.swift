import Foundation
import KFPolicy
import KFPolicyRender
import XCTest

/// Runs kfpolicy with an environment of its own and, optionally, standard input; standard
/// output and error go through files, so neither can fill a pipe.
func runKfpolicy(_ args: [String], cwd: String, environment: [String: String] = [:], stdin: String? = nil) throws
    -> (status: Int32, out: String, err: String) {
    let dir = makeTempDir("run")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for f in ["in", "out", "err"] { _ = FileManager.default.createFile(atPath: dir + "/" + f, contents: nil) }
    try (stdin ?? "").write(toFile: dir + "/in", atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: kfpolicyBinary)
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    p.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
    p.standardInput = FileHandle(forReadingAtPath: dir + "/in")
    p.standardOutput = FileHandle(forWritingAtPath: dir + "/out")
    p.standardError = FileHandle(forWritingAtPath: dir + "/err")
    try p.run()
    p.waitUntilExit()
    return (p.terminationStatus, try String(contentsOfFile: dir + "/out", encoding: .utf8),
            try String(contentsOfFile: dir + "/err", encoding: .utf8))
}

/// `--policy scx`, `scx@6.12`: policies by name, searched in a documented order.
final class PolicySearchTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = makeTempDir("search") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ rel: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (dir + "/" + rel as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: dir + "/" + rel, atomically: true, encoding: .utf8)
    }

    static let small = "policy mine for struct mine_ops;\ncontext a;\ncallback run: a;\nset ids: struct_ops;\n"
        + "kfunc k {\n    in ids;\n    allow a;\n}\n"

    /// A binary built in a checkout finds the checkout's Policies/, from any directory.
    func testCheckoutPoliciesByName() throws {
        for name in ["scx", "scx@6.12", "tcp_cong"] {
            let r = try runKfpolicy(["check", name], cwd: dir)
            XCTAssertEqual(r.status, 0, "\(name): \(r.err)")
        }
        let explain = try runKfpolicy(["explain", "scx@6.12", "scx_bpf_consume", "dispatch"], cwd: dir)
        XCTAssertEqual(explain.status, 0, explain.err)
        XCTAssertTrue(explain.out.contains("Policies/scx-6.12.policy:"), explain.out)
        let lint = try runKfpolicy(["lint", "--policy", "scx@6.12", "--color", "never",
            "Tests/LintCases/two_maps/two_maps.bpf.c",
                                    "--", "-I", "Tests/LintCases/include"], cwd: packageRoot)
        XCTAssertEqual(lint.status, 1, lint.err)
        XCTAssertTrue(lint.err.contains("[KFP701]"), lint.err)
        XCTAssertTrue(lint.err.contains("hint: 'kfpolicy explain scx@6.12 scx_bpf_consume enqueue' shows the rule"),
            lint.err)
        let gen = try runKfpolicy(["gen", "scx@6.12", "-o", "out"], cwd: dir)
        XCTAssertEqual(gen.status, 0, gen.err)
        XCTAssertEqual(try String(contentsOfFile: dir + "/out/scx-6.12_kfpolicy.h", encoding: .utf8),
                       try String(contentsOfFile: packageRoot + "/Generated/scx-6.12_kfpolicy.h", encoding: .utf8))
        for args in [["graph", "scx@6.12"], ["matrix", "tcp_cong"]] {
            XCTAssertEqual(try runKfpolicy(args, cwd: dir).status, 0, "\(args)")
        }
        // diff takes names on both sides: 6.12 against mainline changes something.
        let diff = try runKfpolicy(["diff", "scx@6.12", "scx", "--fail-on", "none"], cwd: dir)
        XCTAssertEqual(diff.status, 0, diff.err)
        XCTAssertTrue(diff.out.contains("Policies/scx-6.12.policy -> "), diff.out)
    }

    /// $KFPOLICY_POLICY_PATH comes first, its directories in order; a path is always a path.
    func testSearchOrderAndPaths() throws {
        try write("a/mine.policy", Self.small)
        try write("b/mine-1.0.policy", Self.small)
        try write("a/scx.policy", "policy broken_on_purpose for struct x;\ncallback c: nothing;\n")
        let env = ["KFPOLICY_POLICY_PATH": dir + "/a:" + dir + "/missing:" + dir + "/b"]
        XCTAssertEqual(try runKfpolicy(["check", "mine", "mine@1.0"], cwd: dir, environment: env).status, 0)
        // The environment's scx shadows the checkout's.
        let shadowed = try runKfpolicy(["check", "scx", "--color", "never"], cwd: dir, environment: env)
        XCTAssertEqual(shadowed.status, 1, shadowed.err)
        XCTAssertTrue(shadowed.err.contains(dir + "/a/scx.policy:2:"), shadowed.err)
        // A file by that name in the current directory is a path, not a name.
        try write("mine", "not a policy\n")
        let path = try runKfpolicy(["check", "mine", "--color", "never"], cwd: dir, environment: env)
        XCTAssertEqual(path.status, 1, path.err)
        XCTAssertTrue(path.err.hasPrefix("mine:1:"), path.err)
    }

    func testUnknownNameListsTheSearchPath() throws {
        try write("a/mine.policy", Self.small)
        let r = try runKfpolicy(["check", "scx@9.9"], cwd: dir, environment: ["KFPOLICY_POLICY_PATH": dir + "/a"])
        XCTAssertEqual(r.status, 2)
        let checkout = packageRoot + "/Policies"
        XCTAssertTrue(r.err.contains("no policy named 'scx@9.9' (scx-9.9.policy) in \(dir)/a ($KFPOLICY_POLICY_PATH), "
            + "\(checkout) (kfpolicy checkout); known names: mine, scx, scx@6.12, scx_cid, tcp_cong"), r.err)
        let bad = try runKfpolicy(["check", "a@"], cwd: dir)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("not a policy name (NAME or NAME@VERSION)"), bad.err)
        let missingPath = try runKfpolicy(["check", "sub/none.policy"], cwd: dir)
        XCTAssertEqual(missingPath.status, 2)
        XCTAssertTrue(missingPath.err.contains("cannot read sub/none.policy: No such file or directory"),
            missingPath.err)
    }
}

/// `fmt -` for editors, and `graph` of a policy with a cycle.
final class FmtStdinAndGraphCycleTests: XCTestCase {
    func testFmtReadsStandardInput() throws {
        let messy = "policy a for struct b;\ncontext   x ;\ncallback c:x;\n"
        let r = try runKfpolicy(["fmt", "-"], cwd: packageRoot, stdin: messy)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "policy a for struct b;\ncontext x;\ncallback c: x;\n")
        XCTAssertEqual(try runKfpolicy(["fmt", "-"], cwd: packageRoot, stdin: r.out).out, r.out, "idempotent")
        XCTAssertEqual(try runKfpolicy(["fmt", "--check", "-"], cwd: packageRoot, stdin: messy).status, 1)
        XCTAssertEqual(try runKfpolicy(["fmt", "--check", "-"], cwd: packageRoot, stdin: r.out).status, 0)
        let broken = try runKfpolicy(["fmt", "-", "--stdin-name", "x.policy", "--color", "never"], cwd: packageRoot,
                                     stdin: "policy a for struct b;\ncontext x\n")
        XCTAssertEqual(broken.status, 1)
        XCTAssertEqual(broken.out, "", "nothing is written on a syntax error")
        XCTAssertTrue(broken.err.hasPrefix("x.policy:2:"), broken.err)
        XCTAssertEqual(try runKfpolicy(["fmt", "-", "Policies/scx.policy"], cwd: packageRoot).status, 2)
    }

    /// Edges on a cycle, and only they, are bold red and labelled.
    static func cycleEdges(_ dot: String) -> Set<String> {
        Set(dot.split(separator: "\n").filter { $0.contains("label=\" cycle: ") }.map {
            $0.trimmingCharacters(in: .whitespaces).components(separatedBy: " [")[0]
        })
    }

    func testGraphMarksTheCycleAndExitsOne() throws {
        let r = try runKfpolicy(["graph", "Tests/Invalid/cycle.policy", "--color", "never"], cwd: packageRoot)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("[KFP501]"), r.err)
        XCTAssertEqual(Self.cycleEdges(r.out), ["\"cb_enqueue\" -> \"kf_kick\"", "\"kf_kick\" -> \"cb_dispatch\"",
                                                "\"cb_dispatch\" -> \"kf_consume\"",
                                                    "\"kf_consume\" -> \"cb_enqueue\""])
        XCTAssertTrue(r.out.contains("penwidth=3"), r.out)
        let dir = makeTempDir("graph-cycle")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let svg = try runKfpolicy(["graph", "Tests/Invalid/cycle.policy", "--format", "svg", "-o", dir + "/c.svg"],
            cwd: packageRoot)
        XCTAssertEqual(svg.status, 1)
        XCTAssertTrue(try String(contentsOfFile: dir + "/c.svg", encoding: .utf8).contains("cycle: invokes"))
        // Other errors still refuse to draw.
        let other = try runKfpolicy(["graph", "Tests/Invalid/names.policy"], cwd: packageRoot)
        XCTAssertEqual(other.status, 1)
        XCTAssertEqual(other.out, "")
    }

    /// Only the edges of the cycle: an edge into it, and one out of it, are drawn as before.
    func testOnlyCycleEdgesAreMarked() throws {
        let c = compileText("""
            policy cyc for struct demo_ops;
            nesting per_instance;
            context enq;
            context disp;
            context other;
            context late;
            callback enqueue: enq;
            callback dispatch: disp;
            callback outside: other;
            callback after: late;
            nest outside -> enqueue;
            nest dispatch -> after;
            set s: struct_ops;
            kfunc kick {
                in s;
                allow enq;
                invokes dispatch;
            }
            kfunc consume {
                in s;
                allow disp;
                invokes enqueue;
            }

            """)
        XCTAssertFalse(c.diagnostics.hasErrors, "\(c.diagnostics.sorted.map(\.message))")
        let dot = GraphRenderer.dot(c.policy)
        XCTAssertEqual(Self.cycleEdges(dot), ["\"cb_enqueue\" -> \"kf_kick\"", "\"kf_kick\" -> \"cb_dispatch\"",
                                              "\"cb_dispatch\" -> \"kf_consume\"", "\"kf_consume\" -> \"cb_enqueue\""])
        XCTAssertTrue(dot.contains("\"cb_outside\" -> \"cb_enqueue\" [color=\"#cf222e\", style=dashed"), dot)
        XCTAssertTrue(dot.contains("\"cb_dispatch\" -> \"cb_after\" [color=\"#cf222e\", style=dashed"), dot)
        // Callbacks are nodes 0..<4 in declaration order: enqueue and dispatch share a component.
        let component = NestingGraph(c.policy).components()
        XCTAssertEqual(component[0], component[1])
        XCTAssertEqual(Set([component[0], component[2], component[3]]).count, 3)
    }
}

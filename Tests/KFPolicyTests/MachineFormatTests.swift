import Foundation
import KFPolicy
import KFPolicyRender
import XCTest

/// `--format sarif` and `--format github` of `check`, `lint` and `diff`: SARIF logs validated
/// against the official SARIF 2.1.0 schema by a real validator, annotations parsed back.
final class MachineFormatTests: XCTestCase {
    let lintCases = "Tests/LintCases"

    func kfpolicy(_ args: [String], cwd: String = packageRoot) throws -> (status: Int32, out: String, err: String) {
        try runProcess(diffToolBinary, args, cwd: cwd)
    }

    /// Runs scripts/validate-sarif.py (Debian's python3-jsonschema) on the logs; fails with the
    /// validator's report. A missing validator is a failure, not a skip.
    func assertValidSarif(_ logs: [String: String], file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = makeTempDir("sarif")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var paths: [String] = []
        for (name, text) in logs.sorted(by: { $0.key < $1.key }) {
            try text.write(toFile: dir + "/" + name + ".sarif", atomically: true, encoding: .utf8)
            paths.append(dir + "/" + name + ".sarif")
        }
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"),
            "/usr/bin/python3 is missing (scripts/setup.sh)",
                      file: file, line: line)
        let r = try runProcess("/usr/bin/python3", ["scripts/validate-sarif.py",
            "Tests/Schemas/sarif-schema-2.1.0.json"] + paths,
                               cwd: packageRoot)
        XCTAssertEqual(r.status, 0, "SARIF not valid:\n" + r.out + r.err, file: file, line: line)
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    func results(_ log: [String: Any]) -> [[String: Any]] {
        ((log["runs"] as! [[String: Any]])[0]["results"] as! [[String: Any]])
    }

    func testSarifOfABadPolicyOfALintedProgramAndOfADiffValidate() throws {
        let check = try kfpolicy(["check", "Tests/Invalid/cycle.policy", "Tests/Invalid/includes.policy",
            "Tests/Invalid/names.policy", "--format", "sarif"])
        XCTAssertEqual(check.status, 1, check.err)
        let lint = try kfpolicy(["lint", "--policy", "Policies/scx-6.12.policy", "--format", "sarif",
                                 "\(lintCases)/violations/violations.bpf.c", "--", "-I", "\(lintCases)/include"])
        XCTAssertEqual(lint.status, 1, lint.err)
        let diff = try kfpolicy(["diff", "--format", "sarif", "Tests/DiffCases/mixed-review/old.policy",
                                 "Tests/DiffCases/mixed-review/new.policy"])
        XCTAssertEqual(diff.status, 6, diff.err)
        let clean = try kfpolicy(["check", "Policies/tcp_cong.policy", "--format", "sarif"])
        XCTAssertEqual(clean.status, 0, clean.err)
        try assertValidSarif(["check": check.out, "lint": lint.out, "diff": diff.out, "clean": clean.out])
        // A broken log is refused: the validator can fail.
        try assertValidSarifFails(check.out.replacingOccurrences(of: "\"level\": \"error\"",
            with: "\"level\": \"fatal\""))
        XCTAssertTrue(results(try json(clean.out)).isEmpty)
    }

    func assertValidSarifFails(_ text: String) throws {
        let dir = makeTempDir("sarif-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try text.write(toFile: dir + "/bad.sarif", atomically: true, encoding: .utf8)
        let r = try runProcess("/usr/bin/python3", ["scripts/validate-sarif.py",
            "Tests/Schemas/sarif-schema-2.1.0.json", dir + "/bad.sarif"],
                               cwd: packageRoot)
        XCTAssertEqual(r.status, 1, r.out + r.err)
        XCTAssertTrue(r.out.contains("'fatal' is not one of"), r.out)
    }

    /// Every diagnostic is one result at its own place, with its notes as related locations,
    /// the same as the JSON format says.
    func testSarifResultsAreTheDiagnostics() throws {
        let args = ["check", "Tests/Invalid/cycle.policy"]
        let sarif = try json(try kfpolicy(args + ["--format", "sarif"]).out)
        let plain = try JSONSerialization.jsonObject(with: Data(try kfpolicy(args + ["--format",
            "json"]).out.utf8)) as! [[String: Any]]
        let rs = results(sarif)
        XCTAssertEqual(rs.count, plain.count)
        XCTAssertEqual(sarif["version"] as? String, "2.1.0")
        let tool = (sarif["runs"] as! [[String: Any]])[0]["tool"] as! [String: Any]
        let rules = (tool["driver"] as! [String: Any])["rules"] as! [[String: Any]]
        XCTAssertEqual(rules.map { $0["id"] as! String }, ["KFP501", "KFP502"])
        for (r, d) in zip(rs, plain) {
            XCTAssertEqual(r["ruleId"] as? String, d["id"] as? String)
            XCTAssertEqual(rules[r["ruleIndex"] as! Int]["id"] as? String, d["id"] as? String)
            XCTAssertEqual(r["level"] as? String, "error")
            let loc = ((r["locations"] as! [[String: Any]])[0]["physicalLocation"] as! [String: Any])
            let region = loc["region"] as! [String: Int]
            XCTAssertEqual(region["startLine"], d["line"] as? Int)
            XCTAssertEqual(region["startColumn"], d["column"] as? Int)
            XCTAssertEqual((loc["artifactLocation"] as! [String: String])["uri"], "Tests/Invalid/cycle.policy")
            XCTAssertEqual((r["relatedLocations"] as? [Any])?.count ?? 0, (d["notes"] as! [Any]).count)
            XCTAssertTrue(((r["message"] as! [String: String])["text"]!).hasPrefix(d["message"] as! String))
        }
    }

    func testSarifColumnsCountCodePointsAndURIsAreEscaped() throws {
        let sources = SourceManager()
        let text = "// é\ncontext é;\n"
        let id = sources.add(SourceFile(path: "dir with space/HEAD:x.policy", text: text))
        let start = Array(text.utf8).count - 4 // the 2-byte é before ";\n"
        let d = Diagnostic(.error, .invalidCharacter, "bad", at: SourceRange(file: id, start: start, end: start + 2))
        let log = try json(SarifRenderer.diagnostics([d], sources: sources))
        let loc = ((results(log)[0]["locations"] as! [[String: Any]])[0]["physicalLocation"] as! [String: Any])
        XCTAssertEqual(loc["region"] as! [String: Int], ["startLine": 2, "startColumn": 9, "endLine": 2,
            "endColumn": 10])
        XCTAssertEqual((loc["artifactLocation"] as! [String: String])["uri"], "dir%20with%20space/HEAD%3Ax.policy")
        XCTAssertEqual(uriReference(forPath: "/abs/p.policy"), "file:///abs/p.policy")
        try assertValidSarif(["escaped": SarifRenderer.diagnostics([d], sources: sources)])
    }

    func testDiffSarifLevelsFollowFailOn() throws {
        let sides = ["Tests/DiffCases/mixed-review/old.policy", "Tests/DiffCases/mixed-review/new.policy"]
        func levels(_ failOn: String) throws -> [String: Set<String>] {
            let r = try kfpolicy(["diff", "--format", "sarif", "--fail-on", failOn] + sides)
            var out: [String: Set<String>] = [:]
            for res in results(try json(r.out)) {
                out[(res["properties"] as! [String: String])["impact"]!, default: []].insert(res["level"] as! String)
            }
            return out
        }
        XCTAssertEqual(try levels("any"), ["widening": ["error"], "narrowing": ["error"], "other": ["note"]])
        XCTAssertEqual(try levels("narrowing"), ["widening": ["warning"], "narrowing": ["error"], "other": ["note"]])
        XCTAssertEqual(try levels("none"), ["widening": ["warning"], "narrowing": ["warning"], "other": ["note"]])
    }

    /// `::error file=...,line=...,col=...,title=KFPxxx::message`, one line per diagnostic, with
    /// GitHub's escapes.
    func testGitHubAnnotations() throws {
        let r = try kfpolicy(["check", "Tests/Invalid/cycle.policy", "--format", "github"])
        XCTAssertEqual(r.status, 1)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, r.out)
        XCTAssertTrue(lines[1].hasPrefix("::error file=Tests/Invalid/cycle.policy,line=11,col=11,"
            + "endLine=11,endColumn=14,"
            + "title=KFP501::"
            + "nesting graph is not a DAG: ops.enqueue -> kick"), lines[1])
        XCTAssertTrue(lines[1].contains("%0Anote: Tests/Invalid/cycle.policy:12:5: 'kick' invokes ops.dispatch%0A"),
            lines[1])
        XCTAssertTrue(lines[1].hasSuffix("%0Ahint: remove one of the 'invokes', 'nest' or 'allow' facts on this path"),
            lines[1])

        let sources = SourceManager()
        let id = sources.add(SourceFile(path: "a,b:c.policy", text: "context x;\n"))
        let w = Diagnostic(.warning, .unusedContext, "100% unused\r\nreally", at: SourceRange(file: id, start: 8,
            end: 9))
        XCTAssertEqual(GitHubAnnotations.diagnostics([w], sources: sources),
                       "::warning file=a%2Cb%3Ac.policy,line=1,col=9,endLine=1,endColumn=10,title=KFP601::"
                        + "100%25 unused%0D%0Areally\n")

        let lint = try kfpolicy(["lint", "--policy", "Policies/scx-6.12.policy", "--format", "github",
                                 "\(lintCases)/two_maps/two_maps.bpf.c", "--", "-I", "\(lintCases)/include"])
        XCTAssertEqual(lint.status, 1, lint.err)
        XCTAssertTrue(lint.out.hasPrefix("::error file=Tests/LintCases/two_maps/two_maps.bpf.c,line=14,col=9,"),
            lint.out)
        XCTAssertTrue(lint.out.contains("title=KFP701::'scx_bpf_consume' is not allowed in ops.enqueue"), lint.out)

        let diff = try kfpolicy(["diff", "--format", "github", "--fail-on", "narrowing",
                                 "Tests/DiffCases/mixed-review/old.policy", "Tests/DiffCases/mixed-review/new.policy"])
        XCTAssertEqual(diff.status, 5)
        XCTAssertTrue(diff.out.contains("::error file=Tests/DiffCases/mixed-review/new.policy,line=45,col=11,"
            + "title=narrowing call-denied (policy demo)::'demo_insert' is now denied in ops.select_cpu%0A"), diff.out)
        let mixed = "::%@ file=Tests/DiffCases/mixed-review/new.policy,"
        XCTAssertTrue(diff.out.contains(mixed.replacingOccurrences(of: "%@", with: "warning")
            + "line=38,col=11,title=widening call-allowed"), diff.out)
        XCTAssertTrue(diff.out.contains(mixed.replacingOccurrences(of: "%@", with: "notice")
            + "line=73,col=7,title=other doc-changed"),
                      diff.out)
        // A renamed kfunc is a narrowing that counts as a widening too: it fails either gate.
        let renamed = try kfpolicy(["diff", "--format", "github", "--fail-on", "widening",
                                    "Tests/DiffCases/rename-declared/old.policy",
                                        "Tests/DiffCases/rename-declared/new.policy"])
        XCTAssertTrue(renamed.out.hasPrefix("::error file=Tests/DiffCases/rename-declared/new.policy,line=73,col=7,"
            + "title=narrowing kfunc-renamed (policy demo)::"), renamed.out)
        XCTAssertTrue(renamed.out.contains("::warning file=Tests/DiffCases/rename-declared/new.policy,line=75,col=11,"
            + "title=narrowing call-denied"), renamed.out)
    }

    /// `diff --git REV` that finds no policy is an error unless --allow-empty says it is fine.
    func testDiffGitWithNoPolicyIsAnError() throws {
        let dir = makeTempDir("diff-empty")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "hello\n".write(toFile: dir + "/README", atomically: true, encoding: .utf8)
        for args in [["init", "-q"], ["add", "."], ["commit", "-q", "-m", "v1"]] {
            let g = try runProcess("/usr/bin/env", ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                                                    "-c", "commit.gpgsign=false"] + args, cwd: dir)
            XCTAssertEqual(g.status, 0, g.err)
        }
        let r = try kfpolicy(["diff", "--git", "HEAD"], cwd: dir)
        XCTAssertEqual(r.status, 2, r.out + r.err)
        XCTAssertTrue(r.err.contains("no *.policy file in Policies at HEAD or in the working tree"), r.err)
        let allowed = try kfpolicy(["diff", "--git", "HEAD", "--allow-empty"], cwd: dir)
        XCTAssertEqual(allowed.status, 0, allowed.err)
        XCTAssertTrue(allowed.out.contains("note: no *.policy file in Policies at HEAD"), allowed.out)
    }
}

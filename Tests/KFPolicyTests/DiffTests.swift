import Foundation
import KFPolicy
import XCTest

/// The kfpolicy built next to this test bundle (whatever scratch path the build used), else
/// the default build's.
var diffToolBinary: String {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    for d in [dir, URL(fileURLWithPath: dir).deletingLastPathComponent().path] {
        if FileManager.default.isExecutableFile(atPath: d + "/kfpolicy") { return d + "/kfpolicy" }
    }
    return kfpolicyBinary
}

/// The diff corpus (Tests/DiffCases): each case is an old and a new policy (`old.policy` and
/// `new.policy`, or `old/main.policy` and `new/main.policy` with includes) and the expected
/// report (`expected.txt`, and `expected.md` / `expected.json` where present). Run with
/// KFPOLICY_RECORD_DIFF=1 to rewrite the expected files; a recording run fails on purpose.
final class DiffCorpusTests: XCTestCase {
    static let corpus = packageRoot + "/Tests/DiffCases"
    static var recording: Bool { ProcessInfo.processInfo.environment["KFPOLICY_RECORD_DIFF"] == "1" }

    static func cases() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: corpus).filter {
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: corpus + "/" + $0, isDirectory: &dir) && dir.boolValue
        }.sorted()
    }

    /// One side of a case, with paths shown relative to the corpus.
    static func load(_ name: String, _ side: String) throws -> Compilation {
        let dir = corpus + "/" + name
        let flat = dir + "/\(side).policy"
        let path = FileManager.default.fileExists(atPath: flat) ? flat : dir + "/\(side)/main.policy"
        let prefix = corpus + "/"
        return try Compilation.compile(path: path).relabeled { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
    }

    /// The text report of a case, or the errors of the side that has them.
    static func report(_ name: String) throws -> (text: String, diff: SemanticDiff?) {
        let old = try load(name, "old"), new = try load(name, "new")
        for (side, c) in [("old", old), ("new", new)] where c.diagnostics.hasErrors {
            let r = DiagnosticRenderer(sources: c.sources, color: false)
            return ("error: the \(side) side has errors; no semantic diff\n" + c.diagnostics.sorted.filter { $0.severity == .error }.map(r.render).joined(), nil)
        }
        let d = SemanticDiff.compare(old: old, new: new)
        return (DiffRenderer.text([d]), d)
    }

    func testEveryCaseGivesItsExpectedReport() throws {
        let names = try Self.cases()
        XCTAssertGreaterThanOrEqual(names.count, 30)
        var recorded: [String] = []
        for name in names {
            let dir = Self.corpus + "/" + name
            let (text, diff) = try Self.report(name)
            var outputs = [("expected.txt", text)]
            if let diff {
                outputs.append(("expected.md", DiffRenderer.markdown([diff])))
                outputs.append(("expected.json", DiffRenderer.json([diff])))
            }
            for (file, actual) in outputs {
                let path = dir + "/" + file
                let exists = FileManager.default.fileExists(atPath: path)
                if file != "expected.txt" && !exists { continue }
                if Self.recording {
                    try actual.write(toFile: path, atomically: true, encoding: .utf8)
                    recorded.append("\(name)/\(file)")
                    continue
                }
                let expected = try String(contentsOfFile: path, encoding: .utf8)
                XCTAssertEqual(actual, expected, "\(name)/\(file) differs; rerun with KFPOLICY_RECORD_DIFF=1 and review 'git diff Tests/DiffCases'")
            }
        }
        if Self.recording { XCTFail("recorded \(recorded.count) expected files; unset KFPOLICY_RECORD_DIFF and run again") }
    }

    /// Every widening and every narrowing kind appears in some case, and the case named after a
    /// kind reports it with that impact.
    func testEveryWideningAndNarrowingKindIsCaught() throws {
        var seen: [PolicyChange.Kind: [String]] = [:]
        for name in try Self.cases() {
            guard let d = try Self.report(name).diff else { continue }
            for c in d.changes { seen[c.kind, default: []].append(name) }
        }
        for kind in PolicyChange.Kind.allCases where kind.impact != .other {
            XCTAssertNotNil(seen[kind], "no diff case reports \(kind.rawValue)")
        }
        // Each widen-*/narrow-* case has exactly the impact its name says.
        for name in try Self.cases() {
            guard let d = try Self.report(name).diff else { continue }
            if name.hasPrefix("widen-") { XCTAssertTrue(d.hasWidenings && !d.hasNarrowings, name) }
            if name.hasPrefix("narrow-") { XCTAssertTrue(d.hasNarrowings && !d.hasWidenings, name) }
            if name == "rename-kfunc" || name == "rename-declared" {
                XCTAssertTrue(d.hasWidenings && d.hasNarrowings, "a renamed kfunc narrows its old name and widens its new one: \(name)")
            } else if name.hasPrefix("rename-") || name.hasPrefix("reformat") || name.hasPrefix("comment") || name.hasPrefix("include-moved") {
                XCTAssertFalse(d.hasWidenings || d.hasNarrowings, name)
            }
        }
    }

    func testReformatCommentAndMovedIncludeCasesAreNoChange() throws {
        for name in ["reformat-only", "comment-only", "include-moved"] {
            let d = try XCTUnwrap(Self.report(name).diff, name)
            XCTAssertTrue(d.isEmpty, "\(name): \(d.changes.map(\.summary))")
            XCTAssertTrue(d.cells.isEmpty, name)
        }
    }

    func testRenamesAreDetectedNotRemovedAndAdded() throws {
        let expect: [(String, KeyPath<Renames, [String: String]>, String, String)] = [
            ("rename-kfunc", \.kfuncs, "demo_kick", "demo_kick_cpu"),
            ("rename-callback", \.callbacks, "tick", "task_tick"),
            ("rename-context", \.contexts, "rest", "other"),
            ("rename-set", \.sets, "demo_ids_any", "demo_ids_common"),
        ]
        for (name, path, o, n) in expect {
            let d = try XCTUnwrap(Self.report(name).diff)
            XCTAssertEqual(d.renames[keyPath: path], [o: n], name)
            XCTAssertEqual(d.changes.map(\.kind), [name == "rename-kfunc" ? .kfuncRenamed : .renamed], name)
        }
    }

    func testNestingCycleOnTheNewSideIsAnError() throws {
        let (text, diff) = try Self.report("cycle-on-new-side")
        XCTAssertNil(diff)
        XCTAssertTrue(text.contains("the new side has errors"))
        XCTAssertTrue(text.contains("[KFP501]"))
    }

    /// Swapping the sides swaps widenings and narrowings, one for one.
    func testReversedDiffSwapsWideningsAndNarrowings() throws {
        for name in try Self.cases() {
            let old = try Self.load(name, "old"), new = try Self.load(name, "new")
            if old.diagnostics.hasErrors || new.diagnostics.hasErrors { continue }
            let f = SemanticDiff.compare(old: old, new: new), b = SemanticDiff.compare(old: new, new: old)
            XCTAssertEqual(f.widenings.count, b.narrowings.count, name)
            XCTAssertEqual(f.narrowings.count, b.widenings.count, name)
            XCTAssertEqual(f.cells.count, b.cells.count, name)
        }
    }

    /// The changed cells are exactly the (kfunc, caller) pairs whose verdict differs, computed
    /// here by brute force from the decision function by name.
    func testChangedCellsAreExactlyTheChangedVerdicts() throws {
        for name in try Self.cases() {
            let old = try Self.load(name, "old"), new = try Self.load(name, "new")
            if old.diagnostics.hasErrors || new.diagnostics.hasErrors { continue }
            let d = SemanticDiff.compare(old: old, new: new)
            let op = old.policy, np = new.policy
            func oldName(_ n: String, _ m: [String: String]) -> String { m.first { $0.value == n }?.key ?? n }
            var expected = Set<String>()
            let kfuncs = Set(np.kfuncs.map(\.name) + op.kfuncs.map { d.renames.kfuncs[$0.name] ?? $0.name })
            let callbacks = Set(np.callbacks.map(\.name) + op.callbacks.map { d.renames.callbacks[$0.name] ?? $0.name })
            for k in kfuncs {
                let ok = op.kfunc(named: oldName(k, d.renames.kfuncs)), nk = np.kfunc(named: k)
                for c in callbacks {
                    let oc = op.callback(named: oldName(c, d.renames.callbacks)), nc = np.callback(named: c)
                    let a = ok != nil && oc != nil && op.isAllowed(ok!, .callback(oc!))
                    let b = nk != nil && nc != nil && np.isAllowed(nk!, .callback(nc!))
                    if a != b { expected.insert("\(k) ops.\(c)") }
                }
                for t in ProgType.allCases where t != .struct_ops {
                    let a = ok.map { op.isAllowed($0, .progType(t)) } ?? false
                    let b = nk.map { np.isAllowed($0, .progType(t)) } ?? false
                    if a != b { expected.insert("\(k) \(t.rawValue)") }
                }
            }
            XCTAssertEqual(Set(d.cells.map { "\($0.kfunc) \($0.caller)" }), expected, name)
            // Every call-allowed/denied change is one changed cell of an existing pair.
            let calls = d.changes.filter { $0.kind == .callAllowed || $0.kind == .callDenied }
            XCTAssertLessThanOrEqual(calls.count, expected.count, name)
        }
    }

    /// Every shipped policy compared with itself, and with its formatted text, is no change.
    func testShippedPoliciesAgainstThemselvesAndTheirFormattingAreNoChange() throws {
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            XCTAssertTrue(SemanticDiff.compare(old: c, new: c).isEmpty, rel)
            let tree = try XCTUnwrap(c.rootSyntax)
            let text = Formatter.format(tree)
            let dir = (packageRoot + "/" + rel).split(separator: "/").dropLast().joined(separator: "/")
            let f = Compilation.compile(path: "/" + dir + "/formatted.policy", bytes: Array(text.utf8))
            XCTAssertFalse(f.diagnostics.hasErrors, rel)
            XCTAssertTrue(SemanticDiff.compare(old: c, new: f).isEmpty, rel)
        }
    }

    /// The issue's "done when": widening scx.policy shows as a widening with both sides'
    /// locations.
    func testWideningScxNamesTheDecidingLinesOnBothSides() throws {
        let path = packageRoot + "/Policies/scx-6.12.policy"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let needle = "kfunc scx_bpf_consume {\n    in scx_kfunc_ids_dispatch;\n    flags none;\n    allow dispatch;"
        XCTAssertTrue(text.contains(needle))
        let edited = text.replacingOccurrences(of: needle, with: needle.replacingOccurrences(of: "allow dispatch;", with: "allow dispatch | enqueue;"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let consumeLine = lines.firstIndex { $0.hasPrefix("kfunc scx_bpf_consume") }! + 4 // the allow line, 1-based
        let enqueueLine = lines.firstIndex { $0.hasPrefix("callback enqueue:") }! + 1
        let old = try Compilation.compile(path: path).relabeled { $0.hasSuffix("scx-6.12.policy") ? "old/scx.policy" : $0 }
        let new = Compilation.compile(path: path, bytes: Array(edited.utf8)).relabeled { $0.hasSuffix("scx-6.12.policy") ? "new/scx.policy" : $0 }
        let d = SemanticDiff.compare(old: old, new: new)
        XCTAssertTrue(d.hasWidenings)
        XCTAssertFalse(d.hasNarrowings)
        let c = try XCTUnwrap(d.changes.first { $0.kind == .callAllowed && $0.summary.contains("ops.enqueue") })
        XCTAssertEqual(c.impact, .widening)
        let o = try XCTUnwrap(c.old), n = try XCTUnwrap(c.new)
        XCTAssertTrue(o.summary.hasPrefix("denied:"))
        XCTAssertTrue(n.summary.hasPrefix("allowed:"))
        XCTAssertTrue(o.locations.contains { $0.path == "old/scx.policy" && $0.line == consumeLine }, "\(o.locations)")
        XCTAssertTrue(o.locations.contains { $0.path == "old/scx.policy" && $0.line == enqueueLine })
        XCTAssertTrue(n.locations.contains { $0.path == "new/scx.policy" && $0.line == consumeLine && $0.message.contains("dispatch | enqueue") })
        XCTAssertEqual(Set(d.cells.map(\.caller)), ["ops.enqueue", "ops.select_cpu"])
    }

    func testJSONHasSortedKeysAndMatchesTheReport() throws {
        let d = try XCTUnwrap(Self.report("mixed-review").diff)
        let json = DiffRenderer.json([d])
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let counts = try XCTUnwrap(obj["counts"] as? [String: Int])
        XCTAssertEqual(counts, ["widening": d.widenings.count, "narrowing": d.narrowings.count, "other": d.others.count])
        let policies = try XCTUnwrap(obj["policies"] as? [[String: Any]])
        XCTAssertEqual((policies[0]["changes"] as? [Any])?.count, d.changes.count)
        // Keys are printed sorted: re-encoding with sorted keys gives the same key order.
        let keys = json.split(separator: "\n").compactMap { l -> String? in
            let t = l.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("\""), let end = t.dropFirst().firstIndex(of: "\"") else { return nil }
            return t[t.index(after: t.startIndex)..<end].isEmpty ? nil : String(t[t.index(after: t.startIndex)..<end])
        }
        XCTAssertFalse(keys.isEmpty)
        XCTAssertEqual(json, DiffRenderer.json([SemanticDiff.compare(old: try Self.load("mixed-review", "old"), new: try Self.load("mixed-review", "new"))]))
    }
}

/// `kfpolicy diff` as a command: exit statuses, formats, and git revisions.
final class DiffCLITests: XCTestCase {
    let cases = "Tests/DiffCases"

    func diff(_ args: [String], cwd: String = packageRoot) throws -> (status: Int32, out: String, err: String) {
        try runProcess(diffToolBinary, ["diff", "--color", "never"] + args, cwd: cwd)
    }
    func side(_ c: String, _ s: String) -> String { "\(cases)/\(c)/\(s).policy" }

    func testExitStatusSaysWhetherThereWereWideningsOrNarrowings() throws {
        XCTAssertEqual(try diff([side("widen-call-allowed", "old"), side("widen-call-allowed", "new")]).status, 4)
        XCTAssertEqual(try diff([side("narrow-call-denied", "old"), side("narrow-call-denied", "new")]).status, 5)
        XCTAssertEqual(try diff([side("mixed-review", "old"), side("mixed-review", "new")]).status, 6)
        // A renamed kfunc breaks programs that call the old name, and adds the new one.
        XCTAssertEqual(try diff([side("rename-kfunc", "old"), side("rename-kfunc", "new")]).status, 6)
        let same = try diff([side("reformat-only", "old"), side("reformat-only", "new")])
        XCTAssertEqual(same.status, 0)
        XCTAssertTrue(same.out.contains("no semantic change"))
    }

    func testFailOnChoosesWhichChangesFail() throws {
        let mixed = [side("mixed-review", "old"), side("mixed-review", "new")]
        let widen = [side("widen-call-allowed", "old"), side("widen-call-allowed", "new")]
        XCTAssertEqual(try diff(mixed + ["--fail-on", "widening"]).status, 4)
        XCTAssertEqual(try diff(mixed + ["--fail-on", "narrowing"]).status, 5)
        XCTAssertEqual(try diff(mixed + ["--fail-on", "none"]).status, 0)
        XCTAssertEqual(try diff(widen + ["--fail-on", "narrowing"]).status, 0)
        XCTAssertEqual(try diff(widen + ["--fail-on", "any"]).status, 4)
        XCTAssertEqual(try diff(widen + ["--fail-on", "sometimes"]).status, 2)
    }

    func testNewSideWithErrorsExitsOneWithItsDiagnostics() throws {
        let r = try diff([side("cycle-on-new-side", "old"), side("cycle-on-new-side", "new")])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.out, "")
        XCTAssertTrue(r.err.contains("the new side"), r.err)
        XCTAssertTrue(r.err.contains("cycle-on-new-side/new.policy:"), r.err)
        XCTAssertTrue(r.err.contains("[KFP501]"), r.err)
    }

    func testMarkdownHasTheChangedMatrixCells() throws {
        let r = try diff([side("widen-call-allowed", "old"), side("widen-call-allowed", "new"), "--format", "markdown"])
        XCTAssertEqual(r.status, 4)
        XCTAssertTrue(r.out.contains("#### Widenings"))
        XCTAssertTrue(r.out.contains("| kfunc | `ops.enqueue` | `ops.select_cpu` |"), r.out)
        XCTAssertTrue(r.out.contains("| `demo_consume` | **+** | **+** |"), r.out)
    }

    func testUnreadableSideAndBadUsageExitTwo() throws {
        XCTAssertEqual(try diff(["no/such.policy", side("widen-call-allowed", "new")]).status, 2)
        XCTAssertEqual(try diff([side("widen-call-allowed", "new")]).status, 2)
        XCTAssertEqual(try diff(["--git-driver", "a", "b"]).status, 2)
    }

    // MARK: - git

    func git(_ args: [String], _ dir: String) throws -> String {
        let r = try runProcess("/usr/bin/env", ["git", "-c", "user.name=kfpolicy tests", "-c", "user.email=tests@example.invalid",
                                                "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"] + args, cwd: dir)
        XCTAssertEqual(r.status, 0, "git \(args.joined(separator: " ")): \(r.err)")
        return r.out
    }

    /// A repository with Policies/main.policy including Policies/common/shared.policy. The
    /// first commit registers the include's first set for struct_ops only; the second adds
    /// syscall there and edits a doc comment of main.policy. The working tree then drops
    /// tracing from the include's second set (a narrowing), uncommitted.
    func makeRepo() throws -> String {
        let dir = makeTempDir("diff-git")
        let inc = try String(contentsOfFile: packageRoot + "/\(cases)/include-changed/old/common/shared.policy", encoding: .utf8)
        let incNew = try String(contentsOfFile: packageRoot + "/\(cases)/include-changed/new/common/shared.policy", encoding: .utf8)
        let main = try String(contentsOfFile: packageRoot + "/\(cases)/include-changed/old/main.policy", encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/Policies/common", withIntermediateDirectories: true)
        try main.write(toFile: dir + "/Policies/main.policy", atomically: true, encoding: .utf8)
        try inc.write(toFile: dir + "/Policies/common/shared.policy", atomically: true, encoding: .utf8)
        _ = try git(["init", "-q"], dir)
        _ = try git(["add", "."], dir)
        _ = try git(["commit", "-q", "-m", "v1"], dir)
        try incNew.write(toFile: dir + "/Policies/common/shared.policy", atomically: true, encoding: .utf8)
        try main.replacingOccurrences(of: "/// Count things.", with: "/// Count things, cheaply.")
            .write(toFile: dir + "/Policies/main.policy", atomically: true, encoding: .utf8)
        _ = try git(["commit", "-q", "-am", "v2"], dir)
        try incNew.replacingOccurrences(of: "set demo_inc_any: struct_ops, tracing;", with: "set demo_inc_any: struct_ops;")
            .write(toFile: dir + "/Policies/common/shared.policy", atomically: true, encoding: .utf8)
        return dir
    }

    func testRevisionSidesReadIncludesFromTheSameRevision() throws {
        let dir = try makeRepo()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try diff(["HEAD~1:Policies/main.policy", "HEAD:Policies/main.policy"], cwd: dir)
        XCTAssertEqual(r.status, 4, r.out + r.err) // the working tree's narrowing must not show
        XCTAssertTrue(r.out.contains("policy demo_inc: HEAD~1:Policies/main.policy -> HEAD:Policies/main.policy"), r.out)
        XCTAssertTrue(r.out.contains("HEAD~1:Policies/common/shared.policy:8:5: set 'demo_inc_ids' is registered for struct_ops"), r.out)
        XCTAssertTrue(r.out.contains("HEAD:Policies/common/shared.policy:8:5: set 'demo_inc_ids' is registered for syscall"), r.out)
        XCTAssertFalse(r.out.contains("tracing programs"), r.out)
        // ./ paths are relative to the current directory, as in git.
        let sub = try diff(["HEAD~1:./main.policy", "HEAD:./main.policy"], cwd: dir + "/Policies")
        XCTAssertEqual(sub.status, 4, sub.err)
        // A path missing at the revision is an I/O error naming it.
        let missing = try diff(["HEAD~1:Policies/nothing.policy", "HEAD:Policies/main.policy"], cwd: dir)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.err.contains("HEAD~1:Policies/nothing.policy"), missing.err)
    }

    func testGitModeComparesTheWorkingTreeWithARevision() throws {
        let dir = try makeRepo()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try diff(["--git", "HEAD"], cwd: dir)
        XCTAssertEqual(r.status, 5, r.out + r.err)
        XCTAssertTrue(r.out.contains("policy demo_inc: HEAD:Policies/main.policy -> Policies/main.policy"), r.out)
        XCTAssertTrue(r.out.contains("'demo_inc_count' is now denied in tracing programs"), r.out)
        XCTAssertTrue(r.out.contains("Policies/common/shared.policy:9:5"), r.out)
        let older = try diff(["--git", "HEAD~1", "--format", "json"], cwd: dir)
        XCTAssertEqual(older.status, 6, older.err)
    }

    func testGitDiffDriverShowsTheSemanticDiff() throws {
        let dir = try makeRepo()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "*.policy diff=kfpolicy\n".write(toFile: dir + "/.gitattributes", atomically: true, encoding: .utf8)
        _ = try git(["config", "diff.kfpolicy.command", "'\(diffToolBinary)' diff --git-driver"], dir)
        // Between two commits: the old blob is found at the commit that introduced it, so its
        // includes come from there (with a note), the new one from the index.
        let commits = try git(["diff", "HEAD~1", "HEAD", "--", "Policies/main.policy"], dir)
        XCTAssertTrue(commits.contains("'demo_inc_run' is now allowed in syscall programs"), commits)
        XCTAssertTrue(commits.contains("doc comment of kfunc 'demo_inc_count' changed"), commits)
        XCTAssertFalse(commits.contains("tracing"), commits)
        XCTAssertTrue(commits.contains("a/Policies/common/shared.policy:8:5"), commits)
        XCTAssertTrue(commits.contains("note: the a side's includes were read at commit"), commits)
        // The working tree against the index: the main file edited, the include too.
        let main = try String(contentsOfFile: dir + "/Policies/main.policy", encoding: .utf8)
        try main.replacingOccurrences(of: "allow locked;", with: "allow locked | unlocked;")
            .write(toFile: dir + "/Policies/main.policy", atomically: true, encoding: .utf8)
        let wt = try git(["diff", "--", "Policies/main.policy"], dir)
        XCTAssertTrue(wt.contains("'demo_inc_run' is now allowed in ops.init"), wt)
        XCTAssertTrue(wt.contains("'demo_inc_count' is now denied in tracing programs"), wt)
        XCTAssertTrue(wt.contains("b/Policies/common/shared.policy:9:5"), wt)
        XCTAssertFalse(wt.contains("note:"), wt)
        // An included file alone declares no policy: its lines, and how to see its meaning.
        let inc = try git(["diff", "--", "Policies/common/shared.policy"], dir)
        XCTAssertTrue(inc.contains("declares no policy (an included file)"), inc)
        XCTAssertTrue(inc.contains("-set demo_inc_any: struct_ops, tracing;"), inc)
        XCTAssertTrue(inc.contains("+set demo_inc_any: struct_ops;"), inc)
        // A side with errors: its diagnostics, then the line diff, so nothing is hidden.
        try (main + "nest run -> run;\n").write(toFile: dir + "/Policies/main.policy", atomically: true, encoding: .utf8)
        let bad = try git(["diff", "--", "Policies/main.policy"], dir)
        XCTAssertTrue(bad.contains("the new side (b/Policies/main.policy) has errors"), bad)
        XCTAssertTrue(bad.contains("[KFP502]"), bad)
        XCTAssertTrue(bad.contains("+nest run -> run;"), bad)
        // Through scripts/git-diff-driver.sh, as the README sets it up, run from a subdirectory.
        _ = try git(["config", "diff.kfpolicy.command", "KFPOLICY='\(diffToolBinary)' '\(packageRoot)/scripts/git-diff-driver.sh'"], dir)
        try main.write(toFile: dir + "/Policies/main.policy", atomically: true, encoding: .utf8)
        let viaScript = try git(["diff", "HEAD~1", "--", "main.policy"], dir + "/Policies")
        XCTAssertTrue(viaScript.contains("policy demo_inc: a/Policies/main.policy -> b/Policies/main.policy"), viaScript)
        XCTAssertTrue(viaScript.contains("'demo_inc_run' is now allowed in syscall programs"), viaScript)
    }
}

/// docs/sched_ext-6.12-to-mainline.md is what `kfpolicy diff` says today about the step from
/// the LTS kernel's sched_ext to mainline's: the review artefact stays fresh.
final class ScxReviewArtefactTests: XCTestCase {
    func testSched612ToMainlineReviewIsFresh() throws {
        let r = try runProcess(builtKfpolicy, ["diff", "Policies/scx-6.12.policy", "Policies/scx.policy", "--format", "markdown"],
                               cwd: packageRoot)
        XCTAssertEqual(r.status, 6, "widenings and narrowings: \(r.err)")
        let committed = try String(contentsOfFile: packageRoot + "/docs/sched_ext-6.12-to-mainline.md", encoding: .utf8)
        XCTAssertEqual(committed, r.out, "docs/sched_ext-6.12-to-mainline.md is stale: run "
                       + "kfpolicy diff Policies/scx-6.12.policy Policies/scx.policy --format markdown > docs/sched_ext-6.12-to-mainline.md")
        for renamed in ["scx_bpf_dispatch", "scx_bpf_consume", "scx_bpf_dispatch_vtime"] {
            XCTAssertTrue(r.out.contains("kfunc `\(renamed)` renamed to"), "\(renamed) shows as a rename")
        }
        // --fail-on narrowing catches a rename.
        let gate = try runProcess(builtKfpolicy, ["diff", "Tests/DiffCases/rename-kfunc/old.policy", "Tests/DiffCases/rename-kfunc/new.policy",
                                                  "--fail-on", "narrowing"], cwd: packageRoot)
        XCTAssertEqual(gate.status, 5, gate.out)
    }
}

import Foundation
import KFPolicy
import KFPolicyClang
import XCTest

/// Lints every program under Tests/LintCases and compares the findings with the expectations
/// written in the programs:
///
/// - `// EXPECT-ERROR: text` (or `EXPECT-WARNING`) on the line the finding points at;
///   `// EXPECT-ERROR@-2: text` for a line above, `// EXPECT-ERROR@NAME: text` for the line
///   marked `// SITE: NAME` in any file of the program or of the shared headers (include/,
///   scx-include/), where an expectation would depend on which program includes them.
/// - `// EXPECT-CHAIN: map.member -> function -> [MACRO] -> ... -> kfunc` after an expectation:
///   the call chain that finding must give.
///
/// A program's directory may hold a `flags` file: `policy: PATH` and `with: PATH` (a policy file
/// to include, as `lint --with`; both from the package root) and `args: CLANG ARGS`, where
/// `$CORPUS` is Tests/LintCases and `$CACHE` the generated part of the corpus
/// (scripts/lint-corpus.sh: a vmlinux.h from Linux 6.12's BTF, libbpf's headers).
/// Without one, a program is linted against Policies/scx-6.12.policy with `-I include`.
///
/// Every finding must be expected and every expectation met. A directory whose name ends in
/// `_ok` is a correct scheduler: it may state no expectation and must get no finding at all.
final class LintCorpusTests: XCTestCase {
    static let corpus = packageRoot + "/Tests/LintCases"
    /// Directories of headers shared by several programs (not programs themselves).
    static let sharedHeaders = ["include", "scx-include"]

    /// The generated part of the corpus, built once per test run (a missing tool fails loudly).
    static let cache: String = {
        guard let r = try? runProcess("/usr/bin/env", ["bash", packageRoot + "/scripts/lint-corpus.sh"], cwd: packageRoot),
              r.status == 0 else { return "" }
        return packageRoot + "/" + r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    struct Expectation {
        let severity: Severity
        let path: String
        let line: Int
        let text: String
        var chain: String?
        /// Where it is written, for messages.
        let source: String
    }

    /// The programs: one per directory, all its .bpf.c files linted together.
    static func programs() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: corpus).filter { name in
            var dir: ObjCBool = false
            return !sharedHeaders.contains(name) && FileManager.default.fileExists(atPath: corpus + "/" + name, isDirectory: &dir) && dir.boolValue
        }.sorted()
    }

    /// Files with one of `suffixes` under `dir` (recursively), as paths relative to it.
    static func files(in dir: String, suffixes: [String]) throws -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        return e.compactMap { $0 as? String }.filter { f in suffixes.contains { f.hasSuffix($0) } }.sorted()
    }

    static func lines(_ path: String) throws -> [Substring] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// `// SITE: name` markers in the program's files and the shared headers: name -> (path, line).
    static func sites(program: String) throws -> [String: (String, Int)] {
        var out: [String: (String, Int)] = [:]
        for (dir, rel) in [(corpus + "/" + program, program)] + sharedHeaders.map({ (corpus + "/" + $0, $0) }) {
            for f in try files(in: dir, suffixes: [".c", ".h"]) {
                for (i, l) in try lines(dir + "/" + f).enumerated() {
                    guard let r = l.range(of: "// SITE: ") else { continue }
                    out[String(l[r.upperBound...]).trimmingCharacters(in: .whitespaces)] = (rel + "/" + f, i + 1)
                }
            }
        }
        return out
    }

    static func expectations(program: String) throws -> [Expectation] {
        let sites = try sites(program: program)
        var out: [Expectation] = []
        let dir = corpus + "/" + program
        for f in try files(in: dir, suffixes: [".c", ".h"]) {
            let rel = program + "/" + f
            for (i, l) in try lines(dir + "/" + f).enumerated() {
                if let r = l.range(of: "// EXPECT-CHAIN: ") {
                    guard !out.isEmpty, out[out.count - 1].chain == nil else {
                        XCTFail("\(rel):\(i + 1): EXPECT-CHAIN without an expectation before it"); continue
                    }
                    out[out.count - 1].chain = String(l[r.upperBound...]).trimmingCharacters(in: .whitespaces)
                    continue
                }
                guard let r = l.range(of: "// EXPECT-") else { continue }
                var rest = l[r.upperBound...]
                let severity: Severity
                if rest.hasPrefix("ERROR") { severity = .error; rest = rest.dropFirst(5) }
                else if rest.hasPrefix("WARNING") { severity = .warning; rest = rest.dropFirst(7) }
                else { XCTFail("\(rel):\(i + 1): unknown expectation"); continue }
                var path = rel, line = i + 1
                if rest.hasPrefix("@") {
                    let target = rest.dropFirst().prefix { $0 != ":" }
                    rest = rest.dropFirst(1 + target.count)
                    if let n = Int(target) { line += n }
                    else if let s = sites[String(target)] { (path, line) = s }
                    else { XCTFail("\(rel):\(i + 1): no SITE named '\(target)'"); continue }
                }
                guard rest.hasPrefix(": ") else { XCTFail("\(rel):\(i + 1): malformed expectation"); continue }
                out.append(Expectation(severity: severity, path: path, line: line,
                                       text: String(rest.dropFirst(2)).trimmingCharacters(in: .whitespaces), chain: nil,
                                       source: "\(rel):\(i + 1)"))
            }
        }
        return out
    }

    /// The policy and clang arguments of a program (its `flags` file, else the defaults).
    static func configuration(_ program: String) throws -> (policy: String, with: [String], arguments: [String]) {
        let dir = corpus + "/" + program
        guard let text = try? String(contentsOfFile: dir + "/flags", encoding: .utf8) else {
            return ("Policies/scx-6.12.policy", [], ["-I", corpus + "/include"])
        }
        var policy = "Policies/scx-6.12.policy", with: [String] = [], arguments: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("policy: ") { policy = String(line.dropFirst(8)) }
            if line.hasPrefix("with: ") { with.append(packageRoot + "/" + line.dropFirst(6)) }
            if line.hasPrefix("args: ") {
                XCTAssertFalse(cache.isEmpty, "scripts/lint-corpus.sh failed: the corpus needs its generated headers")
                arguments = line.dropFirst(6).split(separator: " ").map {
                    $0.replacingOccurrences(of: "$CORPUS", with: corpus).replacingOccurrences(of: "$CACHE", with: cache)
                }
            }
        }
        return (policy, with, arguments)
    }

    /// Lints one program the way the CLI does (absolute paths; shown relative to the corpus).
    static func lint(_ program: String) throws -> (report: LintReport, sources: SourceManager) {
        let sources = SourceManager()
        let (policy, with, arguments) = try configuration(program)
        let c = try Linter.compilePolicy(packageRoot + "/" + policy, with: with, sources: sources)
        XCTAssertFalse(c.diagnostics.hasErrors, policy)
        let dir = corpus + "/" + program
        let inputs = try files(in: dir, suffixes: [".bpf.c"]).map { LintInput(path: dir + "/" + $0, arguments: arguments) }
        return (try Linter.lint(inputs, policy: c.policy, policyPath: policy, sources: sources), sources)
    }

    static func display(_ path: String) -> String {
        path.hasPrefix(corpus + "/") ? String(path.dropFirst(corpus.count + 1)) : path
    }

    func testEveryProgramGivesExactlyItsExpectedFindings() throws {
        let programs = try Self.programs()
        XCTAssertGreaterThanOrEqual(programs.count, 9)
        var seenIDs = Set<DiagID>()
        var nExpected = 0
        for program in programs {
            let expected = try Self.expectations(program: program)
            nExpected += expected.count
            let (report, sources) = try Self.lint(program)
            if program.hasSuffix("_ok") {
                XCTAssertTrue(expected.isEmpty, "\(program) is a correct program and may not expect findings")
                let r = DiagnosticRenderer(sources: sources, color: false)
                XCTAssertTrue(report.findings.isEmpty, "false findings on the correct scheduler \(program):\n" + report.diagnostics.map(r.render).joined())
                continue
            }
            XCTAssertFalse(expected.isEmpty, "\(program) states no expectation")
            var unmatched = expected
            for f in report.findings {
                let d = f.diagnostic
                seenIDs.insert(d.id)
                guard let pos = sources.position(d.range) else { XCTFail("\(program): finding without a location: \(d.message)"); continue }
                let path = Self.display(pos.path)
                if let i = unmatched.firstIndex(where: { $0.severity == d.severity && $0.path == path && $0.line == pos.line && d.message.contains($0.text) }) {
                    if let chain = unmatched[i].chain {
                        XCTAssertEqual(f.chain.joined(separator: " -> "), chain, "chain of the finding expected at \(unmatched[i].source)")
                    }
                    unmatched.remove(at: i)
                } else {
                    XCTFail("\(path):\(pos.line):\(pos.column): unexpected \(d.severity) \(d.id.rawValue): \(d.message) [chain: \(f.chain.joined(separator: " -> "))]")
                }
                checkLocations(f, sources: sources)
            }
            for e in unmatched { XCTFail("\(e.source): expected \(e.severity) at \(e.path):\(e.line) '\(e.text)' was not reported") }
        }
        XCTAssertGreaterThanOrEqual(nExpected, 20)
        let lintIDs = Set(DiagID.allCases.filter { $0.rawValue.hasPrefix("KFP7") })
        XCTAssertEqual(lintIDs.subtracting(seenIDs).map(\.rawValue).sorted(), [], "lint diagnostic ids no program exercises")
    }

    /// Each note of a chain points at the name it talks about: a call note at the called name
    /// (or the macro it comes through), a macro note at the name in the macro's definition, and
    /// the finding itself at the kfunc (or the macro that calls it).
    func checkLocations(_ f: LintFinding, sources: SourceManager) {
        func text(_ r: SourceRange) -> String {
            guard let file = sources.file(r) else { return "" }
            return String(decoding: file.text[r.start..<min(r.end, file.text.count)], as: UTF8.self)
        }
        func quoted(_ s: String) -> [String] { s.split(separator: "'", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) } }
        let d = f.diagnostic
        for n in d.notes {
            XCTAssertFalse(n.range.isNone, "note without location: \(n.message)")
            let q = quoted(n.message)
            if n.message.contains(" calls '") || n.message.contains(" passes '") {
                // At the macro the call comes through, else at the variable whose cleanup
                // calls, else at the called name.
                func after(_ marker: String) -> String? {
                    n.message.range(of: marker).map { String(n.message[$0.upperBound...].prefix { $0 != "'" }) }
                }
                let named = after("through macro '") ?? after("when '") ?? q[1]
                XCTAssertEqual(text(n.range), named, "note '\(n.message)' points at '\(text(n.range))'")
            } else if n.message.hasPrefix("macro '") {
                XCTAssertEqual(text(n.range), q[1], "note '\(n.message)' points at '\(text(n.range))'")
            }
        }
        if d.id == .lintKfuncNotAllowed || d.id == .lintSleepableKfunc {
            let called = f.chain.last!
            // The outermost of the macros the last call comes through, if any.
            let macros = f.chain.dropLast().reversed().prefix { $0.hasPrefix("[") }
            let viaMacro = macros.last.map { String($0.dropFirst().dropLast()) }
            let at = text(d.range)
            XCTAssertTrue(at == called || at == viaMacro, "\(d.message) points at '\(at)'")
            // One note per step: the binding, each call between functions, each macro, then the policy.
            // (The chain is the entry, the bound function, what lies between, and the kfunc.)
            let callNotes = d.notes.filter { $0.message.contains(" calls '") || $0.message.contains(" passes '") || $0.message.hasPrefix("macro '") }
            XCTAssertEqual(callNotes.count, f.chain.count - 3, "\(d.message): \(d.notes.map(\.message))")
            XCTAssertTrue(d.notes.contains { sources.file($0.range)?.path.hasSuffix(".policy") ?? false }, "no note at the policy: \(d.message)")
        }
    }
}

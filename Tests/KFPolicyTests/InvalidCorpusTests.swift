import Foundation
import KFPolicy
import KFPolicyRender
import XCTest

/// Runs every policy under Tests/Invalid and compares its diagnostics with the expectations
/// written inside it: `// expect: KFP202 message part` on the line the diagnostic points at, or
/// `// expect-at LINE: ...` where a comment cannot sit on that line. Every diagnostic must be
/// expected and every expectation met; every diagnostic id must be exercised by some file.
final class InvalidCorpusTests: XCTestCase {
    struct Expectation: Hashable { let path: String; let line: Int; let id: String; let text: String }

    static let corpus = packageRoot + "/Tests/Invalid"

    /// Expectations in a file (scanned as bytes, so even files that are not UTF-8 work).
    static func expectations(in path: String, display: String) throws -> [Expectation] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(decoding: bytes, as: UTF8.self)
        var out: [Expectation] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let r = line.range(of: "// expect") else { continue }
            var rest = line[r.upperBound...]
            var at = i + 1
            if rest.hasPrefix("-at ") {
                rest = rest.dropFirst(4)
                let num = rest.prefix { $0.isNumber }
                at = Int(num)!
                rest = rest.dropFirst(num.count)
            }
            guard rest.hasPrefix(": ") else { continue }
            rest = rest.dropFirst(2)
            let id = rest.prefix { !$0.isWhitespace }
            let msg = rest.dropFirst(id.count).trimmingCharacters(in: .whitespaces)
            out.append(Expectation(path: display, line: at, id: String(id), text: msg))
        }
        return out
    }

    func testEveryInvalidPolicyGivesExactlyItsExpectedDiagnostics() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).filter { $0.hasSuffix(".policy") }.sorted()
        XCTAssertGreaterThan(files.count, 10)
        var seenIDs = Set<String>()
        for f in files {
            let c = try Compilation.compile(path: Self.corpus + "/" + f)
            var expected: [Expectation] = []
            // Expectations in the file and in the includes it read.
            for p in c.policy.files {
                let display = String(p.dropFirst(Self.corpus.count + 1))
                expected += try Self.expectations(in: p, display: display)
            }
            XCTAssertFalse(expected.isEmpty, "\(f) states no expectation")
            var unmatched = expected
            for d in c.diagnostics.items {
                seenIDs.insert(d.id.rawValue)
                guard let pos = c.sources.position(d.range) else { XCTFail("\(f): diagnostic without location: \(d.message)"); continue }
                let display = String(pos.path.dropFirst(Self.corpus.count + 1))
                if let i = unmatched.firstIndex(where: { $0.path == display && $0.line == pos.line && $0.id == d.id.rawValue && d.message.contains($0.text) || ($0.path == display && $0.line == pos.line && $0.id == d.id.rawValue && (d.hint ?? "").contains($0.text)) }) {
                    unmatched.remove(at: i)
                } else {
                    XCTFail("\(display):\(pos.line):\(pos.column): unexpected \(d.severity) \(d.id.rawValue): \(d.message)")
                }
            }
            for e in unmatched { XCTFail("\(e.path):\(e.line): expected \(e.id) '\(e.text)' was not reported") }
        }
        let all = Set(DiagID.allCases.filter { !DiagID.fromCCode.contains($0) }.map(\.rawValue))
        XCTAssertEqual(all.subtracting(seenIDs), [], "diagnostic ids with no invalid policy exercising them")
    }

    /// Every diagnostic renders as file:line:col: severity: message [ID] with the source line,
    /// a caret, and notes with their own locations.
    func testRenderedDiagnosticsHaveLocationCaretAndNotes() throws {
        let c = try Compilation.compile(path: Self.corpus + "/cycle.policy")
        let text = c.diagnostics.sorted.map(DiagnosticRenderer(sources: c.sources, color: false).render).joined()
        XCTAssertTrue(text.contains("cycle.policy:11:11: error: nesting graph is not a DAG: ops.enqueue -> kick -> ops.dispatch -> consume -> ops.enqueue [KFP501]"), text)
        XCTAssertTrue(text.contains("cycle.policy:12:5: note: 'kick' invokes ops.dispatch"), text)
        XCTAssertTrue(text.contains("cycle.policy:16:11: note: ops.dispatch may call 'consume'"), text)
        XCTAssertTrue(text.contains("cycle.policy:17:5: note: 'consume' invokes ops.enqueue"), text)
        XCTAssertTrue(text.contains("\n      allow enq; // expect: KFP501"), text)
        XCTAssertTrue(text.contains("\n            ^~~\n"), text)
        XCTAssertTrue(text.contains("hint: remove one of"), text)
    }

    func testJSONDiagnosticsCarryIdsLocationsAndNotes() throws {
        let c = try Compilation.compile(path: Self.corpus + "/names.policy")
        let json = DiagnosticRenderer(sources: c.sources, color: false).json(c.diagnostics.sorted)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        XCTAssertEqual(parsed.count, c.diagnostics.items.count)
        let first = parsed.first { ($0["id"] as? String) == "KFP202" }!
        XCTAssertEqual(first["line"] as? Int, 5)
        XCTAssertEqual(first["column"] as? Int, 9)
        XCTAssertEqual(first["severity"] as? String, "error")
        let notes = first["notes"] as! [[String: Any]]
        XCTAssertEqual(notes.first?["line"] as? Int, 3)
    }
}

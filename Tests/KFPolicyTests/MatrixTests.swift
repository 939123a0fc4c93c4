import Foundation
import KFPolicy
import XCTest

/// `kfpolicy matrix`: every cell is the decision function's verdict; compared matrices mark
/// exactly the cells the semantic diff reports.
final class MatrixTests: XCTestCase {
    func testEveryCellIsTheDecisionFunctionsVerdict() throws {
        for rel in shippedPolicies() {
            let p = try compileShipped(rel).policy
            let m = PermissionMatrix(p)
            XCTAssertEqual(m.rows.count, p.kfuncs.count, rel)
            XCTAssertEqual(m.columns.filter(\.isCallback).count, p.callbacks.count, rel)
            XCTAssertEqual(m.verdicts.count, m.rows.count)
            for (r, row) in m.rows.enumerated() {
                let k = try XCTUnwrap(p.kfunc(named: row.kfunc))
                XCTAssertEqual(m.verdicts[r].count, m.columns.count)
                for (c, col) in m.columns.enumerated() {
                    let caller: Caller = col.isCallback ? .callback(p.callback(named: col.name)!) : .progType(ProgType(rawValue: col.name)!)
                    XCTAssertEqual(m.verdicts[r][c].new, p.isAllowed(k, caller), "\(rel): \(row.kfunc) in \(col.caller)")
                    XCTAssertFalse(m.verdicts[r][c].changed)
                }
            }
            // Columns are grouped by exact contexts: one group per distinct mask, plus program types.
            let masks = Set(p.callbacks.map(\.contexts))
            XCTAssertEqual(m.columnGroups.filter { $0.label != "program types" }.count, masks.count, rel)
        }
    }

    func testComparedMatrixMarksExactlyTheDiffsCells() throws {
        for name in ["mixed-review", "widen-progtype-call", "narrow-kfunc-removed", "widen-callback-added", "rename-kfunc"] {
            let old = try DiffCorpusTests.load(name, "old"), new = try DiffCorpusTests.load(name, "new")
            let d = SemanticDiff.compare(old: old, new: new)
            let m = PermissionMatrix(new: new, old: old, diff: d)
            var marked = Set<String>()
            for (r, row) in m.rows.enumerated() {
                for (c, col) in m.columns.enumerated() where m.verdicts[r][c].changed { marked.insert("\(row.kfunc) \(col.caller)") }
            }
            XCTAssertEqual(marked, Set(d.cells.map { "\($0.kfunc) \($0.caller)" }), name)
            XCTAssertEqual(m.changedCount, d.cells.count, name)
        }
        // A removed kfunc keeps its row, marked removed.
        let old = try DiffCorpusTests.load("narrow-kfunc-removed", "old"), new = try DiffCorpusTests.load("narrow-kfunc-removed", "new")
        let m = PermissionMatrix(new: new, old: old, diff: SemanticDiff.compare(old: old, new: new))
        XCTAssertEqual(m.rows.filter(\.removed).map(\.kfunc), ["demo_kick"])
    }

    func testMarkdownMergesOnlyIdenticalColumns() throws {
        let p = try compileShipped("Policies/scx-6.12.policy").policy
        let md = MatrixRenderer.markdown(PermissionMatrix(p))
        let header = try XCTUnwrap(md.split(separator: "\n").first { $0.hasPrefix("| kfunc |") })
        // Every callback is named exactly once in the header.
        for cb in p.callbacks { XCTAssertEqual(header.components(separatedBy: "`\(cb.name)`").count - 1, 1, cb.name) }
        let columns = header.components(separatedBy: " | ").count - 1
        XCTAssertLessThan(columns, p.callbacks.count)
        // Callbacks sharing a column have the same verdict for every kfunc and the same sleepability.
        for cell in header.components(separatedBy: " | ").dropFirst() {
            let names = cell.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            let cbs = names.compactMap { p.callback(named: $0) }
            guard let first = cbs.first else { continue }
            for c in cbs {
                XCTAssertEqual(p.callbacks[c].sleepable, p.callbacks[first].sleepable)
                for k in p.kfuncs.indices { XCTAssertEqual(p.isAllowed(k, .callback(c)), p.isAllowed(k, .callback(first)), "\(p.kfuncs[k].name) \(p.callbacks[c].name)") }
            }
        }
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| `") }
        XCTAssertEqual(rows.count, p.kfuncs.count)
    }

    func testHTMLHasOneCellPerVerdictAndHighlightsChanges() throws {
        let old = try DiffCorpusTests.load("mixed-review", "old"), new = try DiffCorpusTests.load("mixed-review", "new")
        let d = SemanticDiff.compare(old: old, new: new)
        let m = PermissionMatrix(new: new, old: old, diff: d)
        let html = MatrixRenderer.html(m)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertEqual(html.components(separatedBy: "<td class=\"c ").count - 1, m.rows.count * m.columns.count)
        XCTAssertEqual(html.components(separatedBy: "<td class=\"c add").count - 1, d.cells.filter { $0.new == true }.count)
        XCTAssertEqual(html.components(separatedBy: "<td class=\"c del").count - 1, d.cells.filter { $0.new != true }.count)
        XCTAssertFalse(html.contains("<script"))
        XCTAssertEqual(html, MatrixRenderer.html(PermissionMatrix(new: new, old: old, diff: d)))
    }

    func testCommandAgainstARevisionOrFile() throws {
        let r = try runProcess(diffToolBinary, ["matrix", "Tests/DiffCases/widen-call-allowed/new.policy",
                                                "--against", "Tests/DiffCases/widen-call-allowed/old.policy"], cwd: packageRoot)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("2 changed cells"), r.out)
        XCTAssertTrue(r.out.contains("| `demo_consume` |"), r.out)
        XCTAssertTrue(r.out.contains("**+**"))
        let bad = try runProcess(diffToolBinary, ["matrix", "Tests/DiffCases/cycle-on-new-side/new.policy"], cwd: packageRoot)
        XCTAssertEqual(bad.status, 1)
    }
}

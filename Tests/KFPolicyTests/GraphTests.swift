import Foundation
import KFPolicy
import KFPolicyDriver
import KFPolicyRender
import XCTest

/// `kfpolicy graph`: the DOT text holds exactly the nesting graph's nodes and edges.
final class GraphTests: XCTestCase {
    /// `"a" -> "b"` edges of a DOT text, with their colour (which says their kind).
    static func edges(_ dot: String) -> Set<String> {
        var out = Set<String>()
        for line in dot.split(separator: "\n") {
            let parts = line.trimmingCharacters(in: .whitespaces).components(separatedBy: "\" -> \"")
            guard parts.count == 2, parts[0].hasPrefix("\"") else { continue }
            let from = String(parts[0].dropFirst())
            let to = String(parts[1].prefix { $0 != "\"" })
            // By label and style, not colour: an edge on a cycle is red whatever its kind.
            let kind = line.contains("invokes\"") ? "invokes" : line.contains("dashed") ? "nests" : "calls"
            out.insert("\(from) \(kind) \(to)")
        }
        return out
    }

    static func nodes(_ dot: String) -> Set<String> {
        Set(dot.split(separator: "\n").compactMap { l -> String? in
            let t = l.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("\"cb_") || t.hasPrefix("\"kf_"), t.contains("[label="), !t.contains("->") else { return nil }
            return String(t.dropFirst().prefix { $0 != "\"" })
        })
    }

    /// The edges the model says the graph has, computed from the decision function.
    static func modelEdges(_ p: Policy, allKfuncs: Bool) -> Set<String> {
        var out = Set<String>()
        for n in p.nests { out.insert("cb_\(p.callbacks[n.outer].name) nests cb_\(p.callbacks[n.inner].name)") }
        for (k, kf) in p.kfuncs.enumerated() where allKfuncs || !kf.invokes.isEmpty {
            for c in p.callbacks.indices where p.isAllowed(k, .callback(c)) { out.insert("cb_\(p.callbacks[c].name) calls kf_\(kf.name)") }
            for c in kf.invokes { out.insert("kf_\(kf.name) invokes cb_\(p.callbacks[c].name)") }
        }
        return out
    }

    func testEdgesAreTheModelsForEveryShippedPolicy() throws {
        for rel in shippedPolicies() {
            let p = try compileShipped(rel).policy
            for all in [false, true] {
                let dot = GraphRenderer.dot(p, .init(allKfuncs: all))
                XCTAssertEqual(Self.edges(dot), Self.modelEdges(p, allKfuncs: all), "\(rel) allKfuncs=\(all)")
                // Only kfuncs that invoke a callback, unless all are asked for.
                let kfuncs = Self.nodes(dot).filter { $0.hasPrefix("kf_") }
                XCTAssertEqual(kfuncs, Set(p.kfuncs.filter { all || !$0.invokes.isEmpty }.map { "kf_\($0.name)" }), rel)
                XCTAssertEqual(dot, GraphRenderer.dot(p, .init(allKfuncs: all)), "\(rel): not deterministic")
            }
        }
    }

    func testScxShowsReenqueueAndTheDispatchDequeueNest() throws {
        let p = try compileShipped("Policies/scx-6.12.policy").policy
        let dot = GraphRenderer.dot(p)
        XCTAssertEqual(Self.nodes(dot), ["cb_cpu_release", "kf_scx_bpf_reenqueue_local", "cb_enqueue", "cb_dispatch", "cb_dequeue"])
        XCTAssertTrue(Self.edges(dot).contains("kf_scx_bpf_reenqueue_local invokes cb_enqueue"))
        XCTAssertTrue(Self.edges(dot).contains("cb_dispatch nests cb_dequeue"))
        // Callbacks sit in one frame per distinct context mask, labelled with it.
        XCTAssertTrue(dot.contains("label=\"cpu_release\""))
        XCTAssertEqual(dot.components(separatedBy: "subgraph \"cluster_").count - 1, 4)
        // With every callback: one frame per distinct mask among all callbacks.
        let all = GraphRenderer.dot(p, .init(allCallbacks: true))
        XCTAssertEqual(Set(Self.nodes(all).filter { $0.hasPrefix("cb_") }), Set(p.callbacks.map { "cb_\($0.name)" }))
        XCTAssertEqual(all.components(separatedBy: "subgraph \"cluster_").count - 1, Set(p.callbacks.map(\.contexts)).count)
    }

    /// Graphviz is part of the test setup: a missing `dot` fails here, loudly.
    static func requireDot(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "/usr/bin/dot"),
                      "Graphviz's dot is not installed; run scripts/setup.sh", file: file, line: line)
    }

    func testSVGRendersThroughGraphviz() throws {
        Self.requireDot()
        let p = try compileShipped("Policies/examples/nesting.policy").policy
        let svg = try Graphviz.svg(dot: GraphRenderer.dot(p))
        XCTAssertTrue(svg.contains("<svg"), String(svg.prefix(200)))
        for name in ["ops.balance", "ops.pick_next", "demo_take_task", "demo_requeue_local", "invokes"] {
            XCTAssertTrue(svg.contains(name), name)
        }
        XCTAssertThrowsError(try Graphviz.svg(dot: "digraph { a -> }"))
    }

    func testCommandWritesDotAndSvg() throws {
        let dir = makeTempDir("graph")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runProcess(diffToolBinary, ["graph", "Policies/scx-6.12.policy"], cwd: packageRoot)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("// Nesting graph of policy scx"))
        Self.requireDot()
        let s = try runProcess(diffToolBinary, ["graph", "Policies/scx-6.12.policy", "--format", "svg", "-o", dir + "/scx.svg"],
                               cwd: packageRoot)
        XCTAssertEqual(s.status, 0, s.err)
        XCTAssertTrue(try String(contentsOfFile: dir + "/scx.svg", encoding: .utf8).contains("scx_bpf_reenqueue_local"))
        let bad = try runProcess(diffToolBinary, ["graph", "Tests/DiffCases/cycle-on-new-side/new.policy", "--color", "never"], cwd: packageRoot)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.err.contains("KFP501"))
    }
}

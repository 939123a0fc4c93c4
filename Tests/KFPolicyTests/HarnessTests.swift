import Foundation
import KFPolicy
import XCTest

/// Compiles each generated header into a userspace harness with cc, runs its filter, guards and
/// checks for every (callback, kfunc, program type), and compares every answer with the model.
final class HarnessTests: XCTestCase {
    /// What the harness printed, by line kind.
    struct Output {
        var lines: [String]
        func rows(_ kind: String) -> [[String]] {
            lines.filter { $0.hasPrefix(kind + " ") }.map { $0.split(separator: " ").dropFirst().map(String.init) }
        }
    }

    /// The prelude: the policy's struct with callbacks in reversed order and a data member in
    /// the middle (so op indices must come from offsetof), ids for every BTF name, and macros
    /// naming the generated symbols.
    static func prelude(_ p: Policy, header: String) -> String {
        let n = CNamer(p)
        var s = "#ifndef PRELUDE_H\n#define PRELUDE_H\n"
        s += "struct \(p.structName) {\n"
        let members = p.callbacks.reversed().map { "\tvoid (*\($0.name))(void);\n" }
        for (i, m) in members.enumerated() {
            s += m
            if i == members.count / 2 { s += "\tunsigned long some_data;\n" }
        }
        s += "\tchar name[128];\n};\n"
        // Ids: descending, so resolving (sorting) really reorders the pairs.
        var names: [String] = p.kfuncs.map(\.name)
        for k in p.kfuncs { for im in k.impls where !names.contains(im.symbol) { names.append(im.symbol) } }
        for (i, name) in names.enumerated() { s += "asm(\".globl __kfp_id_\(name)\\n.set __kfp_id_\(name), \(5000 - 7 * i)\");\n" }
        s += "asm(\".globl __kfp_id_\(p.structName)\\n.set __kfp_id_\(p.structName), 42\");\n"
        s += "#define STRUCT_BTF_ID 42\n"
        s += "static const u32 kfunc_ids[] = { " + p.kfuncs.indices.map { "\(5000 - 7 * $0), " }.joined() + "0 };\n"
        s += "#include \"\(header)\"\n"
        s += "#define KP(x) \(n.P)_##x\n#define kp(x) \(n.p)_##x\n"
        s += "#define FILTER \(n.filter)\n#define REGISTER \(p.prefix)_register_kfunc_sets\n"
        let hasImpls = p.kfuncs.contains { !$0.impls.isEmpty }
        s += hasImpls ? "#define IMPL_NAME(i) kp(impl_name)[i]\n" : "#define IMPL_NAME(i) \"?\"\n"
        s += "#endif\n"
        return s
    }

    /// Generates, compiles and runs the harness for a policy.
    static func runHarness(_ p: Policy, name: String, compiler: String = "cc") throws -> Output {
        let dir = makeTempDir("harness-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = "\(name)_kfpolicy.h"
        try CEmitter.header(p, sourceName: name + ".policy").write(toFile: dir + "/" + header, atomically: true, encoding: .utf8)
        try prelude(p, header: header).write(toFile: dir + "/prelude.h", atomically: true, encoding: .utf8)
        let cc = try runProcess("/usr/bin/env", [compiler, "-std=gnu11", "-O1", "-Wall", "-Wextra", "-Werror",
                                          "-Wno-unused-function", "-I", dir, "-I", packageRoot + "/Tests/Harness",
                                          packageRoot + "/Tests/Harness/harness.c", "-o", dir + "/harness"])
        guard cc.status == 0 else { throw HarnessError(message: "\(compiler) failed for \(name):\n\(cc.err)") }
        let r = try runProcess(dir + "/harness", [])
        guard r.status == 0 else { throw HarnessError(message: "harness for \(name) exited \(r.status):\n\(r.err)") }
        return Output(lines: r.out.split(separator: "\n").map(String.init))
    }

    struct HarnessError: Error, CustomStringConvertible { let message: String; var description: String { message } }

    /// Compares every line of the harness with the model; returns the number of decisions checked.
    @discardableResult
    static func compare(_ p: Policy, _ out: Output, file: StaticString = #filePath, line: UInt = #line) -> Int {
        var checked = 0
        let cb = Dictionary(uniqueKeysWithValues: p.callbacks.enumerated().map { ($1.name, $0) })
        let kf = Dictionary(uniqueKeysWithValues: p.kfuncs.enumerated().map { ($1.name, $0) })
        XCTAssertEqual(out.rows("X"), [], "harness reported inconsistencies", file: file, line: line)
        // Layout: context words and KF_ flags as stored in .BTF_ids.
        for r in out.rows("W") {
            let k = p.kfuncs[kf[r[0]]!]
            let want = k.mask.bits | (k.requiresSleepable ? 0x8000_0000 : 0)
            XCTAssertEqual(r[1], "found", "\(r[0]) missing from the context set", file: file, line: line)
            XCTAssertEqual(UInt32(r[2]), want, "context word of \(r[0])", file: file, line: line)
        }
        XCTAssertEqual(out.rows("W").count, p.kfuncs.count, file: file, line: line)
        var flagRows = 0
        for r in out.rows("F") {
            let k = p.kfuncs[kf[r[0]]!]
            let want = k.flags.reduce(UInt32(0)) { $0 | (1 << UInt32($1.bit)) }
            XCTAssertEqual(UInt32(r[1]), want, "KF_ flags of \(r[0])", file: file, line: line)
            XCTAssertEqual(r[2], "1", "kfunc sets carry BTF_SET8_KFUNCS", file: file, line: line)
            flagRows += 1
        }
        let registeredMemberships = p.kfuncs.reduce(0) { acc, k in acc + k.sets.filter { !p.sets[$0].progTypes.isEmpty }.count }
        XCTAssertEqual(flagRows, registeredMemberships, "every (kfunc, registered set) pair is in .BTF_ids", file: file, line: line)
        // The filter, as the verifier consults it.
        for r in out.rows("C") {
            let want = p.isAllowed(kf[r[0]]!, .callback(cb[r[1]]!))
            XCTAssertEqual(r[2] == "1", want, "filter: \(r[0]) in ops.\(r[1])", file: file, line: line)
            checked += 1
        }
        XCTAssertEqual(out.rows("C").count, p.kfuncs.count * p.callbacks.count, file: file, line: line)
        for r in out.rows("P") {
            let want = p.isAllowed(kf[r[0]]!, .progType(ProgType(rawValue: r[1])!))
            XCTAssertEqual(r[2] == "1", want, "program type: \(r[0]) from \(r[1])", file: file, line: line)
            checked += 1
        }
        XCTAssertEqual(out.rows("P").count, p.kfuncs.count * ProgType.allCases.count, file: file, line: line)
        // Guards: a kfunc passes iff its contexts meet the running ones and nothing runs nested
        // inside its last context (see Scx612GuardTests for the independent check against 6.12).
        let graph = NestingGraph(p)
        let mayNest = graph.contextNesting()
        func guardAllows(_ k: Int, _ running: ContextMask) -> Bool {
            let m = p.kfuncs[k].mask
            guard m.meets(running), let top = m.indices.last else { return false }
            return !running.meets(mayNest[top])
        }
        for r in out.rows("G") {
            let want = guardAllows(kf[r[0]]!, p.callbacks[cb[r[1]]!].contexts)
            if !p.callbacks[cb[r[1]]!].contexts.meets(ContextMask(bits: mayNest.reduce(0) { $0 | $1.bits })) {
                // No nesting possible among this callback's contexts: exactly the filter's rule.
                XCTAssertEqual(want, p.kfuncs[kf[r[0]]!].mask.meets(p.callbacks[cb[r[1]]!].contexts), file: file, line: line)
            }
            XCTAssertEqual(r[2] == "1", want, "guard: \(r[0]) in ops.\(r[1])", file: file, line: line)
            checked += 1
        }
        // Nesting: every nesting the graph allows can be entered, and then only the inner
        // callback's contexts count for kfuncs.
        for r in out.rows("N") {
            let a = cb[r[0]]!, b = cb[r[1]]!
            let reachable = graph.nestedCallbacks(of: a).contains(b)
            let disjoint = !p.callbacks[a].contexts.meets(p.callbacks[b].contexts)
            if reachable && disjoint {
                XCTAssertEqual(r[2], "1", "guard refuses ops.\(r[1]) inside ops.\(r[0]), which the nesting graph allows", file: file, line: line)
            }
            if !disjoint { XCTAssertEqual(r[2], "0", "guard lets ops.\(r[1]) re-enter contexts of ops.\(r[0])", file: file, line: line) }
            if r[2] == "1" {
                let running = p.callbacks[a].contexts.union(p.callbacks[b].contexts)
                let want = p.kfuncs.indices.map { guardAllows($0, running) ? "1" : "0" }.joined()
                XCTAssertEqual(r[3], want, "kfunc verdicts with ops.\(r[1]) nested in ops.\(r[0])", file: file, line: line)
                checked += p.kfuncs.count
            }
        }
        // Verifier-side instance check.
        for r in out.rows("I") {
            let k = kf[r[0]]!, c = cb[r[1]]!
            let kfn = p.kfuncs[k], cbk = p.callbacks[c]
            let ok = kfn.mask.meets(cbk.contexts) && (!kfn.requiresSleepable || cbk.sleepable)
            XCTAssertEqual(r[2], ok ? "0" : "1", "instance: ops.\(r[1]) calling \(r[0])", file: file, line: line)
            if !ok { XCTAssertEqual(Array(r[3...]), [r[1], r[0]], "path of a bad call", file: file, line: line) }
            checked += 1
        }
        XCTAssertEqual(out.rows("A"), [["0"], ["0"]], "an instance using everything the policy allows is accepted", file: file, line: line)
        // Implementations.
        var impls = Set<String>()
        for (k, kfn) in p.kfuncs.enumerated() {
            for c in p.callbacks.indices where p.implementation(of: k, in: c) != kfn.name {
                impls.insert("\(kfn.name) \(p.callbacks[c].name) \(p.implementation(of: k, in: c))")
            }
        }
        XCTAssertEqual(Set(out.rows("M").map { $0.joined(separator: " ") }), impls, "implementation table", file: file, line: line)
        return checked
    }

    func testEveryShippedPolicyAgreesWithTheModel() throws {
        var total = 0
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            guard c.succeeded else { continue }
            let out = try Self.runHarness(c.policy, name: Generator.stem(of: rel))
            total += Self.compare(c.policy, out)
        }
        XCTAssertGreaterThan(total, 1000)
    }

    func testHeaderCompilesWithClangToo() throws {
        let clang = ["/usr/bin/clang", "/opt/swift/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let clang else { throw XCTSkip("no clang") }
        let c = try compileShipped("Policies/scx.policy")
        let out = try Self.runHarness(c.policy, name: "scx", compiler: clang)
        Self.compare(c.policy, out)
    }

    /// Widening one kfunc's mask by one context changes exactly the decisions for callbacks
    /// that run in that context and not already in the mask.
    func testMutationChangesExactlyTheExpectedDecisions() throws {
        let path = packageRoot + "/Policies/scx.policy"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let original = try compileShipped("Policies/scx.policy")
        guard let r = text.range(of: "kfunc scx_bpf_consume {") else { return XCTFail("scx_bpf_consume not found") }
        guard let allow = text.range(of: "allow dispatch;", range: r.upperBound..<text.endIndex) else { return XCTFail("no allow line") }
        let mutated = text.replacingCharacters(in: allow, with: "allow dispatch | enqueue;")
        let m = Compilation.compile(path: path, bytes: Array(mutated.utf8))
        XCTAssertFalse(m.diagnostics.hasErrors)
        let before = try Self.runHarness(original.policy, name: "scx")
        let after = try Self.runHarness(m.policy, name: "scx")
        Self.compare(m.policy, after)
        let changed = Set(after.rows("C").map { $0.joined(separator: " ") }).subtracting(before.rows("C").map { $0.joined(separator: " ") })
        let enqueueBit = original.policy.contexts.firstIndex { $0.name == "enqueue" }!
        let expected = Set(original.policy.callbacks.filter { $0.contexts.contains(enqueueBit) && !$0.contexts.contains(2) }
            .map { "scx_bpf_consume \($0.name) 1" })
        XCTAssertEqual(changed, expected)
        XCTAssertEqual(changed, ["scx_bpf_consume select_cpu 1", "scx_bpf_consume enqueue 1"])
    }
}

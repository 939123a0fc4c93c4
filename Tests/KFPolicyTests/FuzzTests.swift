import Foundation
import KFPolicy
import KFPolicyFuzz
import XCTest

/// Seeded fuzzing inside the test suite: the same checks as the libFuzzer target
/// (FuzzOracle.check) on mutations of the seed corpus (Tests/FuzzCorpus) and on random
/// policies from a grammar. Fixed seeds, so a failure reproduces; the iteration in the failure
/// message is enough to regenerate the input.
final class FuzzTests: XCTestCase {
    /// SplitMix64: small, fast and the same everywhere.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    static func seeds() throws -> [[UInt8]] {
        let dir = packageRoot + "/Tests/FuzzCorpus"
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0))) }
    }

    /// Pieces a mutation inserts: the language's words and punctuation, and hostile bytes.
    static let tokens: [String] = [
        "policy ", "for ", "struct ", "prefix ", "include \"self.policy\";", "include \"shared.policy\";", "context ", "group ",
        "callback ", "requirement ", "set ", "kfunc ", "nest ", "in ", "flags ", "allow ", "requires ", "invokes ", "impl ",
        "sleepable", "any", "none", "struct_ops", "syscall", "KF_SLEEPABLE", "KF_ACQUIRE | KF_RELEASE", "{", "}", ";", ":", ",",
        "=", "|", "&", "-", "~", "(", ")", "->", "\"", "//", "///", "/*", "*/", "\n", " ", "\t", "\r\n", "\u{0}", "\u{1B}[2J",
        "\u{FF}", "é", "int", "entry", "all", "ALL", "x", "a_kfp_ctx_ids", String(repeating: "(", count: 300),
    ]

    static func mutate(_ input: [UInt8], _ other: [UInt8], _ r: inout Rng) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + r.below(4)) {
            let at = r.below(b.count + 1)
            switch r.below(7) {
            case 0 where !b.isEmpty: b[min(at, b.count - 1)] = UInt8(r.below(256))
            case 1: b.insert(contentsOf: Array(r.pick(tokens).utf8), at: at)
            case 2 where !b.isEmpty:
                let n = min(b.count - min(at, b.count), 1 + r.below(64))
                b.removeSubrange(min(at, b.count)..<min(at, b.count) + n)
            case 3 where !b.isEmpty:
                let from = r.below(b.count), n = min(b.count - from, 1 + r.below(128))
                b.insert(contentsOf: Array(b[from..<from + n]), at: at)
            case 4 where !other.isEmpty:
                let from = r.below(other.count), n = min(other.count - from, 1 + r.below(512))
                b.insert(contentsOf: other[from..<from + n], at: at)
            case 5:
                // Swap one identifier-looking run for a declared-looking name.
                b.insert(contentsOf: Array(r.pick(["select_cpu", "dispatch", "rest", "unlocked", "enqueue", "s", "k", "g"]).utf8), at: at)
            default:
                if b.count > 16_384 { b.removeLast(b.count - 16_384) }
            }
        }
        return b
    }

    /// 2000 mutations of the seed corpus (fixed seed): no crash, every property holds.
    func testMutatedSeedsKeepEveryProperty() throws {
        let seeds = try Self.seeds()
        XCTAssertGreaterThan(seeds.count, 20)
        var r = Rng(state: 0x6b66_706f_6c69_6379)
        var compiledClean = 0
        for i in 0..<2000 {
            let input = Self.mutate(r.pick(seeds), r.pick(seeds), &r)
            FuzzOracle.check(input) // traps on a broken property; the iteration is in the log below
            if i % 500 == 0 { print("fuzz iteration \(i): \(input.count) bytes") }
            if Compilation.compile(path: "fuzz.policy", bytes: input, reader: { (p: String) throws(FileError) -> [UInt8] in
                throw FileError(path: p, reason: "none") }).succeeded { compiledClean += 1 }
        }
        XCTAssertGreaterThan(compiledClean, 50, "the mutations should leave many inputs valid, to reach the emitters")
    }

    // MARK: - Random policies from the grammar

    /// Names, some of them hostile to C, Swift or the generated names.
    static let namePool = ["a", "b", "c", "dispatch", "Dispatch", "init", "self", "Self", "class", "func", "protocol", "let", "in",
                           "enqueue", "rest", "unlocked", "CTX", "K", "k", "op", "OP_IDX", "idx", "all_", "kfp", "NO_OP", "x1", "_u",
                           "kfunc_filter", "register", "entry_", "entry", "all", "struct_ops2", "sleepable_", "group1", "nr_ctx", "NR_KFUNCS"]

    /// A random policy: mostly valid, so that it reaches the checker's semantics and the emitters.
    static func randomPolicy(_ r: inout Rng) -> String {
        var used = Set<String>()
        func fresh() -> String {
            while true {
                let n = r.pick(namePool) + (r.chance(50) ? "\(r.below(100))" : "")
                if used.insert(n).inserted { return n }
            }
        }
        let contexts = (0..<(1 + r.below(8))).map { _ in fresh() }
        var s = "/// Random policy.\npolicy \(fresh()) for struct \(fresh())_ops;\n"
        if r.chance(50) { s += "prefix \(fresh());\n" }
        for c in contexts { s += (r.chance(30) ? "/// Context \(c).\n" : "") + "context \(c);\n" }
        func mask(_ depth: Int = 0) -> String {
            switch r.below(depth > 2 ? 2 : 7) {
            case 0: return r.pick(contexts)
            case 1: return r.pick(contexts) + " | " + r.pick(contexts)
            case 2: return "~" + mask(depth + 1)
            case 3: return "(" + mask(depth + 1) + ")"
            case 4: return mask(depth + 1) + " & " + mask(depth + 1)
            case 5: return mask(depth + 1) + " - " + mask(depth + 1)
            default: return r.chance(50) ? "any" : mask(depth + 1) + " | " + mask(depth + 1)
            }
        }
        var groups: [String] = []
        for _ in 0..<r.below(4) {
            let g = fresh()
            s += "group \(g) = \(groups.isEmpty || r.chance(50) ? mask() : r.pick(groups) + " | " + mask());\n"
            groups.append(g)
        }
        var callbacks: [String] = []
        for _ in 0..<(1 + r.below(8)) {
            let c = fresh()
            callbacks.append(c)
            s += "callback \(c): \(r.chance(30) && !groups.isEmpty ? r.pick(groups) : r.pick(contexts))\(r.chance(30) ? " sleepable" : "");\n"
        }
        let reqs = (0..<r.below(3)).map { _ in fresh() }
        for q in reqs { s += "requirement \(q);\n" }
        let types = ["struct_ops", "tracing", "syscall", "lsm", "kprobe", "xdp", "sched_cls", "netfilter"]
        let sets = (0..<(1 + r.below(4))).map { _ in fresh() }
        for st in sets { s += "set \(st): struct_ops\(r.chance(50) ? ", " + r.pick(Array(types.dropFirst())) : "");\n" }
        for _ in 0..<(1 + r.below(12)) {
            let k = fresh()
            s += "kfunc \(k) {\n    in \(r.pick(sets));\n"
            if r.chance(40) { s += "    flags \(r.pick(["KF_RCU", "KF_TRUSTED_ARGS | KF_RET_NULL", "KF_ACQUIRE", "none", "KF_SLEEPABLE"]));\n" }
            s += "    allow \(r.chance(20) && !groups.isEmpty ? r.pick(groups) : mask());\n"
            if r.chance(25), let q = reqs.first { s += "    requires \(q);\n" }
            if r.chance(15) { s += "    requires sleepable;\n" }
            if r.chance(15) { s += "    invokes \(r.pick(callbacks));\n" }
            if r.chance(15) { s += "    impl \(r.pick(callbacks)) = \(fresh())_impl;\n" }
            s += "}\n"
        }
        if r.chance(30), callbacks.count > 1 { s += "nest \(callbacks[0]) -> \(callbacks[1]);\n" }
        return s
    }

    /// 1000 random policies: every property holds; those that check clean also compile as C
    /// (a sample goes through the userspace harness, which must agree with the model).
    func testRandomPoliciesKeepEveryPropertyAndTheirHeadersAgreeWithTheModel() throws {
        var r = Rng(state: 0x0123_4567_89ab_cdef)
        var clean = 0, harnessed = 0
        for i in 0..<1000 {
            let text = Self.randomPolicy(&r)
            FuzzOracle.check(Array(text.utf8))
            let c = compileText(text, path: "random\(i).policy")
            guard c.succeeded else { continue }
            clean += 1
            if clean % 10 == 1 {
                let out = try HarnessTests.runHarness(c.policy, name: "random\(i)")
                XCTAssertGreaterThan(HarnessTests.compare(c.policy, out), 0, text)
                harnessed += 1
            }
        }
        XCTAssertGreaterThan(clean, 60, "too few random policies check clean to reach the emitters")
        XCTAssertGreaterThan(harnessed, 6)
    }
}

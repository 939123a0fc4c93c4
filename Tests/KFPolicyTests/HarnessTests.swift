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

    /// The prelude: the policy's struct (a data member first, callbacks in reversed order with a
    /// data member in the middle, so the op index must come from offsets and the member index
    /// from BTF), its BTF, ids for every BTF name, the generated header, and what the harness
    /// walks: the policy's own kfuncs in index order, its callbacks, its sets, and the model's
    /// verdicts it needs as input (which kfuncs an instance's callbacks call).
    static func prelude(_ p: Policy, header: String) -> String {
        let n = CNamer(p)
        let own = p.ownKfuncs
        var s = "#ifndef PRELUDE_H\n#define PRELUDE_H\n"
        var members: [(name: String, decl: String)] = [("name", "\tchar name[16];")]
        for (i, c) in p.callbacks.reversed().enumerated() {
            members.append((c.name, "\tvoid (*\(c.name))(void);"))
            if i == p.callbacks.count / 2 { members.append(("some_data", "\tunsigned long some_data;")) }
        }
        let memberNames = members.map(\.name)
        s += "struct \(p.structName) {\n" + members.map(\.decl).joined(separator: "\n") + "\n};\n"
        s += "static const struct btf_member struct_members[] = {\n"
        for m in memberNames { s += "\t{ offsetof(struct \(p.structName), \(m)) * 8 },\n" }
        s += "};\n"
        // Ids: descending, so resolving (sorting) really reorders the pairs.
        var names: [String] = p.kfuncs.map(\.name)
        for k in p.kfuncs { for im in k.impls where !names.contains(im.symbol) { names.append(im.symbol) } }
        for (i, name) in names.enumerated() { s += "asm(\".globl __kfp_id_\(name)\\n.set __kfp_id_\(name), \(5000 - 7 * i)\");\n" }
        s += "asm(\".globl __kfp_id_\(p.structName)\\n.set __kfp_id_\(p.structName), 42\");\n"
        s += "#define STRUCT_BTF_ID 42\n"
        // The first form: its own struct (callbacks in declaration order after a data member).
        if let f = p.forms.first?.policy {
            s += "struct \(f.structName) {\n\tlong form_data;\n" + f.callbacks.map { "\tvoid (*\($0.name))(void);\n" }.joined() + "};\n"
            s += "static const struct btf_member form_members[] = {\n\t{ 0 },\n"
            for c in f.callbacks { s += "\t{ offsetof(struct \(f.structName), \(c.name)) * 8 },\n" }
            s += "};\n"
            s += "static const struct { const char *name; u32 member; u32 off; } form_callbacks[] = {\n"
            for (i, c) in f.callbacks.enumerated() { s += "\t{ \"\(c.name)\", \(i + 1), offsetof(struct \(f.structName), \(c.name)) },\n" }
            s += "};\n"
            s += "asm(\".globl __kfp_id_\(f.structName)\\n.set __kfp_id_\(f.structName), 43\");\n"
            s += "#define HAS_FORM 1\n#define FORM_BTF_ID 43\n#define FORM_CHECK_MEMBER \(n.checkMember)\n"
        }
        s += "#include \"\(header)\"\n"
        s += "static const struct { const char *name; u32 id; } kfuncs[] = {\n"
        for k in own { s += "\t{ \"\(p.kfuncs[k].name)\", \(5000 - 7 * k) },\n" }
        s += "};\n"
        s += "static const struct { const char *name; u32 member; u32 off; } callbacks[] = {\n"
        for c in p.callbacks {
            s += "\t{ \"\(c.name)\", \(memberNames.firstIndex(of: c.name)!), offsetof(struct \(p.structName), \(c.name)) },\n"
        }
        s += "};\n"
        let sets = p.ownSets.filter { s in !p.sets[s].progTypes.isEmpty || p.deniedSets.contains { $0.set == s } }
        s += "static const struct btf_id_set8 *const sets[] = { " + sets.map { "&\(p.sets[$0].name), " }.joined() + "};\n"
        s += "static const char *const allowed_in[] = {\n"
        for c in p.callbacks.indices { s += "\t\"" + own.map { p.isAllowed($0, .callback(c)) ? "1" : "0" }.joined() + "\",\n" }
        s += "};\n"
        if !own.isEmpty { s += "#define HAS_KFUNCS 1\n" }
        s += "#define FILTER \(n.filter)\n#define REGISTER \(n.register)\n#define CTX_LOOKUP \(n.ctxLookup)\n"
        s += "#define CHECK_MEMBER \(n.checkMember)\n"
        s += "#define MODULE_STRUCT \(p.structInVmlinux ? 0 : 1)\n#define MODULE_SETS \(p.module == nil ? 0 : 1)\n"
        if !p.structInVmlinux { s += "#define INIT_BTF \(n.initBTF)\n" } else { s += "#define INIT_BTF(btf) ((void)(btf))\n" }
        if p.kernel.hasMemberOffset { s += "#define MEMBER_OFF 1\n" }
        if ProgType.rawTracepointHasKfuncs(p.kernel.description) { s += "#define RAW_TP_KFUNCS 1\n" }
        if p.runtimeGuards {
            s += "#define HAS_GUARDS 1\n#define ENTER \(n.enter)\n#define LEAVE \(n.leave)\n#define ALLOWED(cur, k) \(n.allowed)(cur, (enum \(n.kfuncEnum))(k))\n"
            s += "#define RUNNING struct \(n.running)\n"
            s += "#define OP_CONTEXTS \(n.opContexts)\n"
        }
        if p.nesting == .per_instance {
            s += "#define HAS_INSTANCE 1\n#define INSTANCE struct \(n.instance)\n#define CHECK_INSTANCE \(n.checkInstance)\n"
        }
        // The implementation choices, by kfunc index and op.
        s += "static inline const char *impl_of(unsigned int k, u32 op)\n{\n"
        for (i, k) in own.enumerated() where !p.kfuncs[k].impls.isEmpty {
            s += "\tif (k == \(i)) {\n\t\tswitch (\(n.implFunction(p.kfuncs[k].name))(op)) {\n"
            for im in p.kfuncs[k].impls { s += "\t\tcase \(n.impl(im.symbol)): return \"\(im.symbol)\";\n" }
            s += "\t\tdefault: return NULL;\n\t\t}\n\t}\n"
        }
        s += "\t(void)k; (void)op;\n\treturn NULL;\n}\n"
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
                                          "-Wno-unused-function", "-Wno-type-limits", "-I", packageRoot + "/Tests/Harness/include", "-I", dir, "-I", packageRoot + "/Tests/Harness",
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
        let own = p.ownKfuncs
        XCTAssertEqual(out.rows("X"), [], "harness reported inconsistencies", file: file, line: line)
        // Layout: each kfunc's contexts as the filter finds them, its KF_ flags in each set.
        for r in out.rows("W") {
            let k = p.kfuncs[kf[r[0]]!]
            let want = k.mask.bits
            XCTAssertEqual(r[1], "found", "\(r[0]) missing from the context table", file: file, line: line)
            XCTAssertEqual(UInt32(r[2]), want, "contexts of \(r[0])", file: file, line: line)
        }
        XCTAssertEqual(out.rows("W").count, own.count, file: file, line: line)
        var flagRows = 0
        for r in out.rows("F") {
            let k = p.kfuncs[kf[r[0]]!]
            let want = k.flags.reduce(UInt32(0)) { $0 | (1 << UInt32($1.bit)) }
            XCTAssertEqual(UInt32(r[1]), want, "KF_ flags of \(r[0])", file: file, line: line)
            XCTAssertEqual(r[2], "1", "kfunc sets carry BTF_SET8_KFUNCS", file: file, line: line)
            flagRows += 1
        }
        let emitted = p.ownSets.filter { s in !p.sets[s].progTypes.isEmpty || p.deniedSets.contains { $0.set == s } }
        XCTAssertEqual(flagRows, own.reduce(0) { $0 + p.kfuncs[$1].sets.filter(emitted.contains).count },
                       "every (kfunc, set) pair is in .BTF_ids", file: file, line: line)
        // The filter, as the verifier consults it.
        for r in out.rows("C") {
            let want = p.isAllowed(kf[r[0]]!, .callback(cb[r[1]]!))
            XCTAssertEqual(r[2] == "1", want, "filter: \(r[0]) in ops.\(r[1])", file: file, line: line)
            checked += 1
        }
        XCTAssertEqual(out.rows("C").count, own.count * p.callbacks.count, file: file, line: line)
        for r in out.rows("S") {
            XCTAssertEqual(r[1] == "1", p.callbacks[cb[r[0]]!].sleepable, "check_member: a sleepable program in ops.\(r[0])", file: file, line: line)
            checked += 1
        }
        // The verifier's first pass, before st_ops is known, decides nothing: the call is
        // decided when it is verified (mainline's filter does the same).
        for r in out.rows("Q") {
            XCTAssertEqual(r[1], "1", "first verifier pass (st_ops unknown): \(r[0])", file: file, line: line)
        }
        XCTAssertEqual(out.rows("Q").count, p.kernel.hasMemberOffset ? own.count : 0, file: file, line: line)
        for r in out.rows("P") {
            let want = p.isAllowed(kf[r[0]]!, .progType(ProgType(rawValue: r[1])!))
            XCTAssertEqual(r[2] == "1", want, "program type: \(r[0]) from \(r[1])", file: file, line: line)
            checked += 1
        }
        XCTAssertEqual(out.rows("P").count, own.count * ProgType.allCases.count, file: file, line: line)
        checked += compareGuards(p, out, file: file, line: line)
        // The first form's struct_ops programs, through the same filter.
        if let f = p.forms.first?.policy {
            for r in out.rows("D") {
                let want = f.isAllowed(f.kfunc(named: r[0])!, .callback(f.callback(named: r[1])!))
                XCTAssertEqual(r[2] == "1", want, "filter, form \(f.name): \(r[0]) in ops.\(r[1])", file: file, line: line)
                checked += 1
            }
            XCTAssertEqual(out.rows("D").count, own.count * f.callbacks.count, file: file, line: line)
            for r in out.rows("E") {
                XCTAssertEqual(r[1] == "1", f.callbacks[f.callback(named: r[0])!].sleepable, "check_member, form: ops.\(r[0])", file: file, line: line)
            }
        }
        // The instance check: an instance using everything the policy allows closes a cycle
        // exactly when the nesting graph has one; an empty instance is always accepted.
        if p.nesting == .per_instance {
            let rows = out.rows("A")
            XCTAssertEqual(rows.count, 2, file: file, line: line)
            let cyclic = !NestingGraph(p).cycles(limit: 1).isEmpty
            XCTAssertEqual(rows.first?.first, cyclic ? "-40" : "0", "instance check of the whole policy", file: file, line: line)
            if cyclic, let path = rows.first?.dropFirst().joined(separator: " ") {
                let steps = path.split(separator: " ").filter { $0 != "->" }
                XCTAssertEqual(steps.first, steps.last, "the path is a cycle: \(path)", file: file, line: line)
            }
            XCTAssertEqual(rows.last, ["0"], file: file, line: line)
        } else {
            XCTAssertEqual(out.rows("A"), [], file: file, line: line)
        }
        // Implementations.
        var impls = Set<String>()
        for k in own {
            for c in p.callbacks.indices where p.implementation(of: k, in: c) != p.kfuncs[k].name {
                impls.insert("\(p.kfuncs[k].name) \(p.callbacks[c].name) \(p.implementation(of: k, in: c))")
            }
        }
        XCTAssertEqual(Set(out.rows("M").map { $0.joined(separator: " ") }), impls, "implementation choices", file: file, line: line)
        return checked
    }

    /// Guards: a kfunc passes iff its contexts meet those of the innermost running callback,
    /// the one whose program calls it (see Scx612GuardTests for the check against 6.12).
    static func compareGuards(_ p: Policy, _ out: Output, file: StaticString, line: UInt) -> Int {
        guard p.runtimeGuards else {
            XCTAssertEqual(out.rows("G") + out.rows("N"), [], file: file, line: line)
            return 0
        }
        var checked = 0
        let cb = Dictionary(uniqueKeysWithValues: p.callbacks.enumerated().map { ($1.name, $0) })
        let kf = Dictionary(uniqueKeysWithValues: p.kfuncs.enumerated().map { ($1.name, $0) })
        let graph = NestingGraph(p)
        func guardAllows(_ k: Int, _ inner: ContextMask) -> Bool { p.kfuncs[k].mask.meets(inner) }
        for r in out.rows("G") {
            XCTAssertEqual(r[2] == "1", guardAllows(kf[r[0]]!, p.callbacks[cb[r[1]]!].contexts), "guard: \(r[0]) in ops.\(r[1])",
                           file: file, line: line)
            checked += 1
        }
        // Every nesting the graph allows can be entered, and then only the inner callback's
        // contexts count for kfuncs.
        for r in out.rows("N") {
            let a = cb[r[0]]!, b = cb[r[1]]!
            let reachable = graph.nestedCallbacks(of: a).contains(b)
            let disjoint = !p.callbacks[a].contexts.meets(p.callbacks[b].contexts)
            if reachable && disjoint {
                XCTAssertEqual(r[2], "1", "guard refuses ops.\(r[1]) inside ops.\(r[0]), which the nesting graph allows", file: file, line: line)
            }
            if !disjoint { XCTAssertEqual(r[2], "0", "guard lets ops.\(r[1]) re-enter contexts of ops.\(r[0])", file: file, line: line) }
            if r[2] == "1" {
                let want = p.ownKfuncs.map { guardAllows($0, p.callbacks[b].contexts) ? "1" : "0" }.joined()
                XCTAssertEqual(r[3], want, "kfunc verdicts with ops.\(r[1]) nested in ops.\(r[0])", file: file, line: line)
                checked += p.ownKfuncs.count
            }
        }
        return checked
    }

    /// The policy generated for the other kernel: the 6.12 member-index path and the 6.16+
    /// member-offset path are both run for every policy.
    static func otherKernel(_ p: Policy) -> Policy {
        var q = p
        q.kernel = p.kernel.hasMemberOffset ? .release(major: 6, minor: 12) : .mainline
        return q
    }

    func testEveryShippedPolicyAgreesWithTheModel() throws {
        var total = 0
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            XCTAssertTrue(c.succeeded, "\(rel) does not compile")
            for p in [c.policy, Self.otherKernel(c.policy)] {
                let out = try Self.runHarness(p, name: Generator.stem(of: rel))
                total += Self.compare(p, out)
            }
        }
        XCTAssertGreaterThan(total, 1000)
    }

    /// A module's policy with guards, the instance check (over a cycle) and implementation
    /// choices: every optional part of the header, run in both kernels' forms.
    func testEveryOptionalPartAgreesWithTheModel() throws {
        let c = Compilation.compile(path: "opt.policy", bytes: Array(Self.optionalPartsPolicy.utf8))
        XCTAssertFalse(c.diagnostics.hasErrors, "\(c.diagnostics.items.map(\.message))")
        for p in [c.policy, Self.otherKernel(c.policy)] {
            let out = try Self.runHarness(p, name: "opt")
            XCTAssertGreaterThan(Self.compare(p, out), 30)
            XCTAssertEqual(out.rows("A").first?.first, "-40", "the cycle is refused")
        }
    }

    static let optionalPartsPolicy = """
        policy opt for struct opt_ops;
        kernel 6.12;
        module opt_mod;
        nesting per_instance;
        runtime_guards;
        context setup;
        context complete;
        context queue;
        callback init: setup sleepable;
        callback submit: queue;
        callback complete: complete;
        set opt_kfunc_ids: struct_ops, syscall;
        kfunc opt_wait { in opt_kfunc_ids; flags KF_SLEEPABLE; allow setup; requires sleepable; }
        kfunc opt_insert { in opt_kfunc_ids; allow complete | queue; impl complete = opt_insert_deferred; }
        kfunc opt_resubmit { in opt_kfunc_ids; allow complete; invokes submit; }
        kfunc opt_kick { in opt_kfunc_ids; allow queue; invokes complete; }

        """

    func testHeaderCompilesWithClangToo() throws {
        let clang = try XCTUnwrap(["/usr/bin/clang", "/opt/swift/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                  "no clang: scripts/setup.sh installs Debian's")
        let c = try compileShipped("Policies/scx.policy")
        let out = try Self.runHarness(c.policy, name: "scx", compiler: clang)
        Self.compare(c.policy, out)
    }

    /// Widening one kfunc's mask by one context changes exactly the decisions for callbacks
    /// that run in that context and not already in the mask.
    func testMutationChangesExactlyTheExpectedDecisions() throws {
        let rel = "Policies/scx-6.12.policy"
        let path = packageRoot + "/" + rel
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let original = try compileShipped(rel)
        guard let r = text.range(of: "kfunc scx_bpf_consume {") else { return XCTFail("scx_bpf_consume not found") }
        guard let allow = text.range(of: "allow dispatch;", range: r.upperBound..<text.endIndex) else { return XCTFail("no allow line") }
        let mutated = text.replacingCharacters(in: allow, with: "allow dispatch | enqueue;")
        let m = Compilation.compile(path: path, bytes: Array(mutated.utf8))
        XCTAssertFalse(m.diagnostics.hasErrors)
        let before = try Self.runHarness(original.policy, name: "scx")
        let after = try Self.runHarness(m.policy, name: "scx")
        Self.compare(m.policy, after)
        let changed = Set(after.rows("C").map { $0.joined(separator: " ") }).subtracting(before.rows("C").map { $0.joined(separator: " ") })
        let p = original.policy
        let enqueue = p.contexts.firstIndex { $0.name == "enqueue" }!, dispatch = p.contexts.firstIndex { $0.name == "dispatch" }!
        let expected = Set(p.callbacks.filter { $0.contexts.contains(enqueue) && !$0.contexts.contains(dispatch) }
            .map { "scx_bpf_consume \($0.name) 1" })
        XCTAssertEqual(changed, expected)
        XCTAssertEqual(changed, ["scx_bpf_consume select_cpu 1", "scx_bpf_consume enqueue 1"])
    }
}

import Foundation
import GeneratedPolicies
import KFPolicy
import KFPolicyRuntime
import XCTest

// The committed Swift tables (target GeneratedPolicies), the C header run in the userspace
// harness, and the model's decision function must give the same answer to every question.

final class SwiftTablesTests: XCTestCase {
    /// The generated type of each shipped policy. A policy added without its Swift tables in
    /// the GeneratedPolicies target fails `testEveryShippedPolicyHasCompiledTables`.
    static let tables: [String: any GeneratedPolicy.Type] = [
        "Policies/scx.policy": ScxPolicy.self,
        "Policies/scx-6.12.policy": Scx612Policy.self,
        "Policies/scx_cid.policy": ScxCidPolicy.self,
        "Policies/tcp_cong.policy": TcpCongPolicy.self,
        "Policies/examples/groups.policy": GroupsPolicy.self,
        "Policies/examples/impls.policy": ImplsPolicy.self,
        "Policies/examples/include.policy": IncludePolicy.self,
        "Policies/examples/minimal.policy": MinimalPolicy.self,
        "Policies/examples/nesting.policy": NestingPolicy.self,
        "Policies/examples/progtypes.policy": ProgtypesPolicy.self,
        "Policies/examples/requirements.policy": RequirementsPolicy.self,
        "Policies/examples/testmod.policy": TestmodPolicy.self,
    ]

    /// The compiled tables of every shipped policy hold exactly the data the emitter computes
    /// from the model today (a stale or hand-edited Generated/*.swift fails here too).
    func testEveryShippedPolicyHasCompiledTables() throws {
        XCTAssertEqual(Set(Self.tables.keys), Set(shippedPolicies()),
                       "every shipped policy needs its generated Swift file in the GeneratedPolicies target (Package.swift) and an entry here")
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            let t = try XCTUnwrap(Self.tables[rel], "\(rel) has no compiled tables")
            XCTAssertEqual(t.table, PolicyTable(c.policy), "\(rel): the compiled table differs from the model's; regenerate")
            XCTAssertEqual(String(describing: t), SwiftNamer(c.policy).typeName, rel)
        }
    }

    /// The Swift tables, the C header (compiled and run in the harness) and the model agree on
    /// every decision of every shipped policy, and on the facts behind them.
    func testSwiftTablesHarnessAndModelAgreeOnEveryDecision() throws {
        var decisions = 0
        var expected = 0
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            let t = try XCTUnwrap(Self.tables[rel], "\(rel) has no compiled tables")
            let harness = try HarnessTests.runHarness(c.policy, name: Generator.stem(of: rel))
            decisions += Self.compare(t, c.policy, harness: harness, rel)
            expected += c.policy.kfuncs.count * (c.policy.callbacks.count + ProgType.allCases.count)
        }
        XCTAssertEqual(decisions, expected, "one three-way comparison per (kfunc, caller) of every policy")
        XCTAssertGreaterThan(decisions, 1000)
    }

    /// Compares one generated type with the model and, for the kfuncs the C registers, with the
    /// harness; returns the decisions checked.
    static func compare<P: GeneratedPolicy>(_: P.Type, _ p: Policy, harness out: HarnessTests.Output, _ rel: String,
                                            file: StaticString = #filePath, line: UInt = #line) -> Int {
        let kfuncs = P.Kfunc.allCases, callbacks = P.Callback.allCases
        XCTAssertEqual(kfuncs.map(\.name), p.kfuncs.map(\.name), "\(rel): kfuncs", file: file, line: line)
        XCTAssertEqual(kfuncs.map(\.rawValue), Array(p.kfuncs.indices), "\(rel): kfunc raw values", file: file, line: line)
        XCTAssertEqual(callbacks.map(\.name), p.callbacks.map(\.name), "\(rel): callbacks", file: file, line: line)
        XCTAssertEqual(callbacks.map(\.rawValue), Array(p.callbacks.indices), "\(rel): callback raw values", file: file, line: line)
        XCTAssertEqual(P.Context.allCases.map(\.name), p.contexts.map(\.name), "\(rel): contexts", file: file, line: line)
        guard kfuncs.count == p.kfuncs.count, callbacks.count == p.callbacks.count else { return 0 }
        XCTAssertEqual(P.name, p.name, file: file, line: line)
        XCTAssertEqual(P.structName, p.structName, file: file, line: line)

        // The harness's answers, by (kfunc, caller), for the kfuncs the C registers.
        func verdicts(_ kind: String) -> [String: Bool] {
            Dictionary(out.rows(kind).map { ("\($0[0]) \($0[1])", $0[2] == "1") }, uniquingKeysWith: { a, _ in a })
        }
        let filter = verdicts("C"), progTypes = verdicts("P")
        let words = Dictionary(out.rows("W").map { ($0[0], UInt32($0[2])) }, uniquingKeysWith: { a, _ in a })
        let impls = Set(out.rows("M").map { $0.joined(separator: " ") })
        let graph = NestingGraph(p)

        for cb in callbacks {
            let m = p.callbacks[cb.rawValue]
            XCTAssertEqual(cb.contexts.rawValue, m.contexts.bits, "\(rel): contexts of ops.\(m.name)", file: file, line: line)
            XCTAssertEqual(cb.isSleepable, m.sleepable, "\(rel): ops.\(m.name) sleepable", file: file, line: line)
            XCTAssertEqual(cb.config, m.config, "\(rel): ops.\(m.name) config", file: file, line: line)
            XCTAssertEqual(cb.nests.map(\.rawValue), p.nests.filter { $0.outer == cb.rawValue }.map(\.inner),
                           "\(rel): nests of ops.\(m.name)", file: file, line: line)
            XCTAssertEqual(cb.nestedCallbacks.map(\.rawValue), graph.nestedCallbacks(of: cb.rawValue),
                           "\(rel): nested in ops.\(m.name)", file: file, line: line)
            XCTAssertEqual(cb.allowedKfuncs.map(\.rawValue), p.kfuncs.indices.filter { p.isAllowed($0, .callback(cb.rawValue)) },
                           "\(rel): kfuncs ops.\(m.name) may call", file: file, line: line)
        }
        XCTAssertEqual(P.nestingGraph.map { describe($0) }, graph.edges.joined().map { e in describe(e, p) },
                       "\(rel): nesting graph", file: file, line: line)
        var checked = 0
        for k in kfuncs {
            let m = p.kfuncs[k.rawValue]
            let own = p.isOwn(k.rawValue)
            XCTAssertEqual(k.contexts.rawValue, m.mask.bits, "\(rel): mask of \(m.name)", file: file, line: line)
            XCTAssertEqual(k.requiresSleepable, m.requiresSleepable, file: file, line: line)
            XCTAssertEqual(k.requirements.map(\.name), m.requires, file: file, line: line)
            if own {
                XCTAssertEqual(k.contexts.rawValue, words[m.name] ?? nil, "\(rel): contexts of \(m.name), Swift vs C",
                               file: file, line: line)
            }
            XCTAssertEqual(k.flags, m.flags.sorted(), "\(rel): KF_ flags of \(m.name)", file: file, line: line)
            XCTAssertEqual(k.programTypes, p.progTypes(of: k.rawValue), file: file, line: line)
            XCTAssertEqual(k.sets.map(\.name), m.sets.map { p.sets[$0].name }, file: file, line: line)
            XCTAssertEqual(k.invokes.map(\.rawValue), m.invokes, file: file, line: line)
            XCTAssertEqual(k.invokesChild.map(\.rawValue), m.invokesChild, file: file, line: line)
            XCTAssertEqual(k.formerNames, m.was, file: file, line: line)
            XCTAssertEqual(k.config, m.config, file: file, line: line)
            XCTAssertEqual(k.allowedCallbacks.map(\.rawValue), p.allowedCallbacks(of: k.rawValue), file: file, line: line)
            for cb in callbacks {
                let name = p.callbacks[cb.rawValue].name, caller = "\(m.name) ops.\(name)"
                let model = p.decide(k.rawValue, .callback(cb.rawValue))
                XCTAssertEqual(model.allowed, p.isAllowed(k.rawValue, .callback(cb.rawValue)), file: file, line: line)
                XCTAssertEqual(P.isAllowed(k, in: cb), model.allowed, "\(rel): \(caller), Swift vs model", file: file, line: line)
                XCTAssertEqual(P.isAllowed(k, by: .callback(cb)), model.allowed, file: file, line: line)
                if own {
                    XCTAssertEqual(filter["\(m.name) \(name)"], model.allowed, "\(rel): \(caller), C filter vs model", file: file, line: line)
                }
                let e = P.explain(k, in: cb)
                XCTAssertEqual(e, Explanation(allowed: model.allowed, summary: model.summary, reasons: model.reasons.map(\.message)),
                               "\(rel): explain \(caller)", file: file, line: line)
                let impl = k.implementation(in: cb)
                XCTAssertEqual(impl, p.implementation(of: k.rawValue, in: cb.rawValue), file: file, line: line)
                if own && impl != m.name {
                    XCTAssertTrue(impls.contains("\(m.name) \(name) \(impl)"), "\(rel): C impl table lacks \(caller) -> \(impl)",
                                  file: file, line: line)
                }
                checked += 1
            }
            for t in ProgramType.allCases {
                let model = p.decide(k.rawValue, .progType(t))
                XCTAssertEqual(model.allowed, p.isAllowed(k.rawValue, .progType(t)), file: file, line: line)
                XCTAssertEqual(P.isAllowed(k, from: t), model.allowed, "\(rel): \(m.name) from \(t), Swift vs model", file: file, line: line)
                if own {
                    XCTAssertEqual(progTypes["\(m.name) \(t.rawValue)"], model.allowed, "\(rel): \(m.name) from \(t), C vs model",
                                   file: file, line: line)
                }
                let e = P.explain(k, by: .programType(t))
                XCTAssertEqual(e, Explanation(allowed: model.allowed, summary: model.summary, reasons: model.reasons.map(\.message)),
                               "\(rel): explain \(m.name) from \(t)", file: file, line: line)
                checked += 1
            }
        }
        for t in ProgramType.allCases {
            XCTAssertEqual(P.kfuncs(allowedFrom: t).map(\.rawValue), p.kfuncs.indices.filter { p.isAllowed($0, .progType(t)) },
                           file: file, line: line)
        }
        return checked
    }

    static func describe<C: GeneratedCallback, K: GeneratedKfunc>(_ e: NestingEdge<C, K>) -> String {
        switch e {
        case .calls(let c, let k): return "calls \(c.name) \(k.name)"
        case .invokes(let k, let c): return "invokes \(k.name) \(c.name)"
        case .nests(let a, let b): return "nests \(a.name) \(b.name)"
        }
    }

    static func describe(_ e: NestingGraph.Edge, _ p: Policy) -> String {
        let nc = p.callbacks.count
        switch e.kind {
        case .calls: return "calls \(p.callbacks[e.from].name) \(p.kfuncs[e.to - nc].name)"
        case .invokes: return "invokes \(p.kfuncs[e.from - nc].name) \(p.callbacks[e.to].name)"
        case .nests: return "nests \(p.callbacks[e.from].name) \(p.callbacks[e.to].name)"
        }
    }

    /// The typed API reads as the policy does (a spot check that the names are the policy's).
    func testTypedLookups() throws {
        XCTAssertTrue(Scx612Policy.isAllowed(.scx_bpf_consume, in: .dispatch))
        XCTAssertFalse(Scx612Policy.isAllowed(.scx_bpf_consume, in: .enqueue))
        XCTAssertTrue(ScxPolicy.isAllowed(.scx_bpf_dsq_move_to_local, in: .dispatch))
        XCTAssertFalse(ScxPolicy.isAllowed(.scx_bpf_dsq_move_to_local, in: .enqueue))
        XCTAssertTrue(ScxPolicy.isAllowed(.scx_bpf_dsq_insert, in: .dispatch))
        XCTAssertEqual(ScxPolicy.kfunc(named: "scx_bpf_dsq_insert"), .scx_bpf_dsq_insert)
        XCTAssertEqual(ScxPolicy.callback(named: "init"), .init_, "'init' is spelled init_ in Swift")
        XCTAssertEqual(ScxPolicy.Callback.init_.name, "init")
        XCTAssertNil(ScxPolicy.kfunc(named: "scx_bpf_consume"), "renamed in mainline")
        XCTAssertEqual(ScxPolicy.Kfunc.scx_bpf_dsq_move_to_local.formerNames, ["scx_bpf_consume"])
        XCTAssertEqual(Scx612Policy.Contexts.rq_locked.description, "cpu_release | dispatch | enqueue | select_cpu | rest")
        XCTAssertEqual(ImplsPolicy.Kfunc.demo_insert.implementation(in: .dispatch), "demo_insert_deferred")
        XCTAssertEqual(ImplsPolicy.Kfunc.demo_insert.implementation(in: .enqueue), "demo_insert")
        XCTAssertEqual(MinimalPolicy.Kfunc.allCases, [])
        XCTAssertEqual(MinimalPolicy.Callback.hook.contexts, [.hook])
        // One runtime: the helper types of every policy are the same types.
        XCTAssertTrue(ScxPolicy.ProgramType.self == TcpCongPolicy.ProgramType.self)
        XCTAssertTrue(ScxPolicy.Explanation.self == TcpCongPolicy.Explanation.self)
        let c = try compileShipped("Policies/scx.policy")
        XCTAssertEqual(ScxPolicy.kfuncs(allowedFrom: .tracing).map(\.name),
                       c.policy.kfuncs.indices.filter { c.policy.isAllowed($0, .progType(.tracing)) }.map { c.policy.kfuncs[$0].name })
    }
}

/// The runtime answers as the model for a policy that uses every fact a decision reads: external
/// sets, `deny set`, program types that share a kfunc hook, Kconfig conditions, `was` and
/// `invokes child`. No shipped policy has all of them, so the table is built in the test.
final class SwiftTablesFeatureTests: XCTestCase {
    static let policy = """
        /// A policy that uses every fact a decision reads.
        policy feat for struct feat_ops;
        prefix feat;
        context a;
        context b;
        context c;
        callback one: a;
        callback two: b | c sleepable;
        if CONFIG_FEAT_THREE {
            callback three: c;
        }
        callback child_cb: a;
        set feat_ids: struct_ops, tracing;
        set feat_deny: struct_ops;
        external set bpf_generic: struct_ops, lsm;
        deny set feat_deny;
        kfunc feat_plain { in feat_ids; allow a | b; invokes child child_cb; }
        kfunc feat_sleep { in feat_ids; allow b | c; requires sleepable; flags KF_SLEEPABLE; was feat_old_sleep; }
        kfunc feat_denied { in feat_deny; allow a; }
        kfunc bpf_generic_lock { in bpf_generic; allow a | b | c; }
        if CONFIG_FEAT_EXTRA {
            kfunc feat_extra { in feat_ids; allow c; impl three = feat_extra_three; }
        }

        """

    func testRuntimeTableAnswersAsTheModel() throws {
        let c = compileText(Self.policy, path: "feat.policy")
        XCTAssertFalse(c.diagnostics.hasErrors, c.diagnostics.items.map(\.message).joined(separator: "\n"))
        let p = c.policy, t = PolicyTable(p)
        for k in p.kfuncs.indices {
            for cb in p.callbacks.indices {
                let model = p.decide(k, .callback(cb)), table = t.decide(kfunc: k, inCallback: cb)
                XCTAssertEqual(table.explanation, Explanation(allowed: model.allowed, summary: model.summary,
                                                              reasons: model.reasons.map(\.message)))
                XCTAssertEqual(t.isAllowed(kfunc: k, inCallback: cb), model.allowed)
            }
            for pt in ProgramType.allCases {
                let model = p.decide(k, .progType(pt)), table = t.decide(kfunc: k, from: pt)
                XCTAssertEqual(table.explanation, Explanation(allowed: model.allowed, summary: model.summary,
                                                              reasons: model.reasons.map(\.message)))
            }
        }
        // Each feature reaches the table's answers (the sentences are the model's own).
        func explain(_ k: String, _ c: String) -> Explanation {
            t.decide(kfunc: p.kfunc(named: k)!, inCallback: p.callback(named: c)!).explanation
        }
        func explain(_ k: String, _ type: ProgramType) -> Explanation { t.decide(kfunc: p.kfunc(named: k)!, from: type).explanation }
        XCTAssertFalse(explain("feat_denied", "one").allowed)
        XCTAssertTrue(explain("feat_denied", "one").reasons.contains("policy 'feat' denies set 'feat_deny'"))
        XCTAssertTrue(explain("bpf_generic_lock", .struct_ops).allowed, "external sets serve struct_ops of every interface")
        XCTAssertFalse(explain("feat_plain", .struct_ops).allowed)
        XCTAssertTrue(explain("feat_plain", .lsm).allowed, "lsm shares the tracing hook")
        XCTAssertTrue(explain("feat_plain", .lsm).reasons.contains("set 'feat_ids' is registered for tracing, whose kfunc hook lsm programs share"))
        XCTAssertTrue(explain("feat_extra", "three").reasons.contains("'feat_extra' exists only with CONFIG_FEAT_EXTRA"))
        XCTAssertTrue(explain("feat_extra", "three").reasons.contains("ops.three exists only with CONFIG_FEAT_THREE"))
        XCTAssertTrue(explain("feat_extra", "three").reasons.contains("in ops.three it is implemented by 'feat_extra_three'"))
        XCTAssertFalse(explain("feat_sleep", "three").allowed)
        XCTAssertEqual(t.kfuncs[p.kfunc(named: "feat_sleep")!].formerNames, ["feat_old_sleep"])
        XCTAssertEqual(t.kfuncs[p.kfunc(named: "feat_plain")!].invokesChild, [p.callback(named: "child_cb")!])
        XCTAssertEqual(t.sets.map(\.external), [false, false, true])
        XCTAssertEqual(t.deniedSets, [1])
    }

    /// The generated file of this policy type-checks against the runtime, and its typed API
    /// answers as the table does.
    func testGeneratedFileCompilesAgainstTheRuntime() throws {
        let c = compileText(Self.policy, path: "feat.policy")
        XCTAssertFalse(c.diagnostics.hasErrors)
        let src = SwiftEmitter.source(c.policy, sourceName: "feat.policy") + """

            func use() -> [Bool] {
                [FeatPolicy.isAllowed(.bpf_generic_lock, from: .struct_ops), !FeatPolicy.isAllowed(.feat_denied, in: .one),
                 FeatPolicy.Kfunc.feat_sleep.formerNames == ["feat_old_sleep"], FeatPolicy.KfuncSet.bpf_generic.isExternal,
                 FeatPolicy.Kfunc.feat_plain.invokesChild == [.child_cb], FeatPolicy.Callback.three.config == ["CONFIG_FEAT_THREE"]]
            }

            """
        try SwiftTablesNamingTests.typecheck(src, name: "feat")
    }
}

/// Naming: reserved words are escaped in one place, and escaped names still compile.
final class SwiftTablesNamingTests: XCTestCase {
    /// Names that are Swift keywords but not C ones (the checker reserves C's), and names of
    /// members the runtime gives the generated types.
    static let awkward = """
        /// A policy whose names are Swift's reserved words.
        policy protocol for struct class_ops;
        prefix kw;
        context self;
        context Type;
        context in;
        context Policy;
        group all = self | Type;
        callback init, guard, allCases: self;
        callback protocol: Type | in;
        callback RawValue: Policy;
        set extension: struct_ops, syscall;
        kfunc import { in extension; allow all; }
        kfunc _ { in extension; allow in; }
        kfunc func { in extension; allow self; invokes protocol; }
        kfunc Policy { in extension; allow Policy; }

        """

    func testReservedWordsAreEscapedOnce() throws {
        let c = compileText(Self.awkward, path: "kw.policy")
        XCTAssertFalse(c.diagnostics.hasErrors, c.diagnostics.items.map(\.message).joined(separator: "\n"))
        let n = SwiftNamer(c.policy)
        XCTAssertEqual(n.typeName, "KwPolicy")
        XCTAssertEqual(n.masks["self"], "self_")
        XCTAssertEqual(n.masks["Type"], "Type_")
        XCTAssertEqual(n.masks["in"], "`in`")
        XCTAssertEqual(n.masks["all"], "all_", "a group called 'all' must not shadow Contexts.all")
        XCTAssertEqual(n.masks["Policy"], "Policy_", "'Policy' would shadow the types' typealias")
        XCTAssertEqual(n.callbacks["init"], "init_")
        XCTAssertEqual(n.callbacks["guard"], "`guard`")
        XCTAssertEqual(n.callbacks["protocol"], "`protocol`")
        XCTAssertEqual(n.callbacks["allCases"], "allCases_")
        XCTAssertEqual(n.callbacks["RawValue"], "RawValue_")
        XCTAssertEqual(n.kfuncs["_"], "__")
        XCTAssertEqual(n.kfuncs["import"], "`import`")
        XCTAssertEqual(n.kfuncs["Policy"], "Policy_")
        XCTAssertEqual(n.sets["extension"], "`extension`")
        XCTAssertEqual(SwiftNamer.fileName(forPolicyAt: "a/tcp_cong.policy"), "TcpCongPolicy.swift")
        XCTAssertEqual(SwiftNamer.fileName(forPolicyAt: "my-sched.policy"), "MySchedPolicy.swift")
        XCTAssertEqual(SwiftNamer.fileName(forPolicyAt: "9lives.policy"), "P9livesPolicy.swift")
    }

    /// The generated file for awkward names type-checks under Swift 6 with no warning.
    func testAwkwardNamesCompileWithoutWarnings() throws {
        let c = compileText(Self.awkward, path: "kw.policy")
        XCTAssertFalse(c.diagnostics.hasErrors, c.diagnostics.items.map(\.message).joined(separator: "\n"))
        let src = SwiftEmitter.source(c.policy, sourceName: "kw.policy") + """

            func use() -> [Bool] {
                [KwPolicy.isAllowed(.import, in: .init_), KwPolicy.isAllowed(.__, in: .protocol),
                 KwPolicy.isAllowed(.`func`, in: .`guard`), KwPolicy.Contexts.all_ == [.self_, .Type_],
                 KwPolicy.Kfunc.func.invokes == [.protocol], KwPolicy.callback(named: "init") == .init_,
                 KwPolicy.Contexts.in.description == "in", KwPolicy.KfuncSet.extension.name == "extension",
                 KwPolicy.isAllowed(.Policy_, in: .RawValue_), KwPolicy.Contexts.all == [.self_, .Type_, .in, .Policy_]]
            }

            """
        try Self.typecheck(src, name: "kw")
    }

    /// Type-checks one generated file against the built KFPolicyRuntime module, warnings as errors.
    static func typecheck(_ src: String, name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = makeTempDir("swift-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try src.write(toFile: dir + "/\(name).swift", atomically: true, encoding: .utf8)
        let modules = URL(fileURLWithPath: SwiftTablesGeneratedFilesTests.builtProduct("kfpolicy")).deletingLastPathComponent()
            .appendingPathComponent("Modules").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: modules + "/KFPolicyRuntime.swiftmodule"),
                      "the built KFPolicyRuntime module is missing from \(modules)", file: file, line: line)
        let r = try runProcess("/usr/bin/env", ["swiftc", "-swift-version", "6", "-parse-as-library", "-typecheck",
                                                "-warnings-as-errors", "-I", modules, dir + "/\(name).swift"])
        XCTAssertEqual(r.status, 0, r.err, file: file, line: line)
        XCTAssertFalse(src.contains(dir), "no absolute path in output", file: file, line: line)
    }
}

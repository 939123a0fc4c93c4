import Foundation
import GeneratedPolicies
import KFPolicy
import XCTest

// The committed Swift tables (target GeneratedPolicies), the C header run in the userspace
// harness, and the model's decision function must give the same answer to every question.

/// What these tests read from a generated policy type. Every generated type has these members;
/// the protocols only let one generic test walk them all.
protocol SwiftTablesMask { var rawValue: UInt32 { get } }
protocol SwiftTablesExplanation {
    var allowed: Bool { get }
    var summary: String { get }
    var reasons: [String] { get }
}
protocol SwiftTablesCallback: CaseIterable, Hashable where AllCases == [Self] {
    associatedtype Mask: SwiftTablesMask
    var rawValue: Int { get }
    var name: String { get }
    var contexts: Mask { get }
    var isSleepable: Bool { get }
    var nests: [Self] { get }
    var nestedCallbacks: [Self] { get }
}
protocol SwiftTablesKfunc: CaseIterable, Hashable where AllCases == [Self] {
    associatedtype Callback: SwiftTablesCallback
    associatedtype Mask: SwiftTablesMask
    associatedtype Flags: SwiftTablesMask
    associatedtype ProgramType: RawRepresentable where ProgramType.RawValue == String
    var rawValue: Int { get }
    var name: String { get }
    var flags: Flags { get }
    var contexts: Mask { get }
    var contextWord: UInt32 { get }
    var requiresSleepable: Bool { get }
    var programTypes: [ProgramType] { get }
    var invokes: [Callback] { get }
    func implementation(in callback: Callback) -> String
}
protocol SwiftTables {
    associatedtype Kfunc: SwiftTablesKfunc
    associatedtype ProgramType: CaseIterable & RawRepresentable where ProgramType.RawValue == String, ProgramType == Kfunc.ProgramType
    associatedtype Explanation: SwiftTablesExplanation
    associatedtype NestingEdge
    static var name: String { get }
    static var structName: String { get }
    static var nestingGraph: [NestingEdge] { get }
    static func isAllowed(_ kfunc: Kfunc, in callback: Kfunc.Callback) -> Bool
    static func isAllowed(_ kfunc: Kfunc, from programType: ProgramType) -> Bool
    static func explain(_ kfunc: Kfunc, in callback: Kfunc.Callback) -> Explanation
    static func explain(_ kfunc: Kfunc, from programType: ProgramType) -> Explanation
}

extension ScxPolicy: SwiftTables {}
extension ScxPolicy.Kfunc: SwiftTablesKfunc {}
extension ScxPolicy.Callback: SwiftTablesCallback {}
extension ScxPolicy.Contexts: SwiftTablesMask {}
extension ScxPolicy.KFFlags: SwiftTablesMask {}
extension ScxPolicy.Explanation: SwiftTablesExplanation {}
extension TcpCongPolicy: SwiftTables {}
extension TcpCongPolicy.Kfunc: SwiftTablesKfunc {}
extension TcpCongPolicy.Callback: SwiftTablesCallback {}
extension TcpCongPolicy.Contexts: SwiftTablesMask {}
extension TcpCongPolicy.KFFlags: SwiftTablesMask {}
extension TcpCongPolicy.Explanation: SwiftTablesExplanation {}
extension GroupsPolicy: SwiftTables {}
extension GroupsPolicy.Kfunc: SwiftTablesKfunc {}
extension GroupsPolicy.Callback: SwiftTablesCallback {}
extension GroupsPolicy.Contexts: SwiftTablesMask {}
extension GroupsPolicy.KFFlags: SwiftTablesMask {}
extension GroupsPolicy.Explanation: SwiftTablesExplanation {}
extension ImplsPolicy: SwiftTables {}
extension ImplsPolicy.Kfunc: SwiftTablesKfunc {}
extension ImplsPolicy.Callback: SwiftTablesCallback {}
extension ImplsPolicy.Contexts: SwiftTablesMask {}
extension ImplsPolicy.KFFlags: SwiftTablesMask {}
extension ImplsPolicy.Explanation: SwiftTablesExplanation {}
extension IncludePolicy: SwiftTables {}
extension IncludePolicy.Kfunc: SwiftTablesKfunc {}
extension IncludePolicy.Callback: SwiftTablesCallback {}
extension IncludePolicy.Contexts: SwiftTablesMask {}
extension IncludePolicy.KFFlags: SwiftTablesMask {}
extension IncludePolicy.Explanation: SwiftTablesExplanation {}
extension MinimalPolicy: SwiftTables {}
extension MinimalPolicy.Kfunc: SwiftTablesKfunc {}
extension MinimalPolicy.Callback: SwiftTablesCallback {}
extension MinimalPolicy.Contexts: SwiftTablesMask {}
extension MinimalPolicy.KFFlags: SwiftTablesMask {}
extension MinimalPolicy.Explanation: SwiftTablesExplanation {}
extension NestingPolicy: SwiftTables {}
extension NestingPolicy.Kfunc: SwiftTablesKfunc {}
extension NestingPolicy.Callback: SwiftTablesCallback {}
extension NestingPolicy.Contexts: SwiftTablesMask {}
extension NestingPolicy.KFFlags: SwiftTablesMask {}
extension NestingPolicy.Explanation: SwiftTablesExplanation {}
extension ProgtypesPolicy: SwiftTables {}
extension ProgtypesPolicy.Kfunc: SwiftTablesKfunc {}
extension ProgtypesPolicy.Callback: SwiftTablesCallback {}
extension ProgtypesPolicy.Contexts: SwiftTablesMask {}
extension ProgtypesPolicy.KFFlags: SwiftTablesMask {}
extension ProgtypesPolicy.Explanation: SwiftTablesExplanation {}
extension RequirementsPolicy: SwiftTables {}
extension RequirementsPolicy.Kfunc: SwiftTablesKfunc {}
extension RequirementsPolicy.Callback: SwiftTablesCallback {}
extension RequirementsPolicy.Contexts: SwiftTablesMask {}
extension RequirementsPolicy.KFFlags: SwiftTablesMask {}
extension RequirementsPolicy.Explanation: SwiftTablesExplanation {}
extension TestmodPolicy: SwiftTables {}
extension TestmodPolicy.Kfunc: SwiftTablesKfunc {}
extension TestmodPolicy.Callback: SwiftTablesCallback {}
extension TestmodPolicy.Contexts: SwiftTablesMask {}
extension TestmodPolicy.KFFlags: SwiftTablesMask {}
extension TestmodPolicy.Explanation: SwiftTablesExplanation {}

final class SwiftTablesTests: XCTestCase {
    /// The generated type of each shipped policy. A policy added without its Swift tables in
    /// the GeneratedPolicies target fails `testEveryShippedPolicyHasCompiledTables`.
    static var tables: [String: any SwiftTables.Type] { [
        "Policies/scx.policy": ScxPolicy.self,
        "Policies/tcp_cong.policy": TcpCongPolicy.self,
        "Policies/examples/groups.policy": GroupsPolicy.self,
        "Policies/examples/impls.policy": ImplsPolicy.self,
        "Policies/examples/include.policy": IncludePolicy.self,
        "Policies/examples/minimal.policy": MinimalPolicy.self,
        "Policies/examples/nesting.policy": NestingPolicy.self,
        "Policies/examples/progtypes.policy": ProgtypesPolicy.self,
        "Policies/examples/requirements.policy": RequirementsPolicy.self,
        "Policies/examples/testmod.policy": TestmodPolicy.self,
    ] }

    func testEveryShippedPolicyHasCompiledTables() throws {
        XCTAssertEqual(Set(Self.tables.keys), Set(shippedPolicies()),
                       "every shipped policy needs its generated Swift file in the GeneratedPolicies target (Package.swift) and an entry here")
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            guard let t = Self.tables[rel] else { continue }
            XCTAssertEqual(t.name, c.policy.name, rel)
            XCTAssertEqual(String(describing: t), SwiftNamer(c.policy).typeName, rel)
        }
    }

    /// The Swift tables, the C header (compiled and run in the harness) and the model agree on
    /// every decision of every shipped policy, and on the facts behind them.
    func testSwiftTablesHarnessAndModelAgreeOnEveryDecision() throws {
        var decisions = 0
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            guard c.succeeded, let t = Self.tables[rel] else { continue }
            let harness = try HarnessTests.runHarness(c.policy, name: Generator.stem(of: rel))
            HarnessTests.compare(c.policy, harness) // harness == model
            decisions += Self.compare(t, c.policy, harness, rel) // Swift == model and Swift == harness
        }
        let expected = try shippedPolicies().map { try compileShipped($0).policy }
            .reduce(0) { $0 + $1.kfuncs.count * ($1.callbacks.count + ProgType.allCases.count) }
        XCTAssertEqual(decisions, expected, "one three-way comparison per (kfunc, caller) of every policy")
        XCTAssertGreaterThan(decisions, 1000)
    }

    /// Compares one generated type with the model and the harness; returns the decisions checked.
    static func compare<T: SwiftTables>(_: T.Type, _ p: Policy, _ out: HarnessTests.Output, _ rel: String,
                                        file: StaticString = #filePath, line: UInt = #line) -> Int {
        let kfuncs = T.Kfunc.allCases, callbacks = T.Kfunc.Callback.allCases, types = T.ProgramType.allCases
        XCTAssertEqual(kfuncs.map(\.name), p.kfuncs.map(\.name), "\(rel): kfuncs", file: file, line: line)
        XCTAssertEqual(kfuncs.map(\.rawValue), Array(p.kfuncs.indices), "\(rel): kfunc raw values are C indices", file: file, line: line)
        XCTAssertEqual(callbacks.map(\.name), p.callbacks.map(\.name), "\(rel): callbacks", file: file, line: line)
        XCTAssertEqual(callbacks.map(\.rawValue), Array(p.callbacks.indices), "\(rel): callback raw values", file: file, line: line)
        XCTAssertEqual(types.map(\.rawValue), ProgType.allCases.map(\.rawValue), "\(rel): program types", file: file, line: line)
        guard kfuncs.count == p.kfuncs.count, callbacks.count == p.callbacks.count else { return 0 }
        XCTAssertEqual(T.structName, p.structName, file: file, line: line)

        // The harness's answers, by (kfunc, caller).
        func verdicts(_ kind: String) -> [String: Bool] {
            Dictionary(out.rows(kind).map { ("\($0[0]) \($0[1])", $0[2] == "1") }, uniquingKeysWith: { a, _ in a })
        }
        let filter = verdicts("C"), progTypes = verdicts("P")
        let words = Dictionary(out.rows("W").map { ($0[0], UInt32($0[2])) }, uniquingKeysWith: { a, _ in a })
        let flags = Dictionary(out.rows("F").map { ($0[0], UInt32($0[1])) }, uniquingKeysWith: { a, _ in a })
        let impls = Set(out.rows("M").map { $0.joined(separator: " ") })
        let graph = NestingGraph(p)

        var checked = 0
        for cb in callbacks {
            let m = p.callbacks[cb.rawValue]
            XCTAssertEqual(cb.contexts.rawValue, m.contexts.bits, "\(rel): contexts of ops.\(m.name)", file: file, line: line)
            XCTAssertEqual(cb.isSleepable, m.sleepable, "\(rel): ops.\(m.name) sleepable", file: file, line: line)
            XCTAssertEqual(cb.nests.map(\.rawValue), p.nests.filter { $0.outer == cb.rawValue }.map(\.inner), "\(rel): nests of ops.\(m.name)", file: file, line: line)
            XCTAssertEqual(cb.nestedCallbacks.map(\.rawValue), graph.nestedCallbacks(of: cb.rawValue), "\(rel): nested in ops.\(m.name)", file: file, line: line)
        }
        XCTAssertEqual(T.nestingGraph.count, graph.edges.joined().count, "\(rel): nesting graph edges", file: file, line: line)
        for k in kfuncs {
            let m = p.kfuncs[k.rawValue]
            XCTAssertEqual(k.contexts.rawValue, m.mask.bits, "\(rel): mask of \(m.name)", file: file, line: line)
            XCTAssertEqual(k.requiresSleepable, m.requiresSleepable, file: file, line: line)
            XCTAssertEqual(k.contextWord, words[m.name] ?? nil, "\(rel): context word of \(m.name), Swift vs C", file: file, line: line)
            let modelFlags = m.flags.reduce(UInt32(0)) { $0 | (1 << UInt32($1.bit)) }
            XCTAssertEqual(k.flags.rawValue, modelFlags, "\(rel): KF_ flags of \(m.name)", file: file, line: line)
            if let cFlags = flags[m.name] { XCTAssertEqual(k.flags.rawValue, cFlags, "\(rel): KF_ flags of \(m.name), Swift vs C", file: file, line: line) }
            XCTAssertEqual(k.programTypes.map(\.rawValue), p.progTypes(of: k.rawValue).map(\.rawValue), file: file, line: line)
            XCTAssertEqual(k.invokes.map(\.rawValue), m.invokes, file: file, line: line)
            for cb in callbacks {
                let caller = "\(m.name) ops.\(p.callbacks[cb.rawValue].name)"
                let model = p.decide(k.rawValue, .callback(cb.rawValue))
                XCTAssertEqual(model.allowed, p.isAllowed(k.rawValue, .callback(cb.rawValue)), file: file, line: line)
                XCTAssertEqual(T.isAllowed(k, in: cb), model.allowed, "\(rel): \(caller), Swift vs model", file: file, line: line)
                XCTAssertEqual(filter["\(m.name) \(p.callbacks[cb.rawValue].name)"], model.allowed, "\(rel): \(caller), C filter vs model", file: file, line: line)
                let e = T.explain(k, in: cb)
                XCTAssertEqual(e.allowed, model.allowed, file: file, line: line)
                XCTAssertEqual(e.summary, model.summary, "\(rel): explain \(caller)", file: file, line: line)
                XCTAssertEqual(e.reasons, model.reasons.map(\.message), "\(rel): reasons \(caller)", file: file, line: line)
                let impl = k.implementation(in: cb)
                XCTAssertEqual(impl, p.implementation(of: k.rawValue, in: cb.rawValue), file: file, line: line)
                if impl != m.name {
                    XCTAssertTrue(impls.contains("\(m.name) \(p.callbacks[cb.rawValue].name) \(impl)"), "\(rel): C impl table lacks \(caller) -> \(impl)", file: file, line: line)
                }
                checked += 1
            }
            for t in types {
                let pt = ProgType(rawValue: t.rawValue)!
                let model = p.decide(k.rawValue, .progType(pt))
                XCTAssertEqual(model.allowed, p.isAllowed(k.rawValue, .progType(pt)), file: file, line: line)
                XCTAssertEqual(T.isAllowed(k, from: t), model.allowed, "\(rel): \(m.name) from \(pt), Swift vs model", file: file, line: line)
                XCTAssertEqual(progTypes["\(m.name) \(pt.rawValue)"], model.allowed, "\(rel): \(m.name) from \(pt), C vs model", file: file, line: line)
                let e = T.explain(k, from: t)
                XCTAssertEqual(e.allowed, model.allowed, file: file, line: line)
                XCTAssertEqual(e.summary, model.summary, "\(rel): explain \(m.name) from \(pt)", file: file, line: line)
                XCTAssertEqual(e.reasons, model.reasons.map(\.message), "\(rel): reasons \(m.name) from \(pt)", file: file, line: line)
                checked += 1
            }
        }
        return checked
    }

    /// The typed API reads as the policy does (a spot check that the names are the policy's).
    func testTypedLookups() throws {
        XCTAssertTrue(Scx612Policy.isAllowed(.scx_bpf_consume, in: .dispatch))
        XCTAssertFalse(Scx612Policy.isAllowed(.scx_bpf_consume, in: .enqueue))
        XCTAssertTrue(ScxPolicy.isAllowed(.scx_bpf_dsq_move_to_local, in: .dispatch))
        XCTAssertFalse(ScxPolicy.isAllowed(.scx_bpf_dsq_move_to_local, in: .enqueue))
        XCTAssertEqual(ScxPolicy.kfunc(named: "scx_bpf_dsq_insert"), .scx_bpf_dsq_insert)
        XCTAssertEqual(ScxPolicy.callback(named: "init"), .init_, "'init' is spelled init_ in Swift")
        XCTAssertEqual(ScxPolicy.Callback.init_.name, "init")
        XCTAssertNil(ScxPolicy.kfunc(named: "scx_bpf_consume"), "renamed in mainline")
        XCTAssertEqual(Scx612Policy.Contexts.rq_locked.description, "cpu_release | dispatch | enqueue | select_cpu | rest")
        XCTAssertEqual(ImplsPolicy.Kfunc.demo_insert.implementation(in: .dispatch), "demo_insert_deferred")
        XCTAssertEqual(ImplsPolicy.Kfunc.demo_insert.implementation(in: .enqueue), "demo_insert")
        XCTAssertEqual(MinimalPolicy.Kfunc.allCases, [])
        XCTAssertEqual(MinimalPolicy.Callback.hook.contexts, [.hook])
        let c = try compileShipped("Policies/scx.policy")
        XCTAssertEqual(ScxPolicy.kfuncs(allowedFrom: .tracing).map(\.name),
                       c.policy.kfuncs.indices.filter { c.policy.isAllowed($0, .progType(.tracing)) }.map { c.policy.kfuncs[$0].name })
    }
}

/// Naming: reserved words are escaped in one place, and escaped names still compile.
final class SwiftTablesNamingTests: XCTestCase {
    /// Names that are Swift keywords but not C ones (the checker reserves C's).
    static let awkward = """
        /// A policy whose names are Swift's reserved words.
        policy protocol for struct class_ops;
        prefix kw;
        context self;
        context Type;
        context in;
        group all = self | Type;
        callback init, guard, allCases: self;
        callback protocol: Type | in;
        set extension: struct_ops, syscall;
        kfunc import { in extension; allow all; }
        kfunc _ { in extension; allow in; }
        kfunc func { in extension; allow self; invokes protocol; }

        """

    func testReservedWordsAreEscapedOnce() throws {
        let c = compileText(Self.awkward, path: "kw.policy")
        XCTAssertFalse(c.diagnostics.hasErrors, c.diagnostics.items.map(\.message).joined(separator: "\n"))
        let n = SwiftNamer(c.policy)
        XCTAssertEqual(n.typeName, "ProtocolPolicy")
        XCTAssertEqual(n.masks["self"], "self_")
        XCTAssertEqual(n.masks["Type"], "Type_")
        XCTAssertEqual(n.masks["in"], "`in`")
        XCTAssertEqual(n.masks["all"], "all_", "a group called 'all' must not shadow Contexts.all")
        XCTAssertEqual(n.callbacks["init"], "init_")
        XCTAssertEqual(n.callbacks["guard"], "`guard`")
        XCTAssertEqual(n.callbacks["protocol"], "`protocol`")
        XCTAssertEqual(n.callbacks["allCases"], "allCases_")
        XCTAssertEqual(n.kfuncs["_"], "__")
        XCTAssertEqual(n.kfuncs["import"], "`import`")
        XCTAssertEqual(n.sets["extension"], "`extension`")
        XCTAssertEqual(SwiftNamer.fileName(forPolicyAt: "a/tcp_cong.policy"), "TcpCongPolicy.swift")
        XCTAssertEqual(SwiftNamer.fileName(forPolicyAt: "my-sched.policy"), "MySchedPolicy.swift")
        XCTAssertEqual(SwiftNamer.fileName(forPolicyAt: "9lives.policy"), "P9livesPolicy.swift")
    }

    /// The generated file for awkward names type-checks under Swift 6 with no warning.
    func testAwkwardNamesCompileWithoutWarnings() throws {
        let c = compileText(Self.awkward, path: "kw.policy")
        XCTAssertFalse(c.diagnostics.hasErrors, c.diagnostics.items.map(\.message).joined(separator: "\n"))
        let dir = makeTempDir("swift-kw")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = SwiftEmitter.source(c.policy, sourceName: "kw.policy") + """

            func use() -> [Bool] {
                [ProtocolPolicy.isAllowed(.import, in: .init_), ProtocolPolicy.isAllowed(.__, in: .protocol),
                 ProtocolPolicy.isAllowed(.`func`, in: .`guard`), ProtocolPolicy.Contexts.all_ == [.self_, .Type_],
                 ProtocolPolicy.Kfunc.func.invokes == [.protocol], ProtocolPolicy.callback(named: "init") == .init_,
                 ProtocolPolicy.Contexts.in.description == "in", ProtocolPolicy.KfuncSet.extension.name == "extension"]
            }

            """
        try src.write(toFile: dir + "/kw.swift", atomically: true, encoding: .utf8)
        let r = try runProcess("/usr/bin/env", ["swiftc", "-swift-version", "6", "-parse-as-library", "-typecheck", "-warnings-as-errors", dir + "/kw.swift"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertFalse(src.contains(dir), "no absolute path in output")
    }
}

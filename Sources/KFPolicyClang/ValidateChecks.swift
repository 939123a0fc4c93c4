// The facts a header states, compared one by one with the checked policy: context constants,
// the callback table, the context table, registrations, and the optional parts (kfunc indices,
// guards, nesting, implementation choices). The kfunc sets are ValidateBTF.swift's.

internal import CLibClang
import KFPolicy

extension HeaderValidation {
    mutating func checkConstants() {
        for (i, c) in policy.contexts.enumerated() {
            expect(n.ctx(c.name), Int64(1) << Int64(i), "context '\(c.name)'", from: c.range)
        }
        for g in policy.groups where definitions[n.ctx(g.name)] != nil {
            expect(n.ctx(g.name), Int64(g.mask.bits), "group '\(g.name)'", from: g.range)
        }
        if !policy.contexts.isEmpty { expect(n.sleepable, 0x8000_0000, "the sleepable bit", from: policy.range) }
        if definitions[n.ctxAny] != nil {
            expect(n.ctxAny, Int64(policy.allContexts.bits), "every context", from: policy.range)
        }
    }

    /// The callback table of the policy, and of each form.
    mutating func checkOps() {
        checkOps(policy, n.opCtx)
        for f in policy.forms { checkOps(f.policy, CNamer(f.policy).opCtx) }
    }

    mutating func checkOps(_ policy: Policy, _ tableName: String) {
        guard !policy.callbacks.isEmpty, let table = array(tableName, from: policy.range) else { return }
        var callbackOps = Set<Int64>()
        for c in policy.callbacks {
            guard let op = values[opExpression(c.name, in: policy.structName)] else {
                checked += 1
                mismatch("callback '\(c.name)' is no member of struct \(policy.structName)", at: nil, from: c.range)
                continue
            }
            callbackOps.insert(op)
            let want = Int64(c.contexts.bits) | (c.sleepable ? 0x8000_0000 : 0)
            checked += 1
            let got = table[op]
            if (got?.value ?? 0) != want {
                let what = "\(policy.describe(c.contexts))\(c.sleepable ? ", sleepable" : "")"
                let have = got.map { hex($0.value ?? -1) } ?? "missing (0)"
                mismatch("the contexts of callback '\(c.name)' are \(have), the policy gives \(hex(want)) (\(what))",
                         at: got?.offset ?? definitions[tableName], from: c.maskRange)
            }
        }
        for (op, e) in table.sorted(by: { $0.key < $1.key }) where !callbackOps.contains(op) && (e.value ?? 0) != 0 {
            checked += 1
            mismatch("\(tableName)[\(op)] is \(hex(e.value ?? 0)) but no callback of the policy has op index \(op)",
                     at: e.offset, from: policy.range)
        }
    }

    var hasKfuncs: Bool { !policy.ownKfuncs.isEmpty }

    /// `<prefix>_kfunc_ctx`: a kfunc's contexts are the union of those of the sets that hold it.
    mutating func checkContextTable() {
        guard hasKfuncs else { return }
        checked += 1
        guard let v = variables[n.kfuncCtx], let list = initializer(v) else {
            mismatch("the header has no context table '\(n.kfuncCtx)'", at: nil, from: policy.range)
            return
        }
        var rows: [(set: String, word: Int64?, offset: Int)] = []
        for e in initializerEntries(list) {
            let fields = bracedFields(e.value)
            guard fields.count == 2, let set = referencedName(fields[0]) else {
                mismatch("an entry of '\(n.kfuncCtx)' is not { &set, contexts }",
                         at: e.value.location.offset, from: policy.range)
                continue
            }
            rows.append((set, fields[1].integerValue, e.value.location.offset))
        }
        for k in policy.ownKfuncs {
            let kf = policy.kfuncs[k]
            checked += 1
            let holding = rows.filter { btfLists[$0.set]?.entries.contains { $0.name == kf.name } ?? false }
            guard !holding.isEmpty else {
                mismatch("no set of '\(n.kfuncCtx)' holds kfunc '\(kf.name)': the filter cannot place it",
                         at: v.location.offset, from: kf.range)
                continue
            }
            let word = holding.reduce(Int64(0)) { $0 | ($1.word ?? 0) }
            if word != ctxWord(kf) {
                let what = policy.describe(kf.mask)
                let from = holding.map(\.set).joined(separator: ", ")
                let gives = "the policy gives \(hex(ctxWord(kf))) (\(what))"
                mismatch("kfunc '\(kf.name)' gets the contexts \(hex(word)) from \(from), \(gives)",
                         at: holding[0].offset, from: kf.maskRange)
            }
        }
    }

    mutating func checkRegistrations() {
        guard hasKfuncs else { return }
        checked += 1
        var regs: ClangCursor?
        functions[n.register]?.visit { c, _ in
            if c.kind == CXCursor_VarDecl, c.spelling == "regs" { regs = c; return .break }
            return .recurse
        }
        guard let regs, let list = initializer(regs) else {
            mismatch("\(n.register)() has no registration table 'regs'",
                     at: functions[n.register]?.location.offset, from: policy.range)
            return
        }
        var registered: [String: [String]] = [:]
        var regOffset: [String: Int] = [:]
        for e in initializerEntries(list) {
            let fields = bracedFields(e.value)
            guard fields.count == 2, let set = referencedName(fields[1]) else { continue }
            registered[set, default: []].append(referencedName(fields[0]) ?? "?")
            regOffset[set] = regOffset[set] ?? e.value.location.offset
        }
        for s in policy.ownSets.map({ policy.sets[$0] }) where !s.progTypes.isEmpty {
            let idset = n.idSet(s.name)
            checked += 2
            let want = Set(s.progTypes.map(\.cName)), got = Set(registered[idset] ?? [])
            if got != want {
                let types = got.isEmpty ? "no program type" : got.sorted().joined(separator: ", ")
                let gives = want.sorted().joined(separator: ", ")
                mismatch("set '\(s.name)' is registered for \(types), the policy gives \(gives)",
                         at: regOffset[idset] ?? regs.location.offset, from: s.range)
            }
            checkIDSet(idset, of: s)
        }
        for (set, _) in registered where !policy.ownSets.contains(where: { n.idSet(policy.sets[$0].name) == set }) {
            mismatch("the registration table registers '\(set)', which belongs to no set of the policy",
                     at: regOffset[set], from: policy.range)
        }
    }

    /// The `btf_kfunc_id_set` that registers set `s`: its set and its filter.
    mutating func checkIDSet(_ idset: String, of s: KfuncSet) {
        guard let sv = variables[idset], let initList = initializer(sv) else {
            mismatch("the header has no kfunc id set '\(idset)'", at: nil, from: s.range)
            return
        }
        var fields: [String: String] = [:]
        for e in initializerEntries(initList) {
            if let f = e.field { fields[f] = referencedName(e.value) ?? "" }
        }
        if fields["set"] != s.name {
            mismatch("'\(idset)' points at set '\(fields["set"] ?? "none")', not '\(s.name)'",
                     at: sv.location.offset, from: s.range)
        }
        if fields["filter"] != n.filter {
            mismatch("'\(idset)' has filter '\(fields["filter"] ?? "none")', not '\(n.filter)'",
                     at: sv.location.offset, from: s.range)
        }
    }

    /// The kfunc enum and the BTF id list behind the guards and the instance check.
    mutating func checkKfuncIndices() {
        guard policy.runtimeGuards || policy.nesting == .per_instance else { return }
        let own = policy.ownKfuncs
        expect(n.nrKfuncs, Int64(own.count), "number of kfuncs", from: policy.range, hexadecimal: false)
        let list = btfLists[n.kfuncIDs]?.entries.map(\.name) ?? []
        for (i, k) in own.enumerated() {
            let kf = policy.kfuncs[k]
            expect(n.kfuncIndex(kf.name), Int64(i), "index of kfunc '\(kf.name)'", from: kf.range, hexadecimal: false)
            checked += 1
            if i >= list.count || list[i] != kf.name {
                mismatch("'\(n.kfuncIDs)'[\(i)] is \(i < list.count ? "'\(list[i])'" : "missing"), not '\(kf.name)'",
                         at: btfLists[n.kfuncIDs]?.offset, from: kf.range)
            }
        }
    }

    mutating func checkGuards() {
        guard policy.runtimeGuards, let table = array(n.mayNest, from: policy.range) else { return }
        let may = NestingGraph(policy).contextNesting()
        for (i, c) in policy.contexts.enumerated() {
            checked += 1
            let got = table[Int64(i)]?.value ?? 0
            if got != Int64(may[i].bits) {
                let gives = "the nesting graph gives \(hex(Int64(may[i].bits))) (\(policy.describe(may[i])))"
                mismatch("\(n.mayNest)[\(i)] (inside \(c.name)) is \(hex(got)), \(gives)",
                         at: table[Int64(i)]?.offset ?? definitions[n.mayNest], from: c.range)
            }
        }
    }

    /// The nesting table of the instance check: each `invokes` and `nest` of the policy.
    mutating func checkNesting() {
        guard policy.nesting == .per_instance else { return }
        let name = n.nesting
        checked += 1
        guard let v = variables[name], let list = initializer(v) else {
            mismatch("the header has no nesting table '\(name)'", at: nil, from: policy.range)
            return
        }
        let ops = callbackByOp
        let own = policy.ownKfuncs
        var got: [String: Int] = [:]
        for e in initializerEntries(list) {
            let f = bracedFields(e.value).map(\.integerValue)
            guard f.count == 3, let from = f[0], let to = f[1], let nest = f[2] else {
                mismatch("an entry of '\(name)' is not three constants",
                         at: e.value.location.offset, from: policy.range)
                continue
            }
            let inner = ops[to] ?? "op \(to)"
            let outer = nest != 0 ? "ops.\(ops[from] ?? "op \(from)")"
                : from < own.count ? policy.kfuncs[own[Int(from)]].name : "kfunc \(from)"
            got["\(outer) -> ops.\(inner)"] = e.value.location.offset
        }
        var want: [String: SourceRange] = [:]
        for kf in own.map({ policy.kfuncs[$0] }) {
            for c in kf.invokes { want["\(kf.name) -> ops.\(policy.callbacks[c].name)"] = kf.invokesRange }
        }
        for x in policy.nests {
            want["ops.\(policy.callbacks[x.outer].name) -> ops.\(policy.callbacks[x.inner].name)"] = x.range
        }
        let (lacking, extra) = differences(want: want, got: got)
        for key in lacking {
            mismatch("the nesting table lacks \(key)", at: v.location.offset, from: want[key] ?? policy.range)
        }
        for key in extra {
            mismatch("the nesting table has \(key), which the policy does not say", at: got[key], from: policy.range)
        }
    }

    /// `<kfunc>_impl(op)`: a switch whose cases name each callback with an implementation.
    mutating func checkImplementations() {
        let ops = callbackByOp
        for k in policy.ownKfuncs where !policy.kfuncs[k].impls.isEmpty {
            let kf = policy.kfuncs[k]
            let fname = n.implFunction(kf.name)
            checked += 1
            guard let f = functions[fname] else {
                mismatch("the header has no implementation choice \(fname)()", at: nil, from: kf.range)
                continue
            }
            // "callback implementation" for each case of the switch and what it returns.
            var got: [String: Int] = [:]
            var pending: [Int64] = []
            f.visit { c, _ in
                if c.kind == CXCursor_CaseStmt, let v = c.children.first?.integerValue { pending.append(v) }
                if c.kind == CXCursor_ReturnStmt, let r = c.children.first.flatMap(referencedName) {
                    for op in pending { got["\(ops[op] ?? "op \(op)") \(r)"] = c.location.offset }
                    pending = []
                }
                return .recurse
            }
            var want: [String: SourceRange] = [:]
            for i in kf.impls {
                for c in i.callbacks { want["\(policy.callbacks[c].name) \(n.impl(i.symbol))"] = i.range }
            }
            let (lacking, extra) = differences(want: want, got: got)
            for key in lacking {
                let p = key.split(separator: " ")
                mismatch("\(fname)() does not return \(p[1]) in ops.\(p[0])",
                         at: f.location.offset, from: want[key] ?? kf.range)
            }
            for key in extra {
                let p = key.split(separator: " ")
                mismatch("\(fname)() returns \(p[1]) in ops.\(p[0]); the policy does not say so",
                         at: got[key], from: kf.range)
            }
        }
    }

    // MARK: Helpers for the checks

    /// A kfunc's row word: its contexts (needing a sleepable program is its KF_SLEEPABLE flag).
    func ctxWord(_ k: Kfunc) -> Int64 { Int64(k.mask.bits) }

    /// The KF_ flags value of a list of flags in this translation unit's kernel headers.
    func flagsValue(_ flags: [KFFlag]) -> Int64? {
        var v: Int64 = 0
        for f in flags { guard let x = values[f.rawValue] else { return nil }; v |= x }
        return v
    }

    func flagNames(_ v: Int64) -> String {
        var names: [String] = []
        var rest = v
        for f in KFFlag.allCases {
            if let x = values[f.rawValue], x != 0, v & x == x {
                names.append(f.rawValue)
                rest &= ~x
            }
        }
        if rest != 0 { names.append(hex(rest)) }
        return names.isEmpty ? "none" : names.joined(separator: " | ")
    }

    /// The op index each callback has in the C.
    func opIndex(_ c: Callback) -> Int64? { values[opExpression(c.name)] }

    /// Callback names by the header's op index.
    var callbackByOp: [Int64: String] {
        var m: [Int64: String] = [:]
        for c in policy.callbacks { if let op = opIndex(c) { m[op] = c.name } }
        return m
    }

    /// What a table lacks and what it has that the policy does not say: the keys only `want`
    /// holds and those only `got` holds, each sorted.
    func differences<Want, Got>(want: [String: Want], got: [String: Got]) -> (lacking: [String], extra: [String]) {
        (Set(want.keys).subtracting(got.keys).sorted(), Set(got.keys).subtracting(want.keys).sorted())
    }

    /// The fields of a braced entry (`{ &set, contexts }`); none for any other value.
    func bracedFields(_ value: ClangCursor) -> [ClangCursor] {
        value.kind == CXCursor_InitListExpr ? value.children : []
    }

    /// The initializer list of a variable (top-level, or a static local of a function).
    func initializer(_ v: ClangCursor) -> ClangCursor? { v.children.last { $0.kind == CXCursor_InitListExpr } }

    /// Entries of a top-level array: index -> (value, offset, cursor). Reports a missing array.
    mutating func array(_ name: String, from decl: SourceRange)
        -> [Int64: (value: Int64?, offset: Int, cursor: ClangCursor)]? {
        checked += 1
        guard let v = variables[name] else {
            mismatch("the header has no table '\(name)'", at: nil, from: decl)
            return nil
        }
        guard let list = initializer(v) else {
            mismatch("the table '\(name)' has no initializer", at: v.location.offset, from: decl)
            return nil
        }
        var out: [Int64: (Int64?, Int, ClangCursor)] = [:]
        for e in initializerEntries(list) {
            guard let i = e.index else { continue }
            out[i] = (e.value.integerValue, e.value.location.offset, e.value)
        }
        return out
    }
}

/// One entry of an initializer list: its array index or field name, and its value.
struct InitializerEntry {
    var index: Int64?
    var field: String?
    var value: ClangCursor
}

/// The entries of a C initializer list, with designators resolved as C does: `[i] = v` sets
/// index i and continues at i + 1; `.f = v` names a field; plain values take the next index.
func initializerEntries(_ list: ClangCursor) -> [InitializerEntry] {
    var out: [InitializerEntry] = []
    var next: Int64 = 0
    for child in list.children {
        let first = child.tokens.first?.text
        let kids = child.children
        if first == "[", kids.count >= 2, let i = kids[0].integerValue {
            out.append(InitializerEntry(index: i, field: nil, value: kids[kids.count - 1]))
            next = i + 1
        } else if first == ".", kids.count >= 2, kids[0].kind == CXCursor_MemberRef {
            out.append(InitializerEntry(index: nil, field: kids[0].spelling, value: kids[kids.count - 1]))
        } else {
            out.append(InitializerEntry(index: next, field: nil, value: child))
            next += 1
        }
    }
    return out
}

/// The name of the declaration an expression refers to (through casts and `&`), if any.
func referencedName(_ c: ClangCursor) -> String? {
    if c.kind == CXCursor_DeclRefExpr { return c.spelling }
    var found: String?
    c.visit { d, _ in
        if d.kind == CXCursor_DeclRefExpr { found = d.spelling; return .break }
        return .recurse
    }
    return found
}

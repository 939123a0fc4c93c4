// The facts a header states, compared one by one with the checked policy: context constants,
// the callback table, the kfunc sets and their KF_ flags, the context table, registrations, and
// the optional parts (kfunc indices, guards, nesting, implementation choices).

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
        if definitions[n.ctxAny] != nil { expect(n.ctxAny, Int64(policy.allContexts.bits), "every context", from: policy.range) }
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
                mismatch("the contexts of callback '\(c.name)' are \(got.map { hex($0.value ?? -1) } ?? "missing (0)"), the policy gives \(hex(want)) (\(what))",
                         at: got?.offset ?? definitions[tableName], from: c.maskRange)
            }
        }
        for (op, e) in table.sorted(by: { $0.key < $1.key }) where !callbackOps.contains(op) && (e.value ?? 0) != 0 {
            checked += 1
            mismatch("\(tableName)[\(op)] is \(hex(e.value ?? 0)) but no callback of the policy has op index \(op)", at: e.offset, from: policy.range)
        }
    }

    /// Lays the BTF macro invocations out as .BTF_ids is laid out, and checks the kfunc sets.
    mutating func checkBTF(_ invocations: [BTFInvocation]) {
        var order: [String] = []
        var current: String?
        for inv in invocations {
            let arg0 = inv.args.first ?? ""
            switch inv.macro {
            case "BTF_KFUNCS_START", "BTF_SET8_START", "BTF_ID_LIST":
                let kind: BTFList.Kind = inv.macro == "BTF_KFUNCS_START" ? .kfuncs : inv.macro == "BTF_SET8_START" ? .set8 : .list
                if btfLists[arg0] != nil { mismatch("the BTF id list '\(arg0)' is defined twice", at: inv.offset, from: .none) }
                btfLists[arg0] = BTFList(name: arg0, kind: kind, offset: inv.offset)
                order.append(arg0)
                current = arg0
            case "BTF_ID_LIST_SINGLE":
                var l = BTFList(name: arg0, kind: .list, offset: inv.offset)
                l.entries.append((inv.args.count > 1 ? inv.args[1] : "", inv.args.count > 2 ? inv.args[2] : "", nil, inv.offset))
                btfLists[arg0] = l
                order.append(arg0)
                current = nil
            case "BTF_KFUNCS_END", "BTF_SET8_END":
                if current != arg0 {
                    mismatch("\(inv.macro)(\(arg0)) does not close the set that is open (\(current ?? "none"))", at: inv.offset, from: .none)
                }
                btfLists[arg0]?.closed = true
                current = nil
            case "BTF_ID_FLAGS", "BTF_ID":
                guard let cur = current else {
                    mismatch("\(inv.macro)(\(inv.args.joined(separator: ", "))) is outside any set", at: inv.offset, from: .none)
                    continue
                }
                let flags = inv.macro == "BTF_ID_FLAGS" ? (inv.args.count > 2 ? inv.args[2] : "0") : nil
                btfLists[cur]?.entries.append((arg0, inv.args.count > 1 ? inv.args[1] : "", flags, inv.offset))
            default: break
            }
        }
        let denied = Set(([policy] + policy.forms.map(\.policy)).flatMap { q in q.deniedSets.map { q.sets[$0.set].name } })
        for s in policy.ownSets where !policy.sets[s].progTypes.isEmpty || denied.contains(policy.sets[s].name) {
            checkKfuncSet(s)
        }
        checked += 1
        let structList = btfLists[n.structIDs]
        let structs = [policy.structName] + policy.forms.map(\.policy.structName)
        if hasKfuncs, structList?.entries.map({ "\($0.kind) \($0.name)" }) != structs.map({ "struct \($0)" }) {
            mismatch("'\(n.structIDs)' does not hold the BTF ids of struct \(structs.joined(separator: ", struct "))", at: structList?.offset, from: policy.range)
        }
        let classPrefix = "\(n.lower)_ctx_"
        for name in order {
            let l = btfLists[name]!
            let known = l.kind == .list ? [n.structIDs, n.kfuncIDs].contains(name)
                : l.kind == .set8 ? name.hasPrefix(classPrefix) : policy.ownSets.contains { policy.sets[$0].name == name }
            if !known { mismatch("the header defines '\(name)', which the policy does not declare", at: l.offset, from: .none) }
            if l.kind == .set8, known {
                for e in l.entries where e.flags != "0" {
                    mismatch("'\(name)' gives '\(e.name)' the flags \(e.flags ?? ""): context classes carry ids only", at: e.offset, from: .none)
                }
            }
        }
    }

    var hasKfuncs: Bool { !policy.ownKfuncs.isEmpty }

    /// One of the policy's sets: a kfunc set holding exactly its kfuncs, each with its KF_ flags.
    mutating func checkKfuncSet(_ si: Int) {
        let s = policy.sets[si]
        checked += 1
        guard let l = btfLists[s.name], l.kind != .list else {
            mismatch("the header has no BTF kfunc set '\(s.name)'", at: nil, from: s.range)
            return
        }
        if l.kind != .kfuncs {
            mismatch("set '\(s.name)' is a plain set8, not a kfunc set (BTF_KFUNCS_START)", at: l.offset, from: s.range)
        }
        let members = policy.kfuncs.filter { $0.sets.contains(si) }
        for k in members {
            checked += 1
            let found = l.entries.filter { $0.name == k.name }
            guard let e = found.first else {
                mismatch("set '\(s.name)' lacks kfunc '\(k.name)'", at: l.offset, from: k.setsRange)
                continue
            }
            if found.count > 1 { mismatch("set '\(s.name)' lists kfunc '\(k.name)' \(found.count) times", at: found[1].offset, from: k.range) }
            if e.kind != "func" { mismatch("'\(k.name)' is listed as a \(e.kind), not a func", at: e.offset, from: k.range) }
            checked += 1
            guard let want = flagsValue(k.flags) else {
                mismatch("the kernel headers do not define every flag of '\(k.name)' (\(k.flags.map(\.rawValue).joined(separator: " | ")))",
                         at: e.offset, from: k.flagsRange)
                continue
            }
            guard let got = values[e.flags ?? "0"] else {
                mismatch("the KF_ flags of '\(k.name)' in set '\(s.name)' (\(e.flags ?? "")) are not a constant", at: e.offset, from: k.flagsRange)
                continue
            }
            if got != want {
                let flags = k.flags.isEmpty ? "none" : k.flags.sorted().map(\.rawValue).joined(separator: " | ")
                mismatch("kfunc '\(k.name)' has KF_ flags \(flagNames(got)) in set '\(s.name)', the policy gives \(flags)",
                         at: e.offset, from: k.flagsRange)
            }
        }
        for e in l.entries where !members.contains(where: { $0.name == e.name }) {
            checked += 1
            let decl = policy.kfunc(named: e.name).map { policy.kfuncs[$0].setsRange } ?? s.range
            mismatch("set '\(s.name)' lists '\(e.name)', which the policy does not put in that set", at: e.offset, from: decl)
        }
        if !l.closed { mismatch("set '\(s.name)' is not closed with BTF_KFUNCS_END", at: l.offset, from: s.range) }
    }

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
            let fields = e.value.kind == CXCursor_InitListExpr ? e.value.children : []
            guard fields.count == 2, let set = referencedName(fields[0]) else {
                mismatch("an entry of '\(n.kfuncCtx)' is not { &set, contexts }", at: e.value.location.offset, from: policy.range)
                continue
            }
            rows.append((set, fields[1].integerValue, e.value.location.offset))
        }
        for k in policy.ownKfuncs {
            let kf = policy.kfuncs[k]
            checked += 1
            let holding = rows.filter { btfLists[$0.set]?.entries.contains { $0.name == kf.name } ?? false }
            guard !holding.isEmpty else {
                mismatch("no set of '\(n.kfuncCtx)' holds kfunc '\(kf.name)': the filter cannot place it", at: v.location.offset, from: kf.range)
                continue
            }
            let word = holding.reduce(Int64(0)) { $0 | ($1.word ?? 0) }
            if word != ctxWord(kf) {
                let what = policy.describe(kf.mask)
                let from = holding.map(\.set).joined(separator: ", ")
                mismatch("kfunc '\(kf.name)' gets the contexts \(hex(word)) from \(from), the policy gives \(hex(ctxWord(kf))) (\(what))",
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
            mismatch("\(n.register)() has no registration table 'regs'", at: functions[n.register]?.location.offset, from: policy.range)
            return
        }
        var registered: [String: [String]] = [:]
        var regOffset: [String: Int] = [:]
        for e in initializerEntries(list) {
            let fields = e.value.kind == CXCursor_InitListExpr ? e.value.children : []
            guard fields.count == 2, let set = referencedName(fields[1]) else { continue }
            registered[set, default: []].append(referencedName(fields[0]) ?? "?")
            regOffset[set] = regOffset[set] ?? e.value.location.offset
        }
        for s in policy.ownSets.map({ policy.sets[$0] }) where !s.progTypes.isEmpty {
            let idset = n.idSet(s.name)
            checked += 2
            let want = Set(s.progTypes.map(\.cName)), got = Set(registered[idset] ?? [])
            if got != want {
                mismatch("set '\(s.name)' is registered for \(got.isEmpty ? "no program type" : got.sorted().joined(separator: ", ")), the policy gives \(want.sorted().joined(separator: ", "))",
                         at: regOffset[idset] ?? regs.location.offset, from: s.range)
            }
            guard let sv = variables[idset], let initList = initializer(sv) else {
                mismatch("the header has no kfunc id set '\(idset)'", at: nil, from: s.range)
                continue
            }
            var fields: [String: String] = [:]
            for e in initializerEntries(initList) { if let f = e.field { fields[f] = referencedName(e.value) ?? "" } }
            if fields["set"] != s.name {
                mismatch("'\(idset)' points at set '\(fields["set"] ?? "none")', not '\(s.name)'", at: sv.location.offset, from: s.range)
            }
            if fields["filter"] != n.filter {
                mismatch("'\(idset)' has filter '\(fields["filter"] ?? "none")', not '\(n.filter)'", at: sv.location.offset, from: s.range)
            }
        }
        for (set, _) in registered where !policy.ownSets.contains(where: { n.idSet(policy.sets[$0].name) == set }) {
            mismatch("the registration table registers '\(set)', which belongs to no set of the policy", at: regOffset[set], from: policy.range)
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
                mismatch("\(n.mayNest)[\(i)] (inside \(c.name)) is \(hex(got)), the nesting graph gives \(hex(Int64(may[i].bits))) (\(policy.describe(may[i])))",
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
            let f = e.value.kind == CXCursor_InitListExpr ? e.value.children.map(\.integerValue) : []
            guard f.count == 3, let from = f[0], let to = f[1], let nest = f[2] else {
                mismatch("an entry of '\(name)' is not three constants", at: e.value.location.offset, from: policy.range)
                continue
            }
            let inner = ops[to] ?? "op \(to)"
            let outer = nest != 0 ? "ops.\(ops[from] ?? "op \(from)")" : (from < own.count ? policy.kfuncs[own[Int(from)]].name : "kfunc \(from)")
            got["\(outer) -> ops.\(inner)"] = e.value.location.offset
        }
        var want: [String: SourceRange] = [:]
        for k in own { for c in policy.kfuncs[k].invokes { want["\(policy.kfuncs[k].name) -> ops.\(policy.callbacks[c].name)"] = policy.kfuncs[k].invokesRange } }
        for x in policy.nests { want["ops.\(policy.callbacks[x.outer].name) -> ops.\(policy.callbacks[x.inner].name)"] = x.range }
        for key in Set(want.keys).subtracting(got.keys).sorted() {
            mismatch("the nesting table lacks \(key)", at: v.location.offset, from: want[key] ?? policy.range)
        }
        for key in Set(got.keys).subtracting(want.keys).sorted() {
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
            for i in kf.impls { for c in i.callbacks { want["\(policy.callbacks[c].name) \(n.impl(i.symbol))"] = i.range } }
            for key in Set(want.keys).subtracting(got.keys).sorted() {
                let p = key.split(separator: " ")
                mismatch("\(fname)() does not return \(p[1]) in ops.\(p[0])", at: f.location.offset, from: want[key] ?? kf.range)
            }
            for key in Set(got.keys).subtracting(want.keys).sorted() {
                let p = key.split(separator: " ")
                mismatch("\(fname)() returns \(p[1]) in ops.\(p[0]); the policy does not say so", at: got[key], from: kf.range)
            }
        }
    }
}

// Callbacks and kfuncs that appear, disappear or change what the policy says about them.

extension Differ {
    mutating func compareCallbacks() {
        let op = old.p, np = new.p
        let mapped = Set(op.callbacks.map { cb($0.name) })
        /// What callback `c` may call, as evidence.
        func calls(_ d: DiffInput, _ c: Int) -> (count: Int, evidence: DiffEvidence) {
            let x = d.p.callbacks[c]
            let may = d.p.kfuncs.indices.filter { d.p.isAllowed($0, .callback(c)) }.map { d.p.kfuncs[$0].name }
            let list = may.isEmpty ? "nothing" : may.joined(separator: ", ")
            let facts = [(x.range, "callback '\(x.name)'"), d.callbackFact(c)]
            return (may.count, d.evidence("ops.\(x.name) may call: \(list)", facts))
        }
        func kfuncs(_ n: Int) -> String { "\(n) kfunc\(n == 1 ? "" : "s")" }
        for (c, x) in np.callbacks.enumerated() where !mapped.contains(x.name) {
            let (n, ev) = calls(new, c)
            add(.callbackAdded, x.name, "callback ops.\(x.name) is new; it may call \(n == 0 ? "no kfunc" : kfuncs(n))",
                old: nil, new: ev)
        }
        for (c, x) in op.callbacks.enumerated() where new.callbackIndex(cb(x.name)) == nil {
            let (n, ev) = calls(old, c)
            add(.callbackRemoved, x.name,
                "callback ops.\(x.name) is removed; programs for it no longer load (it could call \(kfuncs(n)))",
                old: ev, new: nil)
        }
        for (o, n) in commonCallbacks() {
            let ocb = op.callbacks[o], ncb = np.callbacks[n]
            let a = Set(oldContexts(ocb.contexts)), b = Set(newContexts(ncb.contexts))
            let oe = old.evidence(old.callbackFact(o).1, [old.callbackFact(o)])
            let ne = new.evidence(new.callbackFact(n).1, [new.callbackFact(n)])
            let gained = b.subtracting(a), lost = a.subtracting(b), name = ncb.name
            if !gained.isEmpty {
                add(.contextGained, name, "ops.\(name) now also runs in: \(describeNames(Array(gained)))",
                    old: oe, new: ne)
            }
            if !lost.isEmpty {
                add(.contextLost, name, "ops.\(name) no longer runs in: \(describeNames(Array(lost)))",
                    old: oe, new: ne)
            }
            if ncb.sleepable && !ocb.sleepable {
                add(.sleepableGained, name, "ops.\(name) may now be a sleepable program", old: oe, new: ne)
            } else if ocb.sleepable && !ncb.sleepable {
                add(.sleepableLost, name, "ops.\(name) may no longer be a sleepable program", old: oe, new: ne)
            }
            compareDoc("callback", name, ocb.doc, ocb.range, ncb.doc, ncb.range, oldName: ocb.name)
        }
    }

    mutating func compareKfuncs() {
        let op = old.p, np = new.p
        let mapped = Set(op.kfuncs.map { kf($0.name) })
        func where_(_ d: DiffInput, _ k: Int) -> String {
            let cbs = d.p.allowedCallbacks(of: k).map { "ops." + d.p.callbacks[$0].name }
            let types = d.allowedProgTypes(k).map(\.rawValue)
            var s = cbs.isEmpty ? "no callback" : cbs.joined(separator: ", ")
            if !types.isEmpty { s += "; program types: " + types.joined(separator: ", ") }
            return s
        }
        for (k, x) in np.kfuncs.enumerated() where !mapped.contains(x.name) {
            add(.kfuncAdded, x.name, "kfunc '\(x.name)' is new", old: nil,
                new: new.evidence("allowed in: " + where_(new, k), new.kfuncFacts(k)))
        }
        for (k, x) in op.kfuncs.enumerated() where new.kfuncIndex(kf(x.name)) == nil {
            add(.kfuncRemoved, x.name, "kfunc '\(x.name)' is removed; programs that call it no longer load",
                old: old.evidence("allowed in: " + where_(old, k), old.kfuncFacts(k)), new: nil)
        }
        for (o, n) in commonKfuncs() {
            let ok = op.kfuncs[o], nk = np.kfuncs[n]
            compareFlags(ok, nk)
            compareRequirements(ok, nk)
            compareAllowAndSets(ok, nk)
            compareImplementations(ok, nk)
            compareDoc("kfunc", nk.name, ok.doc, ok.range, nk.doc, nk.range, oldName: ok.name)
        }
    }

    /// KF_ flags gained or lost: restricting ones narrow or widen, the others are other changes.
    mutating func compareFlags(_ ok: Kfunc, _ nk: Kfunc) {
        let name = nk.name
        func text(_ f: [KFFlag]) -> String { f.isEmpty ? "none" : f.map(\.rawValue).joined(separator: " | ") }
        let oe = old.evidence("flags \(text(ok.flags))", [(ok.flagsRange, "'\(ok.name)' has flags \(text(ok.flags))")])
        let ne = new.evidence("flags \(text(nk.flags))", [(nk.flagsRange, "'\(nk.name)' has flags \(text(nk.flags))")])
        let of = Set(ok.flags), nf = Set(nk.flags)
        for (flags, gained) in [(of.subtracting(nf), false), (nf.subtracting(of), true)] {
            for f in flags.sorted() {
                let has = "'\(name)' \(gained ? "now has" : "no longer has") \(f.rawValue)"
                if let why = restrictingFlags[f] {
                    add(gained ? .flagAdded : .flagRemoved, name, "\(has) (\(why))", old: oe, new: ne,
                        key: "\(name) \(f.rawValue)")
                } else {
                    add(.flagChanged, name, has, old: oe, new: ne, key: "\(name) \(f.rawValue)")
                }
            }
        }
    }

    /// Requirements added (a narrowing) or dropped (a widening).
    mutating func compareRequirements(_ ok: Kfunc, _ nk: Kfunc) {
        let name = nk.name
        func ev(_ d: DiffInput, _ k: Kfunc) -> DiffEvidence {
            let list = k.requires.joined(separator: ", ")
            let declared = k.requires.isEmpty ? "'\(k.name)' has no 'requires'" : "'\(k.name)' requires \(list)"
            return d.evidence(k.requires.isEmpty ? "no requirement" : "requires \(list)", [(k.requiresRange, declared)])
        }
        let orq = Set(ok.requires.map(req)), nrq = Set(nk.requires)
        let oe = ev(old, ok), ne = ev(new, nk)
        for r in orq.subtracting(nrq).sorted() {
            add(.requirementDropped, name, "'\(name)' no longer requires \(r)", old: oe, new: ne, key: "\(name) \(r)")
        }
        for r in nrq.subtracting(orq).sorted() {
            add(.requirementAdded, name, "'\(name)' now requires \(r)", old: oe, new: ne, key: "\(name) \(r)")
        }
    }

    /// The allow mask (as context names, so a reordering is no change) and the sets.
    mutating func compareAllowAndSets(_ ok: Kfunc, _ nk: Kfunc) {
        let op = old.p, np = new.p, name = nk.name
        let a = oldContexts(ok.mask), b = newContexts(nk.mask)
        if a != b {
            func ev(_ d: DiffInput, _ k: Kfunc) -> DiffEvidence {
                let contexts = d.p.describe(k.mask)
                return d.evidence("allow \(contexts)", [(k.maskRange, "'\(k.name)' may be called in: \(contexts)")])
            }
            add(.allowChanged, name, "'\(name)' may be called in: \(describeNames(b)) (was \(describeNames(a)))",
                old: ev(old, ok), new: ev(new, nk))
        }
        let os = ok.sets.map { set(op.sets[$0].name) }.sorted(), ns = nk.sets.map { np.sets[$0].name }.sorted()
        if os != ns {
            func ev(_ d: DiffInput, _ k: Kfunc) -> DiffEvidence {
                d.evidence("in \(k.sets.map { d.p.sets[$0].name }.joined(separator: ", "))",
                           [(k.setsRange, "'\(k.name)' is in its sets here")])
            }
            let change = "\(ns.joined(separator: ", ")) (was \(os.joined(separator: ", ")))"
            add(.kfuncSetsChanged, name, "'\(name)' is in \(change)", old: ev(old, ok), new: ev(new, nk))
        }
    }

    /// Which kernel function implements the kfunc, per callback.
    mutating func compareImplementations(_ ok: Kfunc, _ nk: Kfunc) {
        let op = old.p, np = new.p, name = nk.name
        var oi: [String: (String, SourceRange)] = [:], ni: [String: (String, SourceRange)] = [:]
        for i in ok.impls { for c in i.callbacks { oi[cb(op.callbacks[c].name)] = (i.symbol, i.range) } }
        for i in nk.impls { for c in i.callbacks { ni[np.callbacks[c].name] = (i.symbol, i.range) } }
        for c in Set(oi.keys).union(ni.keys).sorted() {
            let a = oi[c]?.0 ?? ok.name, b = ni[c]?.0 ?? nk.name
            if a == b || (oi[c] == nil && ni[c] == nil) { continue }
            add(.implChanged, name, "in ops.\(c), '\(name)' is implemented by '\(b)' (was '\(a)')",
                old: old.evidence("implemented by \(a)", [(oi[c]?.1 ?? ok.range, "in ops.\(c): '\(a)'")]),
                new: new.evidence("implemented by \(b)", [(ni[c]?.1 ?? nk.range, "in ops.\(c): '\(b)'")]),
                key: "\(name) \(c)")
        }
    }
}

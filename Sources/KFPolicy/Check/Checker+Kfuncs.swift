// Kfunc declarations: each statement of a `kfunc NAME { ... }` block into the model.

extension Checker {
    mutating func declareKfuncs(_ decls: [Declaration]) {
        for d in decls {
            guard case .kfunc(let n, let stmts, _) = d.item.kind else { continue }
            checkIdentifier(n, "kfunc")
            if let prev = policy.kfunc(named: n.text) {
                reportDuplicate("kfunc", n, previous: policy.kfuncs[prev].range)
                continue
            }
            let k = policy.kfuncs.count
            policy.kfuncIndex[n.text] = k
            var kf = Kfunc(name: n.text, doc: d.item.trivia.doc, range: n.range)
            kf.config = d.condition
            // The first statement of each kind; `impl` may repeat.
            var first: [String: SourceRange] = [:]
            for s in stmts {
                if case .impl = s.kind {} else if let prev = first[s.keyword.text] {
                    diagnostics.error(.duplicateStatement, "'\(s.keyword.text)' given twice for kfunc '\(n.text)'",
                                      at: s.keyword.range, notes: [DiagnosticNote("first given here", at: prev)],
                                      hint: "merge them into one '\(s.keyword.text)' statement")
                    continue
                }
                first[s.keyword.text] = s.keyword.range
                if !apply(s, to: &kf) { incompleteKfuncs.insert(k) }
            }
            if d.item.damaged { incompleteKfuncs.insert(k) }
            // `requires sleepable` is the verifier's KF_SLEEPABLE: it then refuses the kfunc to
            // programs that are not sleepable, so the generated filter need not.
            if kf.requiresSleepable, !kf.has(.KF_SLEEPABLE) { kf.flags = (kf.flags + [.KF_SLEEPABLE]).sorted() }
            if first["in"] == nil {
                diagnostics.error(.kfuncNotInSet, "kfunc '\(n.text)' is in no set", at: n.range,
                                  hint: "add 'in SET;' naming the BTF kfunc set that registers it")
            }
            policy.kfuncs.append(kf)
        }
    }

    /// Adds one statement's facts to a kfunc. False when an error left them incomplete.
    mutating func apply(_ s: KfuncStatement, to kf: inout Kfunc) -> Bool {
        switch s.kind {
        case .sets(let names):
            kf.setsRange = s.range
            var complete = true
            for sn in names {
                guard let i = setIndex[sn.text] else {
                    unknown("set", sn, candidates: setIndex.keys, extraHint: "declare it with 'set \(sn.text): struct_ops;'")
                    complete = false
                    continue
                }
                if kf.sets.contains(i) { diagnostics.error(.duplicateMember, "set '\(sn.text)' listed twice", at: sn.range); continue }
                kf.sets.append(i)
            }
            return complete
        case .flags(let names):
            kf.flagsRange = s.range
            kf.flags = flags(names).sorted()
            if kf.has(.KF_ACQUIRE) && kf.has(.KF_RELEASE) {
                diagnostics.error(.flagsConflict, "kfunc '\(kf.name)' is both KF_ACQUIRE and KF_RELEASE", at: s.range,
                                  hint: "a kfunc either returns a reference or releases one")
            }
            return true
        case .allow(let e):
            kf.maskRange = e.range
            guard let m = evaluateMask(e, what: "kfunc '\(kf.name)'") else { return false }
            kf.mask = m
            return true
        case .requires(let names):
            kf.requiresRange = s.range
            for r in names {
                if r.text == "sleepable" { kf.requires.append(r.text); continue }
                guard let i = requirementIndex[r.text] else {
                    unknown("requirement", r, candidates: Array(requirementIndex.keys) + ["sleepable"],
                            extraHint: "declare it with 'requirement \(r.text);'")
                    continue
                }
                usedRequirements.insert(i)
                kf.requires.append(r.text)
            }
            return true
        case .invokes(let targets):
            kf.invokesRange = s.range
            for t in targets {
                guard let i = callback(t.callback) else { continue }
                let twice = t.child == nil ? kf.invokes.contains(i) : kf.invokesChild.contains(i)
                if twice { diagnostics.error(.duplicateMember, "callback '\(t.callback.text)' listed twice", at: t.callback.range); continue }
                if t.child == nil { kf.invokes.append(i) } else { kf.invokesChild.append(i) }
            }
            return true
        case .impl(let cbs, let sym):
            var idx: [Int] = []
            for c in cbs {
                guard let i = callback(c) else { continue }
                if let prev = kf.impls.first(where: { $0.callbacks.contains(i) }) {
                    diagnostics.error(.duplicateImpl, "kfunc '\(kf.name)' has two implementations in callback '\(c.text)'",
                                      at: c.range, notes: [DiagnosticNote("first implementation for '\(c.text)' here", at: prev.range)])
                    continue
                }
                idx.append(i)
            }
            kf.impls.append(Implementation(callbacks: idx, symbol: sym.text, range: s.range))
            return true
        case .was(let names):
            kf.wasRange = s.range
            kf.was = names.map(\.text)
            return true
        }
    }

    /// KF_ flags by name, each known and listed once.
    mutating func flags(_ names: [Name]) -> [KFFlag] {
        var out: [KFFlag] = []
        for n in names {
            guard let f = KFFlag(rawValue: n.text) else {
                let all = KFFlag.allCases.map(\.rawValue)
                let sug = closest(to: n.text, in: all) ?? closest(to: "KF_" + n.text, in: all)
                diagnostics.error(.unknownFlag, "unknown kfunc flag '\(n.text)'", at: n.range,
                                  hint: sug.map { "did you mean '\($0)'?" } ?? "flags are the kernel's KF_ names, e.g. KF_RCU | KF_ACQUIRE")
                continue
            }
            if out.contains(f) { diagnostics.error(.duplicateMember, "flag '\(n.text)' listed twice", at: n.range); continue }
            out.append(f)
        }
        return out
    }
}

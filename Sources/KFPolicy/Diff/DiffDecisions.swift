// What the changes mean for programs: every (kfunc, caller) verdict that flips, program types
// that gain or lose the policy's kfuncs, nesting edges, and the changed cells of the matrix.

extension Differ {
    static func decisionEvidence(_ d: DiffInput, _ x: Decision) -> DiffEvidence {
        d.evidence((x.allowed ? "allowed: " : "denied: ") + x.summary, x.reasons.map { ($0.range, $0.message) })
    }

    mutating func compareCalls() {
        let cbs = commonCallbacks()
        for (ok, nk) in commonKfuncs() {
            for (oc, nc) in cbs {
                let name = new.p.callbacks[nc].name
                compareCall(ok, .callback(oc), nk, .callback(nc), caller: "ops.\(name)", key: "0 \(name)")
            }
            for t in DiffInput.otherProgTypes {
                let name = t.rawValue
                compareCall(ok, .progType(t), nk, .progType(t), caller: "\(name) programs", key: "1 \(name)")
            }
        }
    }

    /// One (kfunc, caller) pair on both sides: a change when its verdict flips. `key` orders the
    /// changes of one kfunc: callbacks before program types.
    mutating func compareCall(_ ok: Int, _ oc: Caller, _ nk: Int, _ nc: Caller, caller: String, key: String) {
        let b = new.p.isAllowed(nk, nc)
        guard old.p.isAllowed(ok, oc) != b else { return }
        let name = new.p.kfuncs[nk].name
        add(b ? .callAllowed : .callDenied, name, "'\(name)' is now \(b ? "allowed" : "denied") in \(caller)",
            old: Differ.decisionEvidence(old, old.p.decide(ok, oc)),
            new: Differ.decisionEvidence(new, new.p.decide(nk, nc)), key: "\(name) \(key)")
    }

    /// A program type is added when some kfunc of the policy becomes callable from it where none was.
    mutating func compareProgTypes() {
        func callable(_ d: DiffInput, _ t: ProgType) -> [Int] {
            d.p.kfuncs.indices.filter { d.p.isAllowed($0, .progType(t)) }
        }
        func ev(_ d: DiffInput, _ t: ProgType, _ ks: [Int]) -> DiffEvidence {
            let sets = d.p.sets.filter { $0.progTypes.contains(t) }
            let names = ks.map { d.p.kfuncs[$0].name }.joined(separator: ", ")
            return d.evidence("\(t.rawValue) programs may call: \(names)",
                              sets.map { ($0.range, "set '\($0.name)' is registered for \(t.rawValue)") })
        }
        for t in DiffInput.otherProgTypes {
            let a = callable(old, t), b = callable(new, t)
            if a.isEmpty && !b.isEmpty {
                add(.progTypeAdded, t.rawValue,
                    "\(t.rawValue) programs may now call \(b.count) kfunc\(b.count == 1 ? "" : "s") of this policy",
                    old: nil, new: ev(new, t, b))
            } else if !a.isEmpty && b.isEmpty {
                add(.progTypeRemoved, t.rawValue, "\(t.rawValue) programs may no longer call any kfunc of this policy",
                    old: ev(old, t, a), new: nil)
            }
        }
    }

    /// `invokes` and `nest` edges by name. The graph's callback -> kfunc edges are call
    /// verdicts and are reported as such.
    mutating func compareNesting() {
        struct E: Hashable { let from: String; let to: String; let kind: String }
        func edges(_ d: DiffInput, _ kfName: (String) -> String,
                   _ cbName: (String) -> String) -> [E: (SourceRange, String)] {
            var out: [E: (SourceRange, String)] = [:]
            func op(_ c: Int) -> String { "ops." + d.p.callbacks[c].name }
            for k in d.p.kfuncs {
                for c in k.invokes {
                    out[E(from: kfName(k.name), to: "ops." + cbName(d.p.callbacks[c].name), kind: "invokes")] =
                        (k.invokesRange, "'\(k.name)' invokes \(op(c))")
                }
            }
            for n in d.p.nests {
                let e = E(from: "ops." + cbName(d.p.callbacks[n.outer].name),
                          to: "ops." + cbName(d.p.callbacks[n.inner].name), kind: "nest")
                out[e] = (n.range, "the kernel runs \(op(n.inner)) inside \(op(n.outer))")
            }
            return out
        }
        let a = edges(old, kf, cb), b = edges(new, { $0 }, { $0 })
        func text(_ e: E) -> String {
            e.kind == "invokes" ? "'\(e.from)' invokes \(e.to)" : "\(e.to) runs nested inside \(e.from)"
        }
        for (e, r) in b where a[e] == nil {
            add(.nestingEdgeAdded, e.from, "new nesting edge: \(text(e))", old: nil, new: new.evidence(text(e), [r]),
                key: "\(e.from) \(e.to)")
        }
        for (e, r) in a where b[e] == nil {
            add(.nestingEdgeRemoved, e.from, "nesting edge removed: \(text(e))", old: old.evidence(text(e), [r]),
                new: nil, key: "\(e.from) \(e.to)")
        }
    }

    // MARK: - Matrix cells

    /// Names on both sides paired through `rename` (old to new): the new ones in order, with
    /// the old index of each that existed before, then the removed ones under their old name.
    static func paired(_ newNames: [String], _ oldNames: [String],
                       rename: (String) -> String) -> [(name: String, o: Int?, n: Int?)] {
        var out: [(name: String, o: Int?, n: Int?)] = newNames.enumerated().map { ($1, nil, $0) }
        for (i, name) in oldNames.enumerated() {
            if let j = out.firstIndex(where: { $0.name == rename(name) }) {
                out[j].o = i
            } else {
                out.append((name, i, nil))
            }
        }
        return out
    }

    /// The verdict of every (kfunc, caller) pair on both sides, by new names (removed ones keep
    /// their old name): kfuncs and callers in new declaration order, removed ones after.
    func cellGrid() -> ChangedCells {
        let op = old.p, np = new.p
        let kfs = Differ.paired(np.kfuncs.map(\.name), op.kfuncs.map(\.name), rename: kf)
        let cbs = Differ.paired(np.callbacks.map(\.name), op.callbacks.map(\.name), rename: cb)
        var columns: [(caller: String, isCallback: Bool, verdict: (Int?, Int?) -> (Bool?, Bool?))] = []
        for c in cbs {
            columns.append(("ops." + c.name, true, { ok, nk in
                (ok != nil && c.o != nil ? op.isAllowed(ok!, .callback(c.o!)) : nil,
                 nk != nil && c.n != nil ? np.isAllowed(nk!, .callback(c.n!)) : nil)
            }))
        }
        for t in DiffInput.otherProgTypes {
            columns.append((t.rawValue, false, { ok, nk in
                (ok.map { op.isAllowed($0, .progType(t)) }, nk.map { np.isAllowed($0, .progType(t)) })
            }))
        }
        var all: [[(Bool?, Bool?)]] = []
        for k in kfs { all.append(columns.map { $0.verdict(k.o, k.n) }) }
        func changed(_ v: (Bool?, Bool?)) -> Bool { (v.0 ?? false) != (v.1 ?? false) }
        let rows = kfs.indices.filter { r in all[r].contains(where: changed) }
        let cols = columns.indices.filter { c in all.contains { changed($0[c]) } }
        var cells: [MatrixCellChange] = []
        for r in rows {
            for c in cols where changed(all[r][c]) {
                cells.append(MatrixCellChange(kfunc: kfs[r].name, caller: columns[c].caller,
                                              isCallback: columns[c].isCallback, old: all[r][c].0, new: all[r][c].1))
            }
        }
        return ChangedCells(kfuncs: rows.map { kfs[$0].name }, callers: cols.map { columns[$0].caller },
                            verdicts: rows.map { r in cols.map { CellVerdict(old: all[r][$0].0, new: all[r][$0].1) } },
                            changes: cells)
    }
}

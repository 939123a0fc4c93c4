// Changes to the policy's declarations that decide nothing by themselves: the policy line,
// contexts, groups, requirements, sets and doc comments.

extension Differ {
    mutating func comparePolicy() {
        let o = old.p, n = new.p
        func ev(_ d: DiffInput, _ s: String) -> DiffEvidence {
            d.evidence(s, [(d.p.range, "policy '\(d.p.name)' for struct \(d.p.structName)")])
        }
        func line(_ p: Policy) -> String { "policy \(p.name) for struct \(p.structName)" }
        if o.name.isEmpty && !n.name.isEmpty {
            add(.policyChanged, n.name, "policy '\(n.name)' for struct \(n.structName) is new",
                old: nil, new: ev(new, line(n)))
            return
        }
        if n.name.isEmpty && !o.name.isEmpty {
            add(.policyChanged, o.name, "policy '\(o.name)' for struct \(o.structName) is removed",
                old: ev(old, line(o)), new: nil)
            return
        }
        if o.name != n.name {
            add(.policyChanged, n.name, "policy renamed from '\(o.name)' to '\(n.name)'",
                old: ev(old, o.name), new: ev(new, n.name))
        }
        if o.structName != n.structName {
            let summary = "struct changed from \(o.structName) to \(n.structName): "
                + "every callback now belongs to another interface"
            add(.policyChanged, n.name, summary,
                old: ev(old, "struct \(o.structName)"), new: ev(new, "struct \(n.structName)"))
        }
        if o.prefix != n.prefix {
            add(.policyChanged, n.name, "prefix of generated names changed from '\(o.prefix)' to '\(n.prefix)'",
                old: ev(old, "prefix \(o.prefix)"), new: ev(new, "prefix \(n.prefix)"))
        }
        compareDoc("policy", n.name, o.doc, o.range, n.doc, n.range)
    }

    /// `name` is the new name; `oldName` the old one when it was renamed.
    mutating func compareDoc(_ what: String, _ name: String, _ od: String?, _ or: SourceRange, _ nd: String?,
                             _ nr: SourceRange, oldName: String? = nil) {
        guard od != nd else { return }
        func q(_ d: String?) -> String { d.map { "\"" + $0.replacingAll("\n", with: " ") + "\"" } ?? "no doc comment" }
        add(.docChanged, "\(what) \(name)", "doc comment of \(what) '\(name)' changed",
            old: old.evidence(q(od), [(or, "\(what) '\(oldName ?? name)'")]),
            new: new.evidence(q(nd), [(nr, "\(what) '\(name)'")]), key: "\(name) \(what)")
    }

    mutating func compareContexts() {
        let op = old.p, np = new.p
        let oldNames = op.contexts.map { ctx($0.name) }
        let newNames = np.contexts.map(\.name)
        func ev(_ d: DiffInput, _ c: Context) -> DiffEvidence {
            d.evidence("context \(c.name)", [(c.range, "context '\(c.name)'")])
        }
        for (i, c) in np.contexts.enumerated() where !oldNames.contains(c.name) {
            add(.contextDeclared, c.name, "context '\(c.name)' is declared (bit \(i))", old: nil, new: ev(new, c))
        }
        for c in op.contexts where !newNames.contains(ctx(c.name)) {
            add(.contextUndeclared, c.name, "context '\(c.name)' is no longer declared", old: ev(old, c), new: nil)
        }
        // Context order is bit order, and the order in which nested contexts may be entered.
        let commonOld = oldNames.filter { newNames.contains($0) }
        let commonNew = newNames.filter { oldNames.contains($0) }
        if commonOld != commonNew {
            func order(_ d: DiffInput) -> DiffEvidence {
                d.evidence(d.p.contexts.map(\.name).joined(separator: ", "),
                           d.p.contexts.prefix(1).map { ($0.range, "first context") })
            }
            let change = "\(commonOld.joined(separator: ", ")) -> \(commonNew.joined(separator: ", "))"
            add(.contextOrder, "contexts",
                "context order (bit order, the order nested contexts may be entered) changed: \(change)",
                old: order(old), new: order(new))
        }
        for c in np.contexts {
            guard let oc = op.contexts.first(where: { ctx($0.name) == c.name }) else { continue }
            compareDoc("context", c.name, oc.doc, oc.range, c.doc, c.range, oldName: oc.name)
        }
    }

    mutating func compareGroups() {
        let op = old.p, np = new.p
        func ev(_ d: DiffInput, _ g: Group) -> DiffEvidence {
            d.evidence("group \(g.name) = \(d.p.describe(g.mask))", [(g.range, "group '\(g.name)'")])
        }
        for g in np.groups {
            guard let og = op.groups.first(where: { grp($0.name) == g.name }) else {
                add(.groupChanged, g.name, "group '\(g.name)' is declared: \(describeNames(newContexts(g.mask)))",
                    old: nil, new: ev(new, g))
                continue
            }
            let a = oldContexts(og.mask), b = newContexts(g.mask)
            if a != b {
                add(.groupChanged, g.name, "group '\(g.name)' changed from \(describeNames(a)) to \(describeNames(b))",
                    old: ev(old, og), new: ev(new, g))
            }
            compareDoc("group", g.name, og.doc, og.range, g.doc, g.range, oldName: og.name)
        }
        for g in op.groups where !np.groups.contains(where: { $0.name == grp(g.name) }) {
            add(.groupChanged, g.name, "group '\(g.name)' is removed", old: ev(old, g), new: nil)
        }
    }

    mutating func compareRequirements() {
        let op = old.p, np = new.p
        func ev(_ d: DiffInput, _ r: Requirement) -> DiffEvidence {
            d.evidence("requirement \(r.name)", [(r.range, "requirement '\(r.name)'")])
        }
        for r in np.requirements {
            guard let orq = op.requirements.first(where: { req($0.name) == r.name }) else {
                add(.requirementDeclChanged, r.name, "requirement '\(r.name)' is declared", old: nil, new: ev(new, r))
                continue
            }
            compareDoc("requirement", r.name, orq.doc, orq.range, r.doc, r.range, oldName: orq.name)
        }
        for r in op.requirements where !np.requirements.contains(where: { $0.name == req(r.name) }) {
            add(.requirementDeclChanged, r.name, "requirement '\(r.name)' is removed", old: ev(old, r), new: nil)
        }
    }

    mutating func compareSets() {
        let op = old.p, np = new.p
        func types(_ s: KfuncSet) -> String { s.progTypes.sorted().map(\.rawValue).joined(separator: ", ") }
        func ev(_ d: DiffInput, _ s: KfuncSet) -> DiffEvidence {
            d.evidence("set \(s.name): \(types(s))", [(s.range, "set '\(s.name)'")])
        }
        for s in np.sets {
            guard let os = op.sets.first(where: { set($0.name) == s.name }) else {
                add(.setChanged, s.name, "set '\(s.name)' is declared, registered for \(types(s))",
                    old: nil, new: ev(new, s))
                continue
            }
            if Set(os.progTypes) != Set(s.progTypes) {
                add(.setChanged, s.name, "set '\(s.name)' is registered for \(types(s)) (was \(types(os)))",
                    old: ev(old, os), new: ev(new, s))
            }
            compareDoc("set", s.name, os.doc, os.range, s.doc, s.range, oldName: os.name)
        }
        for s in op.sets where !np.sets.contains(where: { $0.name == set(s.name) }) {
            add(.setChanged, s.name, "set '\(s.name)' is removed", old: ev(old, s), new: nil)
        }
    }
}

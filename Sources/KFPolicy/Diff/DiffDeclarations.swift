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

    /// Declarations of one kind on both sides, paired through `rename` (old name to new): a
    /// change for each new one (`declared`), for each kept one whose meaning differs (`changed`,
    /// nil when it is the same) and its doc comment, and for each removed one.
    mutating func compareDeclarations<D: DocumentedDeclaration>(
        _ what: String, _ kind: PolicyChange.Kind, _ old: [D], _ new: [D], rename: (String) -> String,
        evidence: (DiffInput, D) -> DiffEvidence, declared: (D) -> String = { _ in "" },
        changed: (D, D) -> String? = { _, _ in nil }
    ) {
        for d in new {
            guard let o = old.first(where: { rename($0.name) == d.name }) else {
                add(kind, d.name, "\(what) '\(d.name)' is declared\(declared(d))", old: nil, new: evidence(self.new, d))
                continue
            }
            if let change = changed(o, d) {
                add(kind, d.name, "\(what) '\(d.name)' \(change)", old: evidence(self.old, o),
                    new: evidence(self.new, d))
            }
            compareDoc(what, d.name, o.doc, o.range, d.doc, d.range, oldName: o.name)
        }
        for o in old where !new.contains(where: { $0.name == rename(o.name) }) {
            add(kind, o.name, "\(what) '\(o.name)' is removed", old: evidence(self.old, o), new: nil)
        }
    }

    mutating func compareGroups() {
        func ev(_ d: DiffInput, _ g: Group) -> DiffEvidence {
            d.evidence("group \(g.name) = \(d.p.describe(g.mask))", [(g.range, "group '\(g.name)'")])
        }
        let names = self // the closures read the renames while compareDeclarations adds changes
        compareDeclarations("group", .groupChanged, old.p.groups, new.p.groups, rename: names.grp, evidence: ev,
                            declared: { ": \(names.describeNames(names.newContexts($0.mask)))" },
                            changed: { o, n in
                                let a = names.oldContexts(o.mask), b = names.newContexts(n.mask)
                                if a == b { return nil }
                                return "changed from \(names.describeNames(a)) to \(names.describeNames(b))"
                            })
    }

    mutating func compareRequirements() {
        func ev(_ d: DiffInput, _ r: Requirement) -> DiffEvidence {
            d.evidence("requirement \(r.name)", [(r.range, "requirement '\(r.name)'")])
        }
        let names = self
        compareDeclarations("requirement", .requirementDeclChanged, old.p.requirements, new.p.requirements,
                            rename: names.req, evidence: ev)
    }

    mutating func compareSets() {
        func types(_ s: KfuncSet) -> String { s.progTypes.sorted().map(\.rawValue).joined(separator: ", ") }
        func ev(_ d: DiffInput, _ s: KfuncSet) -> DiffEvidence {
            d.evidence("set \(s.name): \(types(s))", [(s.range, "set '\(s.name)'")])
        }
        let names = self
        compareDeclarations("set", .setChanged, old.p.sets, new.p.sets, rename: names.set, evidence: ev,
                            declared: { ", registered for \(types($0))" },
                            changed: { o, n in
                                if Set(o.progTypes) == Set(n.progTypes) { return nil }
                                return "is registered for \(types(n)) (was \(types(o)))"
                            })
    }
}

/// A declaration with a name, a doc comment and a place: what `compareDeclarations` pairs.
protocol DocumentedDeclaration {
    var name: String { get }
    var doc: String? { get }
    var range: SourceRange { get }
}

extension Group: DocumentedDeclaration {}
extension Requirement: DocumentedDeclaration {}
extension KfuncSet: DocumentedDeclaration {}

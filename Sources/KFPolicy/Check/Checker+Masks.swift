// Contexts, groups and the evaluation of masks.

extension Checker {
    mutating func declareContextsAndGroups(_ decls: [Declaration]) {
        for d in decls {
            switch d.item.kind {
            case .context(let n):
                guard declaresUnconditionally(d, n, as: "context") else { continue }
                if let prev = atomRange(n.text) { reportDuplicate("context", n, previous: prev); continue }
                if policy.contexts.count >= 31 {
                    diagnostics.error(.tooManyContexts, "too many contexts: '\(n.text)' would be the 32nd", at: n.range,
                                      hint: "a policy holds at most 31 contexts (bit 31 of a context word is reserved);"
                                        + " merge contexts or use groups")
                    poisoned.insert(n.text)
                    continue
                }
                atoms[n.text] = .context(policy.contexts.count)
                policy.contexts.append(Context(name: n.text, doc: d.item.trivia.doc, range: n.range))
            case .group(let n, let e):
                guard declaresUnconditionally(d, n, as: "group") else { continue }
                if let prev = atomRange(n.text) { reportDuplicate("group", n, previous: prev); continue }
                atoms[n.text] = .group
                groupSyntax[n.text] = (n, e, d.item.trivia.doc)
            default: break
            }
        }
        // Evaluate groups in declaration order; a reference to a later group evaluates it first.
        for d in decls {
            guard case .group(let n, _) = d.item.kind, let syn = groupSyntax[n.text], syn.name.range == n.range else {
                continue
            }
            let m = evaluateGroup(n.text) ?? .empty
            policy.groups.append(Group(name: n.text, mask: m, doc: syn.doc, range: n.range))
        }
    }

    func atomRange(_ name: String) -> SourceRange? {
        switch atoms[name] {
        case .context(let i): return policy.contexts[i].range
        case .group: return groupSyntax[name]?.name.range
        case nil: return nil
        }
    }

    /// Evaluates a group after the groups it uses, depth first with an explicit stack, so that
    /// a chain of any length, declared in any order, cannot exhaust the call stack. Nil when an
    /// error was reported in it (or in a group it uses).
    mutating func evaluateGroup(_ root: String) -> ContextMask? {
        if let v = groupValue[root] { return poisoned.contains(root) ? nil : v }
        guard let rootSyntax = groupSyntax[root] else { return nil }
        var stack: [(name: String, uses: [String], next: Int)] = [(root, groupsUsed(by: rootSyntax.expr), 0)]
        var onStack: [String: Int] = [root: 0]
        while let top = stack.last {
            if top.next < top.uses.count {
                let name = top.uses[top.next]
                stack[stack.count - 1].next += 1
                guard groupValue[name] == nil, let syn = groupSyntax[name] else { continue }
                if let at = onStack[name] {
                    let path = stack[at...].map(\.name) + [name]
                    let shown = elided(path).joined(separator: " -> ")
                    diagnostics.error(.groupCycle, "group '\(name)' is defined in terms of itself: \(shown)",
                                      at: syn.expr.range,
                                      hint: "a group may only use contexts and other groups that do not use it")
                    groupValue[name] = .empty
                    poisoned.formUnion(path)
                    continue
                }
                onStack[name] = stack.count
                stack.append((name, groupsUsed(by: syn.expr), 0))
            } else {
                stack.removeLast()
                onStack[top.name] = nil
                // Every group it uses has a value now, so this evaluation does not recurse.
                let value = evaluateMask(groupSyntax[top.name]!.expr, what: "group '\(top.name)'")
                if value == nil { poisoned.insert(top.name) }
                groupValue[top.name] = value ?? .empty
            }
        }
        return poisoned.contains(root) ? nil : groupValue[root]
    }

    /// The groups a mask names, in the order evaluation reaches them.
    func groupsUsed(by e: MaskExpr) -> [String] {
        var out: [String] = []
        func walk(_ e: MaskExpr) {
            switch e {
            case .name(let n): if case .group = atoms[n.text] { out.append(n.text) }
            case .any, .none: break
            case .complement(let x, _), .paren(let x, _): walk(x)
            case .union(let xs): for x in xs { walk(x) }
            case .chain(let x, let rest): walk(x); for r in rest { walk(r.rhs) }
            }
        }
        walk(e)
        return out
    }

    /// Evaluates a mask. Nil when it names something unknown or broken (reported); a mask that
    /// comes out empty without saying `none` is reported and returned.
    mutating func evaluateMask(_ e: MaskExpr, what: @autoclosure () -> String) -> ContextMask? {
        var failed = false
        let m = eval(e, failed: &failed)
        if failed { return nil }
        if m.isEmpty, !isLiteralNone(e) {
            diagnostics.error(.emptyMask, "the mask of \(what()) is empty: '\(text(of: e))' selects no context",
                              at: e.range, hint: "the terms contradict each other; write 'none' if no context is meant")
        }
        return m
    }

    func isLiteralNone(_ e: MaskExpr) -> Bool {
        if case .none = e { return true }
        if case .paren(let x, _) = e { return isLiteralNone(x) }
        return false
    }

    func text(of e: MaskExpr) -> String {
        guard let f = sources.file(e.range) else { return "" }
        return String(decoding: f.text[e.range.start..<e.range.end], as: UTF8.self)
    }

    mutating func eval(_ e: MaskExpr, failed: inout Bool) -> ContextMask {
        switch e {
        case .name(let n):
            switch atoms[n.text] {
            case .context(let i):
                usedContexts |= 1 << UInt32(i)
                return .bit(i)
            case .group:
                usedGroups.insert(n.text)
                guard let m = evaluateGroup(n.text) else { failed = true; return .empty }
                return m
            case nil:
                failed = true
                if poisoned.contains(n.text) { return .empty }
                if callbackNames.contains(n.text) {
                    diagnostics.error(.wrongKind, "'\(n.text)' is a callback, not a context or group", at: n.range,
                                      hint: "a mask names contexts; write the contexts ops.\(n.text) runs in")
                } else {
                    unknown("context or group", n, candidates: atoms.keys)
                }
                return .empty
            }
        case .any: return policy.allContexts
        case .none: return .empty
        case .complement(let x, _): return policy.allContexts.subtracting(eval(x, failed: &failed))
        case .paren(let x, _): return eval(x, failed: &failed)
        case .union(let xs):
            var m = ContextMask.empty
            for x in xs { m = m.union(eval(x, failed: &failed)) }
            return m
        case .chain(let x, let rest):
            var m = eval(x, failed: &failed)
            for step in rest {
                let r = eval(step.rhs, failed: &failed)
                m = step.op == .and ? m.intersection(r) : m.subtracting(r)
            }
            return m
        }
    }
}

// Callbacks, requirements, sets and nests.

extension Checker {
    mutating func declareCallbacks(_ decls: [Declaration]) {
        var seen: [String: SourceRange] = [:]
        for d in decls {
            guard case .callback(let names, let expr, let props) = d.item.kind else { continue }
            let mask = evaluateMask(expr, what: "callback '\(names[0].text)'")
            if mask == nil { poisoned.formUnion(names.map(\.text)) }
            if mask == .empty, isLiteralNone(expr) {
                diagnostics.error(.callbackNoContext, "callback '\(names[0].text)' runs in no context", at: expr.range,
                                  hint: "name the contexts the kernel sets while it runs the callback")
            }
            var sleepable = false
            for p in props {
                if p.text == "sleepable" {
                    if sleepable { diagnostics.error(.duplicateStatement, "'sleepable' given twice", at: p.range) }
                    sleepable = true
                } else {
                    diagnostics.error(.unexpectedToken, "unknown callback property '\(p.text)'", at: p.range,
                                      hint: closest(to: p.text, in: ["sleepable"]).map { "did you mean '\($0)'?" }
                                        ?? "the only property is 'sleepable'; separate callback names with ','")
                }
            }
            for n in names {
                checkIdentifier(n, "callback")
                if let prev = seen[n.text] { reportDuplicate("callback", n, previous: prev); continue }
                seen[n.text] = n.range
                policy.callbackIndex[n.text] = policy.callbacks.count
                policy.callbacks.append(Callback(name: n.text, contexts: mask ?? .empty, sleepable: sleepable,
                                                 config: d.condition, doc: d.item.trivia.doc, range: n.range,
                                                 maskRange: expr.range))
            }
        }
    }

    mutating func declareRequirementsAndSets(_ decls: [Declaration]) {
        for d in decls {
            switch d.item.kind {
            case .requirement(let n):
                guard declaresUnconditionally(d, n, as: "requirement") else { continue }
                if n.text == "sleepable" {
                    diagnostics.error(.reservedName, "'sleepable' is a built-in requirement and cannot be redeclared",
                                      at: n.range)
                    continue
                }
                if let prev = requirementIndex[n.text] {
                    reportDuplicate("requirement", n, previous: policy.requirements[prev].range)
                    continue
                }
                requirementIndex[n.text] = policy.requirements.count
                policy.requirements.append(Requirement(name: n.text, doc: d.item.trivia.doc, range: n.range))
            case .set(let n, let types, let external):
                checkIdentifier(n, "set")
                if let prev = setIndex[n.text] {
                    reportDuplicate("set", n, previous: policy.sets[prev].range)
                    continue
                }
                setIndex[n.text] = policy.sets.count
                policy.sets.append(KfuncSet(name: n.text, progTypes: progTypes(types), external: external != nil,
                                            config: d.condition, doc: d.item.trivia.doc, range: n.range))
            default: break
            }
        }
        for (n, range) in deniedSets {
            guard let s = setIndex[n.text] else { unknown("set", n, candidates: setIndex.keys); continue }
            policy.deniedSets.append((s, range))
        }
    }

    /// The program types of a set, each known and listed once; `none` for a set registered for
    /// no program type (the filter only tests membership in it).
    mutating func progTypes(_ names: [Name]) -> [ProgType] {
        if names.count == 1, names[0].text == "none" { return [] }
        var types: [ProgType] = []
        var seen: [ProgType: SourceRange] = [:]
        for t in names {
            guard let pt = ProgType(rawValue: t.text) else {
                let all = ProgType.allCases.map(\.rawValue)
                diagnostics.error(.unknownProgType, "unknown program type '\(t.text)'", at: t.range,
                                  hint: closest(to: t.text, in: all).map { "did you mean '\($0)'?" }
                                    ?? "one of: " + all.joined(separator: ", "))
                continue
            }
            if let prev = seen[pt] {
                diagnostics.error(.duplicateMember, "program type '\(t.text)' listed twice", at: t.range,
                                  notes: [DiagnosticNote("first listed here", at: prev)])
                continue
            }
            seen[pt] = t.range
            types.append(pt)
        }
        return types
    }

    mutating func declareNests(_ decls: [Declaration]) {
        for d in decls {
            guard case .nest(let from, let to) = d.item.kind else { continue }
            let a = callback(from), b = callback(to)
            guard let a, let b else { continue }
            if a == b {
                diagnostics.error(.selfNest, "ops.\(from.text) cannot run nested inside itself", at: d.item.range,
                                  hint: "the nesting graph must be acyclic; remove this line")
                continue
            }
            policy.nests.append(Nest(outer: a, inner: b, config: d.condition, range: d.item.range))
        }
    }

    /// The index of a named callback, or nil after reporting it unknown.
    mutating func callback(_ n: Name) -> Int? {
        if let i = policy.callback(named: n.text) { return i }
        unknown("callback", n, candidates: policy.callbacks.lazy.map(\.name))
        return nil
    }
}

// Hover text: what `kfpolicy explain` and `kfpolicy matrix` know about the name under the
// cursor, as markdown. A kfunc shows its sets, flags, contexts, requirements, doc, the matrix
// row (where it is allowed) and why it is denied elsewhere; a callback its contexts and the
// matrix column (which kfuncs it may call) and what may nest inside it.

import KFPolicy

/// The markdown shown on hover, by the kind of name under the cursor.
enum HoverText {
    /// The markdown for a name of `kind`, or nil when the model does not know it.
    static func markdown(_ name: String, _ kind: SymbolKind, _ p: Policy, path: String) -> String? {
        switch kind {
        case .kfunc: return p.kfunc(named: name).map { kfunc($0, p, path: path) }
        case .callback: return p.callback(named: name).map { callback($0, p) }
        case .contextOrGroup, .context, .group:
            if kind != .group, let i = p.contexts.firstIndex(where: { $0.name == name }) { return context(i, p) }
            return p.groups.first { $0.name == name }.map { g in
                "**group** `\(g.name)` = \(p.describe(g.mask))" + doc(g.doc)
            }
        case .set:
            guard let s = p.sets.firstIndex(where: { $0.name == name }) else { return nil }
            let members = p.kfuncs.filter { $0.sets.contains(s) }.map { "`\($0.name)`" }
            return "**set** `\(name)`: registered for \(programTypes(p.sets[s]))"
                + doc(p.sets[s].doc) + "\n\n\(members.count) kfunc\(members.count == 1 ? "" : "s"): " + list(members)
        case .requirement, .requirementOrBuiltin:
            if name == "sleepable" && !p.requirements.contains(where: { $0.name == name }) {
                return "**requires sleepable** (built in): the kfunc may be called only from callbacks declared "
                    + "`sleepable`"
            }
            guard let r = p.requirements.first(where: { $0.name == name }) else { return nil }
            let users = p.kfuncs.filter { $0.requires.contains(name) }.map { "`\($0.name)`" }
            return "**requirement** `\(name)`" + doc(r.doc) + "\n\nRequired by: " + list(users)
        case .flag:
            guard let f = KFFlag(rawValue: name) else { return nil }
            return "**\(name)** (1 << \(f.bit))" + (restrictingFlags[f].map { ": \($0)" } ?? "")
        case .progType:
            return ProgType(rawValue: name).map { "**program type** `\($0.cName)`" }
        case .policy, .structName:
            return "**policy** `\(p.name)` for `struct \(p.structName)`" + doc(p.doc)
                + "\n\n\(p.contexts.count) contexts, \(p.callbacks.count) callbacks, "
                + "\(p.kfuncs.count) kfuncs in \(p.sets.count) sets"
        case .property:
            return "**sleepable**: the callback may be a sleepable BPF program"
        case .kernel, .module, .nestingMode, .config, .oldName:
            return declarationLine(name, kind, p)
        case .prefix, .symbol:
            return nil
        }
    }

    /// What the policy-wide declarations and `was` mean.
    static func declarationLine(_ name: String, _ kind: SymbolKind, _ p: Policy) -> String? {
        switch kind {
        case .kernel:
            guard let k = Kernel(name) else { return nil }
            return "**kernel \(k)**: the kernel the generated C is for; its filter finds the callback from "
                + (k.hasMemberOffset ? "the member offset the verifier records"
                    : "the member index (`expected_attach_type`)")
        case .module:
            return "**module** `\(name)`: the kernel module that registers the kfunc sets"
                + (p.structInVmlinux ? "" : ", and defines `struct \(p.structName)`")
        case .nestingMode:
            return name == "per_instance"
                ? "**nesting per_instance**: the nesting graph may have cycles; the header checks each struct_ops "
                    + "map when it is registered"
                : "**nesting dag**: the nesting graph must be acyclic"
        case .config:
            let kfuncs = p.kfuncs.filter { $0.config.contains(name) }.map { "`\($0.name)`" }
            let callbacks = p.callbacks.filter { $0.config.contains(name) }.map { "ops.\($0.name)" }
            return "**\(name)**: what is inside exists only with this Kconfig option; decisions assume it is "
                + "enabled and the C wraps it in `#if IS_ENABLED(\(name))`"
                + "\n\nCallbacks: " + list(callbacks) + "\n\nKfuncs: " + list(kfuncs)
        case .oldName:
            return p.kfuncs.first { $0.was.contains(name) }.map {
                "`\(name)` is an earlier name of kfunc `\($0.name)`: `kfpolicy diff` reports the rename"
            }
        default:
            return nil
        }
    }

    static func doc(_ d: String?) -> String { d.map { "\n\n" + $0 } ?? "" }

    static func programTypes(_ s: KfuncSet) -> String { s.progTypes.map(\.rawValue).joined(separator: ", ") }

    static func list(_ xs: [String], limit: Int = 40) -> String {
        if xs.isEmpty { return "none" }
        return xs.prefix(limit).joined(separator: ", ") + (xs.count > limit ? ", … (\(xs.count - limit) more)" : "")
    }

    static func kfunc(_ k: Int, _ p: Policy, path: String) -> String {
        let kf = p.kfuncs[k]
        var out = "**kfunc** `\(kf.name)`" + doc(kf.doc) + "\n\n"
        out += "- sets: " + list(kf.sets.map { "`\(p.sets[$0].name)` (\(programTypes(p.sets[$0])))" }) + "\n"
        out += "- flags: " + (kf.flags.isEmpty ? "none" : kf.flags.map(\.rawValue).joined(separator: " | ")) + "\n"
        out += "- contexts (allow): " + p.describe(kf.mask) + "\n"
        if !kf.requires.isEmpty { out += "- requires: " + kf.requires.joined(separator: ", ") + "\n" }
        if !kf.config.isEmpty { out += "- exists with: " + kf.config.joined(separator: " && ") + "\n" }
        if !kf.was.isEmpty { out += "- earlier names: " + kf.was.joined(separator: ", ") + "\n" }
        func ops(_ cs: [Int]) -> String { cs.map { "ops.\(p.callbacks[$0].name)" }.joined(separator: ", ") }
        if !kf.invokes.isEmpty { out += "- invokes: " + ops(kf.invokes) + "\n" }
        for i in kf.impls { out += "- implemented by `\(i.symbol)` in " + ops(i.callbacks) + "\n" }
        // The matrix row: where it is allowed, by the contexts of the callbacks.
        let m = PermissionMatrix(p)
        if let row = m.rows.firstIndex(where: { $0.kfunc == kf.name }) {
            var flat = 0
            var allowed: [String] = []
            for g in m.columnGroups {
                let yes = g.columns.indices.filter { m.verdicts[row][flat + $0].new == true }
                    .map { g.columns[$0].caller }
                flat += g.columns.count
                if !yes.isEmpty { allowed.append("**\(g.label)**: " + yes.joined(separator: ", ")) }
            }
            out += "\nAllowed in: " + (allowed.isEmpty ? "no callback and no other program type"
                                                       : allowed.joined(separator: "; ")) + "\n"
        }
        // What explain says about the callbacks where it is denied.
        let denied = p.callbacks.indices.filter { !p.isAllowed(k, .callback($0)) }
        if !denied.isEmpty {
            out += "\nDenied in \(denied.count) callback\(denied.count == 1 ? "" : "s"), for example:\n"
            for c in denied.prefix(3) { out += "- " + p.decide(k, .callback(c)).summary + "\n" }
            out += "\n`kfpolicy explain \(path) \(kf.name) CALLBACK` shows the declarations that decide it."
        }
        return out
    }

    static func callback(_ c: Int, _ p: Policy) -> String {
        let cb = p.callbacks[c]
        var out = "**callback** `ops.\(cb.name)`: runs in \(p.describe(cb.contexts))"
            + (cb.sleepable ? ", sleepable" : "")
            + (cb.config.isEmpty ? "" : " (with " + cb.config.joined(separator: " && ") + ")") + doc(cb.doc)
        // The matrix column: the kfuncs it may call, by set.
        let allowed = p.kfuncs.indices.filter { p.isAllowed($0, .callback(c)) }
        var bySet: [(String, [String])] = []
        for k in allowed {
            let set = p.kfuncs[k].sets.first.map { p.sets[$0].name } ?? "(no set)"
            if let i = bySet.firstIndex(where: { $0.0 == set }) {
                bySet[i].1.append(p.kfuncs[k].name)
            } else {
                bySet.append((set, [p.kfuncs[k].name]))
            }
        }
        out += "\n\nMay call \(allowed.count) kfunc\(allowed.count == 1 ? "" : "s")\(allowed.isEmpty ? "." : ":")\n"
        for (set, names) in bySet { out += "- `\(set)`: " + list(names.map { "`\($0)`" }) + "\n" }
        let graph = NestingGraph(p)
        let nested = graph.nestedCallbacks(of: c).filter { $0 != c }.map { "ops.\(p.callbacks[$0].name)" }
        if !nested.isEmpty { out += "\nMay run nested inside it: " + nested.joined(separator: ", ") + "\n" }
        let invokers = p.kfuncs.filter { $0.invokes.contains(c) }.map { "`\($0.name)`" }
        if !invokers.isEmpty { out += "\nInvoked by: " + invokers.joined(separator: ", ") + "\n" }
        let outer = p.nests.filter { $0.inner == c }.map { "ops.\(p.callbacks[$0.outer].name)" }
        if !outer.isEmpty { out += "\nThe kernel runs it inside: " + outer.joined(separator: ", ") + "\n" }
        return out
    }

    static func context(_ i: Int, _ p: Policy) -> String {
        let c = p.contexts[i]
        let callbacks = p.callbacks.filter { $0.contexts.contains(i) }.map { "ops.\($0.name)" }
        let groups = p.groups.filter { $0.mask.contains(i) }.map { "`\($0.name)`" }
        let kfuncs = p.kfuncs.filter { $0.mask.contains(i) }.map { "`\($0.name)`" }
        var out = "**context** `\(c.name)` (bit \(i))" + doc(c.doc)
        out += "\n\nCallbacks running in it: " + list(callbacks)
        if !groups.isEmpty { out += "\n\nIn groups: " + groups.joined(separator: ", ") }
        out += "\n\nKfuncs allowed in it: " + list(kfuncs)
        return out
    }
}

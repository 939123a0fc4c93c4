// Renames: a removed name and an added one that decide the same are one declaration, renamed.
// They are found before anything else is compared, so a rename shows once, as a rename.

extension Differ {
    /// Pairs removed names with added names whose signature (what they decide) is equal.
    /// Several candidates are paired by closest spelling, then by name, so the result is stable.
    static func match(removed: [String], added: [String], oldSig: (String) -> String,
                      newSig: (String) -> String) -> [String: String] {
        let os = Dictionary(uniqueKeysWithValues: removed.map { ($0, oldSig($0)) })
        let ns = Dictionary(uniqueKeysWithValues: added.map { ($0, newSig($0)) })
        var pairs: [(Int, String, String)] = []
        for r in removed { for a in added where os[r] == ns[a] { pairs.append((editDistance(r, a), r, a)) } }
        pairs.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        var out: [String: String] = [:], used = Set<String>()
        for (_, r, a) in pairs where out[r] == nil && !used.contains(a) { out[r] = a; used.insert(a) }
        return out
    }

    /// The renames among one kind of declaration: `names` lists them on a side, the signatures
    /// say what each decides on the old and the new side.
    /// `declared` holds renames the new side states (`was OLD`): they come first, and the
    /// signatures pair the rest.
    func renamed(_ names: (Policy) -> [String], declared: [String: String] = [:], old oldSig: (String) -> String,
                 new newSig: (String) -> String) -> [String: String] {
        let o = names(old.p), n = names(new.p)
        let oldNames = Set(o), newNames = Set(n), declaredNew = Set(declared.values)
        let found = Differ.match(removed: o.filter { !newNames.contains($0) && declared[$0] == nil }.sorted(),
                                 added: n.filter { !oldNames.contains($0) && !declaredNew.contains($0) }.sorted(),
                                 oldSig: oldSig, newSig: newSig)
        return declared.merging(found) { d, _ in d }
    }

    /// Names as one signature field: sorted, comma-separated.
    static func field(_ names: [String]) -> String { names.sorted().joined(separator: ",") }

    mutating func detectRenames() {
        let op = old.p, np = new.p
        // Contexts: which callbacks run in them, which kfuncs allow them, which groups hold them.
        func contextSig(_ d: DiffInput, _ i: Int) -> String {
            let m = ContextMask.bit(i)
            return [Differ.field(d.p.callbacks.filter { $0.contexts.meets(m) }.map(\.name)),
                    Differ.field(d.p.kfuncs.filter { $0.mask.meets(m) }.map(\.name)),
                    Differ.field(d.p.groups.filter { $0.mask.meets(m) }.map(\.name))].joined(separator: ";")
        }
        renames.contexts = renamed({ $0.contexts.map(\.name) }, old: { contextSig(old, old.contextIndex($0)!) },
                                   new: { contextSig(new, new.contextIndex($0)!) })
        // Callbacks: contexts, sleepable, and the verdict for every kfunc both sides declare.
        let commonKfuncs = Set(op.kfuncs.map(\.name)).intersection(np.kfuncs.map(\.name)).sorted()
        func callbackSig(_ d: DiffInput, _ name: String, _ contexts: (ContextMask) -> [String]) -> String {
            let c = d.callbackIndex(name)!
            let allowed = commonKfuncs.filter { d.p.isAllowed(d.kfuncIndex($0)!, .callback(c)) }
            return [contexts(d.p.callbacks[c].contexts).joined(separator: ","), d.p.callbacks[c].sleepable ? "s" : "",
                    allowed.joined(separator: ",")].joined(separator: ";")
        }
        renames.callbacks = renamed({ $0.callbacks.map(\.name) }, old: { callbackSig(old, $0, oldContexts) },
                                    new: { callbackSig(new, $0, newContexts) })
        // Kfuncs: the verdict for every callback both sides declare and every program type.
        let commonCallbacks = Set(op.callbacks.map { cb($0.name) }).intersection(np.callbacks.map(\.name))
        func kfuncSig(_ d: DiffInput, _ name: String, _ callbackName: (String) -> String) -> String {
            let k = d.kfuncIndex(name)!
            let cbs = d.p.allowedCallbacks(of: k).map { callbackName(d.p.callbacks[$0].name) }
                .filter(commonCallbacks.contains)
            return Differ.field(cbs) + ";" + d.allowedProgTypes(k).map(\.rawValue).joined(separator: ",")
        }
        // Renames a side declares (`was OLD`) first, then those that decide the same. (Either side
        // may say it: a diff read backwards sees the rename backwards.)
        var declared: [String: String] = [:]
        for k in np.kfuncs where op.kfunc(named: k.name) == nil {
            for o in k.was where op.kfunc(named: o) != nil && np.kfunc(named: o) == nil && declared[o] == nil {
                declared[o] = k.name
            }
        }
        for k in op.kfuncs where np.kfunc(named: k.name) == nil && declared[k.name] == nil {
            let renamedTo = k.was.first { n in
                np.kfunc(named: n) != nil && op.kfunc(named: n) == nil && !declared.values.contains(n)
            }
            if let n = renamedTo { declared[k.name] = n }
        }
        renames.kfuncs = renamed({ $0.kfuncs.map(\.name) }, declared: declared, old: { kfuncSig(old, $0, cb) },
                                 new: { kfuncSig(new, $0, { $0 }) })
        // Sets: program types and members.
        func setSig(_ d: DiffInput, _ name: String, _ kfuncName: (String) -> String) -> String {
            let i = d.setIndex(name)!
            let members = d.p.kfuncs.filter { $0.sets.contains(i) }.map { kfuncName($0.name) }
            return d.p.sets[i].progTypes.sorted().map(\.rawValue).joined(separator: ",") + ";" + Differ.field(members)
        }
        renames.sets = renamed({ $0.sets.map(\.name) }, old: { setSig(old, $0, kf) }, new: { setSig(new, $0, { $0 }) })
        // Groups: their mask. Requirements: the kfuncs that carry them.
        func group(_ p: Policy, _ n: String) -> ContextMask { p.groups.first { $0.name == n }!.mask }
        renames.groups = renamed({ $0.groups.map(\.name) }, old: { oldContexts(group(op, $0)).joined(separator: ",") },
                                 new: { newContexts(group(np, $0)).joined(separator: ",") })
        func carriers(_ p: Policy, _ n: String) -> [String] { p.kfuncs.filter { $0.requires.contains(n) }.map(\.name) }
        renames.requirements = renamed({ $0.requirements.map(\.name) }, old: { Differ.field(carriers(op, $0).map(kf)) },
                                       new: { Differ.field(carriers(np, $0)) })
    }

    mutating func reportRenames() {
        // A kfunc's name is what BPF programs call: a renamed kfunc breaks those that call the old one.
        for (o, n) in renames.kfuncs.sorted(by: { $0.key < $1.key }) {
            let ok = old.p.kfuncs[old.p.kfunc(named: o)!], nk = new.p.kfuncs[new.p.kfunc(named: n)!]
            var oldLocs: [(SourceRange, String)] = [(ok.range, "kfunc '\(o)'")]
            var newLocs: [(SourceRange, String)] = [(nk.range, "kfunc '\(n)'")]
            if nk.was.contains(o) { newLocs.append((nk.wasRange, "'\(n)' was '\(o)'")) }
            if ok.was.contains(n) { oldLocs.append((ok.wasRange, "'\(o)' was '\(n)'")) }
            add(.kfuncRenamed, n, "kfunc '\(o)' renamed to '\(n)': programs that call '\(o)' no longer load",
                old: old.evidence("kfunc \(o)", oldLocs), new: new.evidence("kfunc \(n)", newLocs), key: n)
        }
        let kinds = [("context", renames.contexts), ("group", renames.groups), ("callback", renames.callbacks),
                     ("requirement", renames.requirements), ("set", renames.sets)]
        for (what, map) in kinds {
            for (o, n) in map.sorted(by: { $0.key < $1.key }) {
                add(.renamed, n, "\(what) '\(o)' renamed to '\(n)' (it decides the same)",
                    old: old.evidence("\(what) \(o)", [(old.declaration(what, o), "\(what) '\(o)'")]),
                    new: new.evidence("\(what) \(n)", [(new.declaration(what, n), "\(what) '\(n)'")]),
                    key: "\(n) \(what)")
            }
        }
    }
}

extension DiffInput {
    /// Where the declaration of kind `what` (context, group, callback, ...) named `name` is.
    func declaration(_ what: String, _ name: String) -> SourceRange {
        switch what {
        case "context": return p.contexts.first { $0.name == name }!.range
        case "group": return p.groups.first { $0.name == name }!.range
        case "callback": return p.callbacks[p.callback(named: name)!].range
        case "requirement": return p.requirements.first { $0.name == name }!.range
        case "set": return p.sets.first { $0.name == name }!.range
        default: return p.kfuncs[p.kfunc(named: name)!].range
        }
    }
}

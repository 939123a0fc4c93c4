// What a form must share with the policy whose header serves it: the header holds one context
// enum, one set of kfunc sets and one context table; each struct has its own callback table.

struct FormCheck {
    let p: Policy
    let f: Policy
    init(_ p: Policy, _ f: Policy) { self.p = p; self.f = f }

    /// One way the form differs, and where the form says it.
    struct Mismatch { let message: String; let range: SourceRange }

    func mismatches() -> [Mismatch] {
        var out: [Mismatch] = []
        if f.kernel != p.kernel { out.append(Mismatch(message: "it is for Linux \(f.kernel), this policy for \(p.kernel)", range: f.range)) }
        if f.module != p.module { out.append(Mismatch(message: "its kfunc sets are registered by \(f.module ?? "vmlinux")", range: f.range)) }
        if f.contexts.map(\.name) != p.contexts.map(\.name) {
            out.append(Mismatch(message: "its contexts are \(f.contexts.map(\.name)), not \(p.contexts.map(\.name))", range: f.range))
        }
        if f.prefix != p.prefix, f.runtimeGuards || p.runtimeGuards {
            out.append(Mismatch(message: "run-time guards are per policy", range: f.range))
        }
        out += sets() + kfuncs()
        return out
    }

    func sets() -> [Mismatch] {
        func facts(_ q: Policy, _ s: KfuncSet) -> String { "\(s.progTypes) \(s.external) \(s.config)" }
        var out: [Mismatch] = []
        for s in f.sets {
            guard let o = p.sets.first(where: { $0.name == s.name }) else {
                out.append(Mismatch(message: "set '\(s.name)' is not this policy's", range: s.range)); continue
            }
            if facts(f, s) != facts(p, o) { out.append(Mismatch(message: "set '\(s.name)' is registered otherwise", range: s.range)) }
        }
        for s in p.sets where !f.sets.contains(where: { $0.name == s.name }) {
            out.append(Mismatch(message: "it lacks set '\(s.name)'", range: f.range))
        }
        return out
    }

    func kfuncs() -> [Mismatch] {
        func facts(_ q: Policy, _ k: Kfunc) -> String {
            "\(k.sets.map { q.sets[$0].name }) \(k.flags) \(k.mask.bits) \(k.requiresSleepable) \(k.config)"
        }
        var out: [Mismatch] = []
        for k in f.kfuncs {
            guard let i = p.kfunc(named: k.name) else { out.append(Mismatch(message: "kfunc '\(k.name)' is not this policy's", range: k.range)); continue }
            if facts(f, k) != facts(p, p.kfuncs[i]) { out.append(Mismatch(message: "kfunc '\(k.name)' says otherwise", range: k.range)) }
        }
        for k in p.kfuncs where f.kfunc(named: k.name) == nil {
            out.append(Mismatch(message: "it lacks kfunc '\(k.name)'", range: f.range))
        }
        return out
    }
}

// What a form must share with the policy whose header serves it: the header holds one context
// enum, one set of kfunc sets and one context table; each struct has its own callback table.

struct FormCheck {
    let p: Policy
    let f: Policy
    init(_ p: Policy, _ f: Policy) { self.p = p; self.f = f }

    /// One way the form differs, and where the form says it.
    struct Mismatch {
        let message: String
        let range: SourceRange
        init(_ message: String, at range: SourceRange) { self.message = message; self.range = range }
    }

    func mismatches() -> [Mismatch] {
        var out: [Mismatch] = []
        if f.kernel != p.kernel {
            out.append(Mismatch("it is for Linux \(f.kernel), this policy for \(p.kernel)", at: f.range))
        }
        if f.module != p.module {
            out.append(Mismatch("its kfunc sets are registered by \(f.module ?? "vmlinux")", at: f.range))
        }
        let formContexts = f.contexts.map(\.name), contexts = p.contexts.map(\.name)
        if formContexts != contexts {
            out.append(Mismatch("its contexts are \(formContexts), not \(contexts)", at: f.range))
        }
        if f.prefix != p.prefix, f.runtimeGuards || p.runtimeGuards {
            out.append(Mismatch("run-time guards are per policy", at: f.range))
        }
        out += sets() + kfuncs()
        return out
    }

    func sets() -> [Mismatch] {
        func facts(_ q: Policy, _ s: KfuncSet) -> String { "\(s.progTypes) \(s.external) \(s.config)" }
        var out: [Mismatch] = []
        for s in f.sets {
            guard let o = p.sets.first(where: { $0.name == s.name }) else {
                out.append(Mismatch("set '\(s.name)' is not this policy's", at: s.range))
                continue
            }
            if facts(f, s) != facts(p, o) {
                out.append(Mismatch("set '\(s.name)' is registered otherwise", at: s.range))
            }
        }
        for s in p.sets where !f.sets.contains(where: { $0.name == s.name }) {
            out.append(Mismatch("it lacks set '\(s.name)'", at: f.range))
        }
        return out
    }

    func kfuncs() -> [Mismatch] {
        func facts(_ q: Policy, _ k: Kfunc) -> String {
            "\(k.sets.map { q.sets[$0].name }) \(k.flags) \(k.mask.bits) \(k.requiresSleepable) \(k.config)"
        }
        var out: [Mismatch] = []
        for k in f.kfuncs {
            guard let i = p.kfunc(named: k.name) else {
                out.append(Mismatch("kfunc '\(k.name)' is not this policy's", at: k.range))
                continue
            }
            if facts(f, k) != facts(p, p.kfuncs[i]) {
                out.append(Mismatch("kfunc '\(k.name)' says otherwise", at: k.range))
            }
        }
        for k in p.kfuncs where f.kfunc(named: k.name) == nil {
            out.append(Mismatch("it lacks kfunc '\(k.name)'", at: f.range))
        }
        return out
    }
}

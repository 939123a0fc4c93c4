// kfpolicy lint, phase 2: which kfunc calls a program can make, as the verifier explores it.
// A static function is followed with the values its caller passes (the verifier checks a
// static subprogram with its caller's precise arguments), and a call whose condition is known
// not to hold there (a constant flag, a weak kfunc the target kernel lacks) is left out, as the
// verifier removes that branch as dead code.

import KFPolicy

/// The names, notes and call sites of a path from a program to a call.
struct LintChain {
    var names: [String] = []
    var notes: [DiagnosticNote] = []
    var sites: [SourceRange] = []
}

extension LintChecker {
    /// A function reached with the values known for its parameters.
    struct State: Hashable {
        let key: String
        let arguments: [Int: Int64]
    }

    struct Reach {
        var kfuncCalls: [(steps: [LintStep], edge: LintEdge)] = []
        var unresolved: [(steps: [LintStep], edge: LintEdge)] = []
    }

    func isKfunc(_ edge: LintEdge) -> Bool {
        index.kfuncs[edge.spelled] != nil && !(index.functions[edge.target]?.isDefined ?? false)
    }

    /// Whether the target kernel resolves a kfunc declaration: a strong declaration always (a
    /// program that loads has it), a weak one when the policy knows the kfunc.
    func kfuncExists(_ spelled: String) -> Bool {
        guard let decl = index.kfuncs[spelled], decl.isWeak else { return true }
        return policy.kfunc(named: Self.kernelName(spelled)) != nil
    }

    /// Every kfunc call and unresolved call reachable from `start`, each with the shortest path
    /// that reaches it; calls on paths the verifier prunes are left out.
    func reach(from start: LintFunction) -> Reach {
        var r = Reach()
        let first = State(key: start.key, arguments: [:])
        var pathTo: [State: [LintStep]] = [first: []]
        var queue = [first]
        var head = 0
        let exists = { (name: String) in kfuncExists(name) }
        while head < queue.count {
            let state = queue[head]
            head += 1
            guard let f = index.functions[state.key], let here = pathTo[state] else { continue }
            for e in f.edges where e.guards.allSatisfy({ $0.mayHold(state.arguments, exists) }) {
                if isKfunc(e) {
                    r.kfuncCalls.append((here, e))
                } else if let g = index.functions[e.target], g.isDefined {
                    let next = State(key: g.key, arguments: arguments(of: g, passedBy: e, from: state.arguments))
                    if pathTo[next] == nil {
                        pathTo[next] = here + [(f, e)]
                        queue.append(next)
                    }
                } else {
                    r.unresolved.append((here + [(f, e)], e))
                }
            }
        }
        return r
    }

    /// The parameter values of `g` known at a direct call: only a static function is checked
    /// with its caller's values, and only for parameters it never changes.
    func arguments(of g: LintFunction, passedBy e: LintEdge, from caller: [Int: Int64]) -> [Int: Int64] {
        guard g.isStatic, case .call = e.kind else { return [:] }
        var out: [Int: Int64] = [:]
        for (i, a) in e.arguments.enumerated() where !g.mutatedParameters.contains(i) {
            if let v = a.evaluate(caller, { kfuncExists($0) }) { out[i] = v }
        }
        return out
    }

    /// Two functions made by one macro invocation (BPF_STRUCT_OPS's outer function and the body
    /// it calls) are one function to the reader.
    func isGlue(_ a: LintFunction, _ b: LintFunction) -> Bool {
        guard let x = a.expansion, let y = b.expansion else { return false }
        return a.unit == b.unit && x.file == y.file && x.offset == y.offset
    }

    /// Notes for each step from the entry to `last` (the call the diagnostic is about), the
    /// chain of names and the call sites.
    func chainNotes(_ entry: LintEntry, _ steps: [LintStep], _ last: LintEdge) -> LintChain {
        var c = LintChain(names: [entry.label, entry.function.name],
                          notes: [DiagnosticNote(entry.note, at: entry.site)])
        var shown = entry.function.name
        for (from, e) in steps {
            guard let to = index.functions[e.target] else { continue }
            if isGlue(from, to) { continue }
            c.notes.append(DiagnosticNote(stepText(shown, e), at: e.site))
            c.sites.append(e.site)
            for m in e.macros {
                c.notes.append(DiagnosticNote("macro '\(m.name)' expands to '\(m.next)'", at: m.range))
                c.names.append("[\(m.name)]")
            }
            shown = to.name
            c.names.append(shown)
        }
        // The last call: its site is the diagnostic's own location; only its macros need notes.
        if case .call = last.kind {} else { c.notes.append(DiagnosticNote(stepText(shown, last), at: last.site)) }
        c.sites.append(last.site)
        for m in last.macros {
            c.notes.append(DiagnosticNote("macro '\(m.name)' expands to '\(m.next)'", at: m.range))
            c.names.append("[\(m.name)]")
        }
        c.names.append(last.spelled)
        return c
    }

    func stepText(_ from: String, _ e: LintEdge) -> String {
        let via = e.macros.first.map { " through macro '\($0.name)'" } ?? ""
        switch e.kind {
        case .call: return "'\(from)' calls '\(e.spelled)'\(via)"
        case .callback(let helper):
            return "'\(from)' passes '\(e.spelled)' to \(helper), which calls it as part of the same program"
        case .addressTaken: return "'\(from)' takes the address of '\(e.spelled)', a subprogram of the same program"
        case .cleanup(let v):
            return "'\(from)' calls '\(e.spelled)'\(via) when '\(v)' goes out of scope (cleanup attribute)"
        }
    }

    // MARK: Addresses taken

    /// kfuncs a function can reach by calls (names, sorted), memoized.
    func kfuncsReached(from f: LintFunction, memo: inout [String: [String]]) -> [String] {
        if let m = memo[f.key] { return m }
        var names: Set<String> = []
        var seen: Set<String> = [f.key]
        var stack = [f]
        while let g = stack.popLast() {
            for e in g.edges {
                if isKfunc(e) { names.insert(e.spelled) }
                else if let h = index.functions[e.target], h.isDefined, seen.insert(h.key).inserted { stack.append(h) }
            }
        }
        let out = names.sorted()
        memo[f.key] = out
        return out
    }

    /// The name a reader knows a function by: the body of a BPF_STRUCT_OPS program is shown as
    /// the program.
    func displayNames() -> [String: String] {
        var out: [String: String] = [:]
        for key in index.functionOrder {
            guard let a = index.functions[key] else { continue }
            for e in a.edges { if let b = index.functions[e.target], isGlue(a, b) { out[b.key] = a.name } }
        }
        return out
    }

    /// kfunc addresses a program lets escape (other than to test them), and functions that call
    /// kfuncs stored in global data: calls through those pointers cannot be checked.
    mutating func escapes() {
        let shown = displayNames()
        var memo: [String: [String]] = [:]
        var seen: Set<SourceRange> = []
        var all: [(LintFunction?, LintEscape)] = []
        for key in index.functionOrder { if let f = index.functions[key] { for e in f.escapes { all.append((f, e)) } } }
        for e in index.globalEscapes { all.append((nil, e)) }
        for (owner, e) in all where seen.insert(e.site).inserted {
            let inside = owner.map { " in '\(shown[$0.key] ?? $0.name)'" } ?? ""
            if index.kfuncs[e.spelled] != nil, !(index.functions[e.target]?.isDefined ?? false) {
                add(.warning, .lintAddressTaken,
                    "the address of kfunc '\(e.spelled)' is taken here\(inside); "
                        + "a call through the pointer cannot be checked",
                    at: e.site, hint: "call '\(e.spelled)' directly so kfpolicy lint can check the callback it runs in",
                    chain: LintChain(names: [e.spelled], sites: [e.site]))
                continue
            }
            guard let target = index.functions[e.target], target.isDefined else { continue }
            let ks = kfuncsReached(from: target, memo: &memo)
            if ks.isEmpty { continue }
            let list = ks.prefix(3).map { "'\($0)'" }.joined(separator: ", ") + (ks.count > 3 ? ", ..." : "")
            add(.warning, .lintAddressTaken,
                "the address of '\(target.name)' is stored in global data\(inside); it calls kfuncs (\(list)) "
                    + "that are not checked when it is called through the pointer",
                at: e.site, notes: [DiagnosticNote("'\(target.name)' is defined here", at: target.site)],
                hint: "a BPF program can only pass a function to a helper or kfunc that calls it; pass it directly",
                chain: LintChain(names: [target.name], sites: [e.site]))
        }
    }
}

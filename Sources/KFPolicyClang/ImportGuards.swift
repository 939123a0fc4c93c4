// The run-time context checks of a kfunc: the guards at the top of its body (and of the
// functions it calls) that return early outside some contexts, evaluated per context.

import KFPolicy

/// The run-time checks of sched_ext (6.12) the importer understands, by function name.
enum ContextCheck {
    /// True in the contexts of the mask argument (scx_kf_allowed).
    case mask
    /// As `mask`, and the task argument must be one the running callback operates on.
    case maskOnSubjectTask
    /// True when no context bit is set (scx_kf_allowed_if_unlocked).
    case unlocked

    static let known: [String: ContextCheck] = [
        "scx_kf_allowed": .mask,
        "scx_kf_allowed_on_arg_tasks": .maskOnSubjectTask,
        "scx_kf_allowed_if_unlocked": .unlocked,
    ]
}

/// Three-valued truth for guard conditions: whether a condition is true, false, or depends on
/// something other than the context (an argument, the state of the system).
enum Truth {
    case yes, no, depends
    static prefix func ! (a: Truth) -> Truth { a == .yes ? .no : a == .no ? .yes : .depends }
    static func && (a: Truth, b: Truth) -> Truth {
        a == .no || b == .no ? .no : a == .yes && b == .yes ? .yes : .depends
    }
    static func || (a: Truth, b: Truth) -> Truth {
        a == .yes || b == .yes ? .yes : a == .no && b == .no ? .no : .depends
    }
}

extension Importer {
    /// The contexts in which function `name` gets past its context checks (and those of the
    /// file's functions it calls).
    mutating func admittedContexts(_ name: String) -> Set<Int> {
        if let a = admitted[name] { return a }
        guard let fn = ks.functions[name], let body = fn.body, !inProgress.contains(name) else { return allContexts }
        inProgress.insert(name)
        defer { inProgress.remove(name) }
        let st = ks.files[body.file]
        let c = st.code
        var result = allContexts
        var reqs = Set<String>()
        var ev: [String] = []
        var handled = Set<Int>()
        // Guards among the top-level statements.
        var i = body.open + 1
        while i < body.close {
            if c[i].text == "if", i + 1 < body.close, c[i + 1].text == "(", let close = st.matching(i + 1),
               close < body.close,
               let stmtEnd = guardEnd(st, close + 1, limit: body.close) {
                let cond = Array((i + 2)..<close)
                if cond.contains(where: { involvesChecks(c[$0].text) }) {
                    let (truth, r, used) = evaluate(st, body.file, cond)
                    let passes = Set(contextNames.indices.filter { truth[$0] != .yes })
                    result.formIntersection(passes)
                    reqs.formUnion(r)
                    handled.formUnion(used)
                    ev.append("'if (\(tokenText(cond.map { c[$0] })))' at \(rel(ks.location(body.file, i)))")
                }
                i = stmtEnd
                continue
            }
            if c[i].text == "{", let close = st.matching(i) { i = close + 1; continue }
            i += 1
        }
        // Checks and checked functions used elsewhere in the body.
        var j = body.open + 1
        while j < body.close {
            defer { j += 1 }
            guard !handled.contains(j), c[j].kind == .identifier, j + 1 < body.close, c[j + 1].text == "("
            else { continue }
            let callee = c[j].text
            if ContextCheck.known[callee] != nil {
                cannot("\(name)(): \(callee)() is used in a way import does not follow (not as the condition of a "
                       + "top-level 'if (...) return/goto'); its effect is not in the policy",
                       at: ks.location(body.file, j))
                continue
            }
            if callee != name, ks.functions[callee]?.body != nil {
                let a = admittedContexts(callee)
                if a != allContexts {
                    result.formIntersection(a)
                    reqs.formUnion(requirementsOf[callee] ?? [])
                    ev.append("calls \(callee)() at \(rel(ks.location(body.file, j))), which checks: "
                              + (evidence[callee] ?? []).joined(separator: "; "))
                }
            }
        }
        admitted[name] = result
        requirementsOf[name] = reqs
        evidence[name] = ev
        return result
    }

    /// True for a check or a function whose own checks restrict contexts.
    mutating func involvesChecks(_ s: String) -> Bool {
        if ContextCheck.known[s] != nil { return true }
        guard ks.functions[s]?.body != nil, !inProgress.contains(s) else { return false }
        return admittedContexts(s) != allContexts
    }

    /// The index after the statement that follows an `if (...)`, when that statement leaves
    /// the function (return or goto, alone or ending a block); nil otherwise.
    func guardEnd(_ st: SourceTokens, _ start: Int, limit: Int) -> Int? {
        let c = st.code
        guard start < limit else { return nil }
        if c[start].text == "return" || c[start].text == "goto" {
            guard let semi = (start..<limit).first(where: { c[$0].text == ";" }) else { return nil }
            if semi + 1 < limit && c[semi + 1].text == "else" { return nil }
            return semi + 1
        }
        if c[start].text == "{", let close = st.matching(start), close < limit {
            // The block's last statement must be a return or goto.
            var k = close - 1
            while k > start && c[k].text != ";" { k -= 1 }
            var s = k - 1
            while s > start && c[s].text != ";" && c[s].text != "{" && c[s].text != "}" { s -= 1 }
            guard c[s + 1].text == "return" || c[s + 1].text == "goto" else { return nil }
            if close + 1 < limit && c[close + 1].text == "else" { return nil }
            return close + 1
        }
        return nil
    }

    /// Evaluates a condition (token indices) per context. Returns the truth in each context,
    /// the requirements its checks add, and the token indices it used.
    mutating func evaluate(_ st: SourceTokens, _ file: Int, _ idx: [Int]) -> ([Truth], Set<String>, Set<Int>) {
        var reqs = Set<String>()
        var used = Set<Int>()
        let c = st.code
        func all(_ t: Truth) -> [Truth] { [Truth](repeating: t, count: contextNames.count) }
        func expr(_ r: ArraySlice<Int>) -> [Truth] {
            let parts = split(r, "||")
            if parts.count > 1 { return parts.map(expr).reduce(all(.no)) { zip($0, $1).map { $0 || $1 } } }
            let ands = split(r, "&&")
            if ands.count > 1 { return ands.map(expr).reduce(all(.yes)) { zip($0, $1).map { $0 && $1 } } }
            guard let first = r.first else { return all(.depends) }
            if c[first].text == "!" { return expr(r.dropFirst()).map { !$0 } }
            if c[first].text == "(", let close = st.matching(first), close == r.last {
                return expr(r.dropFirst().dropLast())
            }
            // A call that is the whole operand.
            if c[first].kind == .identifier, r.count >= 3, c[r[r.startIndex + 1]].text == "(",
               let close = st.matching(r[r.startIndex + 1]), close == r.last {
                let callee = c[first].text
                let args = splitIndices(Array(r.dropFirst(2).dropLast()))
                if callee == "likely" || callee == "unlikely", args.count == 1 { return expr(args[0][...]) }
                if let kind = ContextCheck.known[callee] {
                    used.insert(first)
                    switch kind {
                    case .unlocked:
                        return contextBits.map { $0 == 0 ? .yes : .no }
                    case .mask, .maskOnSubjectTask:
                        guard let m = args.first, let v = maskValue(m.map { c[$0] }) else {
                            return all(.depends)
                        }
                        let ctx = contexts(of: v)
                        if kind == .maskOnSubjectTask { reqs.insert("subject_task") }
                        // A mask check is false when no bit is set (the no-bit context).
                        return contextNames.indices.map { i in
                            contextBits[i] != 0 && ctx.contains(i) ? (kind == .mask ? .yes : .depends) : .no
                        }
                    }
                }
                if ks.functions[callee]?.body != nil {
                    let a = admittedContexts(callee)
                    if a != allContexts {
                        used.insert(first)
                        reqs.formUnion(requirementsOf[callee] ?? [])
                        return contextNames.indices.map { a.contains($0) ? .depends : .no }
                    }
                }
            }
            return all(.depends)
        }
        func split(_ r: ArraySlice<Int>, _ op: String) -> [ArraySlice<Int>] {
            var out: [ArraySlice<Int>] = []
            var depth = 0
            var start = r.startIndex
            for k in r.indices {
                let t = c[r[k]].text
                if t == "(" || t == "[" {
                    depth += 1
                } else if t == ")" || t == "]" {
                    depth -= 1
                } else if t == op && depth == 0 {
                    out.append(r[start..<k])
                    start = k + 1
                }
            }
            out.append(r[start..<r.endIndex])
            return out
        }
        func splitIndices(_ r: [Int]) -> [[Int]] {
            var out: [[Int]] = [[]]
            var depth = 0
            for k in r {
                let t = c[k].text
                if t == "(" || t == "[" { depth += 1 } else if t == ")" || t == "]" { depth -= 1 }
                if t == "," && depth == 0 { out.append([]) } else { out[out.count - 1].append(k) }
            }
            return r.isEmpty ? [] : out
        }
        let truth = expr(idx[...])
        return (truth, reqs, used)
    }
}

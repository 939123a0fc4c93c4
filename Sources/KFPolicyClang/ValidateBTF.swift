// .BTF_ids as the header lays it out (its BTF id macro invocations, through its own wrappers),
// and the kfunc sets compared with the policy's.

import KFPolicy

/// One BTF id macro invocation in the header, after expanding the header's own wrappers
/// (such as `SCX_KFP_CTX_ENTRY(k, w)`, which stands for `BTF_ID_FLAGS(func, k, w)`).
struct BTFInvocation {
    let macro: String
    let args: [String]
    /// Where it is written in the header (the wrapper's position for a wrapped one).
    let offset: Int
    /// The index of that name in the file's code tokens.
    let tokenIndex: Int
}

/// The BTF id macros whose invocations describe .BTF_ids.
let btfMacros: Set<String> = ["BTF_KFUNCS_START", "BTF_KFUNCS_END", "BTF_SET8_START", "BTF_SET8_END",
                              "BTF_ID_FLAGS", "BTF_ID", "BTF_ID_LIST", "BTF_ID_LIST_SINGLE"]


/// Every BTF id macro invocation in a file's code, with the file's own function-like macros
/// that wrap them expanded one level.
func btfInvocations(_ st: SourceTokens) -> [BTFInvocation] {
    var out: [BTFInvocation] = []
    let code = st.code
    for i in code.indices where code[i].kind == .identifier && isCall(code, i) {
        let name = code[i].text
        let offset = code[i].location.offset
        if btfMacros.contains(name) {
            if let (args, _) = st.arguments(at: i + 1) {
                out.append(BTFInvocation(macro: name, args: args.map(tokenText), offset: offset, tokenIndex: i))
            }
        } else if let m = st.macros[name], m.params != nil, m.body.contains(where: { btfMacros.contains($0.text) }),
                  let (args, _) = st.arguments(at: i + 1) {
            let body = m.substitute(args)
            for j in body.indices where btfMacros.contains(body[j].text) && isCall(body, j) {
                guard let end = closingParenthesis(body, from: j + 1) else { continue }
                let inner = splitArguments(Array(body[(j + 2)..<end])).map(tokenText)
                out.append(BTFInvocation(macro: body[j].text, args: inner, offset: offset, tokenIndex: i))
            }
        }
    }
    return out
}

/// Whether the token at `i` is followed by `(`.
private func isCall(_ tokens: [ClangToken], _ i: Int) -> Bool { i + 1 < tokens.count && tokens[i + 1].text == "(" }

/// The index of the `)` that closes the `(` at `open`, if the tokens hold it.
private func closingParenthesis(_ tokens: [ClangToken], from open: Int) -> Int? {
    var depth = 0
    for end in open..<tokens.count {
        if tokens[end].text == "(" {
            depth += 1
        } else if tokens[end].text == ")" {
            depth -= 1
            if depth == 0 { return end }
        }
    }
    return nil
}

extension BTFInvocation {
    /// The argument at `i`, or `missing` when the invocation has fewer.
    func argument(_ i: Int, or missing: String = "") -> String { i < args.count ? args[i] : missing }
}

/// A set8 or id list as the header lays it out in .BTF_ids.
struct BTFList {
    enum Kind { case kfuncs, set8, list }
    let name: String
    let kind: Kind
    let offset: Int
    /// One `BTF_ID` or `BTF_ID_FLAGS`: (kind, name, flags expression or nil, offset).
    typealias Entry = (kind: String, name: String, flags: String?, offset: Int)
    var entries: [Entry] = []
    var closed = false
}

extension HeaderValidation {
    /// Lays the BTF macro invocations out as .BTF_ids is laid out, and checks the kfunc sets.
    mutating func checkBTF(_ invocations: [BTFInvocation]) {
        let order = layOutBTFLists(invocations)
        for s in policy.emittedSets { checkKfuncSet(s) }
        checked += 1
        let structList = btfLists[n.structIDs]
        let structs = [policy.structName] + policy.forms.map(\.policy.structName)
        if hasKfuncs, structList?.entries.map({ "\($0.kind) \($0.name)" }) != structs.map({ "struct \($0)" }) {
            let named = structs.joined(separator: ", struct ")
            mismatch("'\(n.structIDs)' does not hold the BTF ids of struct \(named)",
                     at: structList?.offset, from: policy.range)
        }
        let classPrefix = "\(n.lower)_ctx_"
        for name in order {
            let l = btfLists[name]!
            let known = switch l.kind {
            case .list: [n.structIDs, n.kfuncIDs].contains(name)
            case .set8: name.hasPrefix(classPrefix)
            case .kfuncs: policy.ownSets.contains { policy.sets[$0].name == name }
            }
            if !known {
                mismatch("the header defines '\(name)', which the policy does not declare", at: l.offset, from: .none)
            }
            if l.kind == .set8, known {
                for e in l.entries where e.flags != "0" {
                    let flags = e.flags ?? ""
                    mismatch("'\(name)' gives '\(e.name)' the flags \(flags): context classes carry ids only",
                             at: e.offset, from: .none)
                }
            }
        }
    }

    /// Fills `btfLists` from the invocations, reporting what does not nest as .BTF_ids needs;
    /// returns the lists' names in the header's order.
    mutating func layOutBTFLists(_ invocations: [BTFInvocation]) -> [String] {
        var order: [String] = []
        var current: String?
        for inv in invocations {
            let arg0 = inv.argument(0)
            switch inv.macro {
            case "BTF_KFUNCS_START", "BTF_SET8_START", "BTF_ID_LIST":
                let kind: BTFList.Kind = inv.macro == "BTF_KFUNCS_START" ? .kfuncs
                    : inv.macro == "BTF_SET8_START" ? .set8 : .list
                if btfLists[arg0] != nil {
                    mismatch("the BTF id list '\(arg0)' is defined twice", at: inv.offset, from: .none)
                }
                btfLists[arg0] = BTFList(name: arg0, kind: kind, offset: inv.offset)
                order.append(arg0)
                current = arg0
            case "BTF_ID_LIST_SINGLE":
                var l = BTFList(name: arg0, kind: .list, offset: inv.offset)
                l.entries.append((inv.argument(1), inv.argument(2), nil, inv.offset))
                btfLists[arg0] = l
                order.append(arg0)
                current = nil
            case "BTF_KFUNCS_END", "BTF_SET8_END":
                if current != arg0 {
                    let open = current ?? "none"
                    mismatch("\(inv.macro)(\(arg0)) does not close the set that is open (\(open))",
                             at: inv.offset, from: .none)
                }
                btfLists[arg0]?.closed = true
                current = nil
            case "BTF_ID_FLAGS", "BTF_ID":
                guard let cur = current else {
                    let call = "\(inv.macro)(\(inv.args.joined(separator: ", ")))"
                    mismatch("\(call) is outside any set", at: inv.offset, from: .none)
                    continue
                }
                let flags = inv.macro == "BTF_ID_FLAGS" ? inv.argument(2, or: "0") : nil
                btfLists[cur]?.entries.append((arg0, inv.argument(1), flags, inv.offset))
            default: break
            }
        }
        return order
    }

    /// One of the policy's sets: a kfunc set holding exactly its kfuncs, each with its KF_ flags.
    mutating func checkKfuncSet(_ si: Int) {
        let s = policy.sets[si]
        checked += 1
        guard let l = btfLists[s.name], l.kind != .list else {
            mismatch("the header has no BTF kfunc set '\(s.name)'", at: nil, from: s.range)
            return
        }
        if l.kind != .kfuncs {
            mismatch("set '\(s.name)' is a plain set8, not a kfunc set (BTF_KFUNCS_START)", at: l.offset, from: s.range)
        }
        let members = policy.kfuncs.filter { $0.sets.contains(si) }
        for k in members {
            checked += 1
            let found = l.entries.filter { $0.name == k.name }
            guard let e = found.first else {
                mismatch("set '\(s.name)' lacks kfunc '\(k.name)'", at: l.offset, from: k.setsRange)
                continue
            }
            if found.count > 1 {
                mismatch("set '\(s.name)' lists kfunc '\(k.name)' \(found.count) times",
                         at: found[1].offset, from: k.range)
            }
            if e.kind != "func" {
                mismatch("'\(k.name)' is listed as a \(e.kind), not a func", at: e.offset, from: k.range)
            }
            checked += 1
            checkFlags(of: k, in: s, listed: e)
        }
        for e in l.entries where !members.contains(where: { $0.name == e.name }) {
            checked += 1
            let decl = policy.kfunc(named: e.name).map { policy.kfuncs[$0].setsRange } ?? s.range
            mismatch("set '\(s.name)' lists '\(e.name)', which the policy does not put in that set",
                     at: e.offset, from: decl)
        }
        if !l.closed { mismatch("set '\(s.name)' is not closed with BTF_KFUNCS_END", at: l.offset, from: s.range) }
    }

    /// The KF_ flags a set gives one of its kfuncs, against the policy's.
    mutating func checkFlags(of k: Kfunc, in s: KfuncSet, listed e: BTFList.Entry) {
        guard let want = flagsValue(k.flags) else {
            let flags = k.flags.map(\.rawValue).joined(separator: " | ")
            mismatch("the kernel headers do not define every flag of '\(k.name)' (\(flags))",
                     at: e.offset, from: k.flagsRange)
            return
        }
        guard let got = values[e.flags ?? "0"] else {
            mismatch("the KF_ flags of '\(k.name)' in set '\(s.name)' (\(e.flags ?? "")) are not a constant",
                     at: e.offset, from: k.flagsRange)
            return
        }
        if got != want {
            let flags = k.flags.isEmpty ? "none" : k.flags.sorted().map(\.rawValue).joined(separator: " | ")
            mismatch("kfunc '\(k.name)' has KF_ flags \(flagNames(got)) in set '\(s.name)', the policy gives \(flags)",
                     at: e.offset, from: k.flagsRange)
        }
    }
}

// Completion: what may be written at the cursor, found from the statement the cursor is in
// (read backwards to the last `;`, `{` or `}`), with names from the checked model and from the
// document's own declarations (so a policy with errors still completes).

import KFPolicy

/// The completion list at a cursor: keywords and names the grammar allows there.
enum Completion {
    static let topLevelKeywords = ["policy", "prefix", "kernel", "module", "nesting", "runtime_guards", "deny",
                                   "include", "form", "context", "group", "callback", "requirement", "external",
                                   "set", "kfunc", "nest", "if"]
    static let kfuncKeywords = ["in", "flags", "allow", "requires", "invokes", "impl", "was"]

    /// LSP CompletionItemKind values.
    enum ItemKind: Int {
        case method = 2, function = 3, module = 9, property = 10, keyword = 14, enumMember = 20, constant = 21
    }

    /// What the cursor's statement wants next.
    enum Want: Equatable {
        case nothing, topLevelKeyword, kfuncKeyword
        /// Contexts and groups (and `any`, `none`); `sleepable` too after a callback's mask.
        case mask(afterCallbackMask: Bool)
        case callbacks, sets, requirements, flags, progTypes, kfuncs
        /// Fixed words: `set` after `deny`, the kernels after `kernel`, ...
        case words([String])
    }

    /// The tokens of the text before the cursor that belong to the cursor's statement, whether
    /// the statement is inside a kfunc's braces (not an `if`'s), and whether the cursor is in a
    /// comment or string.
    static func statement(_ text: ArraySlice<UInt8>) -> (tokens: [String], inBraces: Bool, inTrivia: Bool) {
        var tokens: [String] = [], i = text.startIndex
        var braces: [Bool] = [] // for each open brace: is it a kfunc's?
        while i < text.endIndex {
            let b = text[i]
            let next = i + 1 < text.endIndex ? text[i + 1] : 0
            if b == 0x2F && next == 0x2F { // line comment
                guard let nl = text[i...].firstIndex(of: 0x0A) else { return (tokens, braces.last == true, true) }
                i = nl + 1
            } else if b == 0x2F && next == 0x2A { // block comment
                var j = i + 2
                while j + 1 < text.endIndex, !(text[j] == 0x2A && text[j + 1] == 0x2F) { j += 1 }
                if j + 1 >= text.endIndex { return (tokens, braces.last == true, true) }
                i = j + 2
            } else if b == 0x22 { // string
                var j = i + 1
                while j < text.endIndex, text[j] != 0x22, text[j] != 0x0A { j += text[j] == 0x5C ? 2 : 1 }
                if j >= text.endIndex { return (tokens, braces.last == true, true) }
                tokens.append("\"\"")
                i = j + 1
            } else if isIdentifierByte(b) {
                var j = i
                while j < text.endIndex, isIdentifierByte(text[j]) { j += 1 }
                tokens.append(String(decoding: text[i..<j], as: UTF8.self))
                i = j
            } else if b == 0x3B || b == 0x7B || b == 0x7D { // ; { }
                if b == 0x7B { braces.append(tokens.first == "kfunc") }
                if b == 0x7D { _ = braces.popLast() }
                tokens = []
                i += 1
            } else if b == 0x2D && next == 0x3E {
                tokens.append("->")
                i += 2
            } else {
                if b > 0x20 { tokens.append(String(UnicodeScalar(b))) }
                i += 1
            }
        }
        return (tokens, braces.last == true, false)
    }

    /// What to offer, given the statement's tokens before the word being typed.
    static func want(_ tokens: [String], inBraces: Bool) -> Want {
        guard let first = tokens.first else { return inBraces ? .kfuncKeyword : .topLevelKeyword }
        let afterColon = tokens.contains(":"), afterEquals = tokens.contains("=")
        switch first {
        case "allow": return .mask(afterCallbackMask: false)
        case "group": return afterEquals ? .mask(afterCallbackMask: false) : .nothing
        case "callback":
            guard afterColon else { return .nothing }
            // After a complete mask (a name or `)` not followed by an operator) comes a property.
            let complete = tokens.count > 1 && tokens.last != ":" && !["|", "&", "-", "~", "("].contains(tokens.last!)
            return .mask(afterCallbackMask: complete)
        case "in": return .sets
        case "invokes": return .callbacks // and `child`, added by the caller
        case "nest": return .callbacks
        case "deny": return tokens.count == 1 ? .words(["set"]) : .sets
        case "external": return tokens.count == 1 ? .words(["set"]) : afterColon ? .progTypes : .nothing
        case "kernel": return .words(["mainline", "6.12"])
        case "nesting": return .words(["dag", "per_instance"])
        case "impl": return afterEquals ? .kfuncs : .callbacks
        case "requires": return .requirements
        case "flags": return .flags
        case "set": return afterColon ? .progTypes : .nothing
        default: return .nothing
        }
    }

    /// The completion list at byte `offset` of `text`.
    static func items(text: [UInt8], offset: Int, policy: Policy?, symbols: FileSymbols?) -> JSON {
        var start = max(0, min(offset, text.count))
        // The word being typed is not part of the statement: the client filters by it.
        while start > 0, isIdentifierByte(text[start - 1]) { start -= 1 }
        let s = statement(text[0..<start])
        if s.inTrivia { return [] }
        var items: [JSON] = []
        var seen: Set<String> = []
        func add(_ label: String, _ kind: ItemKind, _ detail: String, _ doc: String? = nil) {
            guard seen.insert(label).inserted else { return }
            var item: [String: JSON] = ["label": .string(label), "kind": .int(kind.rawValue), "detail": .string(detail)]
            if let doc { item["documentation"] = ["kind": "markdown", "value": .string(doc)] }
            items.append(.object(item))
        }
        // Names the document declares itself, for when the model lacks them (errors).
        func declared(_ k: SymbolKind) -> [String] {
            (symbols?.occurrences ?? []).filter { $0.isDeclaration && $0.kind == k }.map(\.name)
        }
        let p = policy ?? Policy()
        let wanted = want(s.tokens, inBraces: s.inBraces)
        switch wanted {
        case .nothing: break
        case .words(let ws): for w in ws { add(w, .keyword, s.tokens[0]) }
        case .topLevelKeyword: for k in topLevelKeywords { add(k, .keyword, "declaration") }
        case .kfuncKeyword: for k in kfuncKeywords { add(k, .keyword, "kfunc statement") }
        case .mask(let afterMask):
            if afterMask { add("sleepable", .keyword, "the callback may be a sleepable program") }
            for (i, c) in p.contexts.enumerated() { add(c.name, .enumMember, "context (bit \(i))", c.doc) }
            for g in p.groups { add(g.name, .constant, "group = \(p.describe(g.mask))", g.doc) }
            for n in declared(.context) { add(n, .enumMember, "context") }
            for n in declared(.group) { add(n, .constant, "group") }
            add("any", .keyword, "every context")
            add("none", .keyword, "no context")
        case .callbacks:
            if s.tokens.first == "invokes" { add("child", .keyword, "a callback of a child instance") }
            for c in p.callbacks {
                add(c.name, .method, "callback: \(p.describe(c.contexts))\(c.sleepable ? ", sleepable" : "")", c.doc)
            }
            for n in declared(.callback) { add(n, .method, "callback") }
        case .sets:
            for set in p.sets {
                add(set.name, .module, "set: " + set.progTypes.map(\.rawValue).joined(separator: ", "), set.doc)
            }
            for n in declared(.set) { add(n, .module, "set") }
        case .requirements:
            add("sleepable", .keyword, "built in: only callbacks declared sleepable")
            for r in p.requirements { add(r.name, .property, "requirement", r.doc) }
            for n in declared(.requirement) { add(n, .property, "requirement") }
        case .flags:
            for f in KFFlag.allCases { add(f.rawValue, .constant, "KF flag (1 << \(f.bit))", restrictingFlags[f]) }
            add("none", .keyword, "no flag")
        case .progTypes:
            for t in ProgType.allCases { add(t.rawValue, .enumMember, t.cName) }
        case .kfuncs:
            for k in p.kfuncs { add(k.name, .function, "kfunc: " + p.describe(k.mask), k.doc) }
            for n in declared(.kfunc) { add(n, .function, "kfunc") }
        }
        return ["isIncomplete": false, "items": .array(items)]
    }
}

/// `[A-Za-z0-9_]`: the bytes of identifiers.
func isIdentifierByte(_ b: UInt8) -> Bool {
    b == UInt8(ascii: "_") || (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
}

// Working with a file as libclang's raw tokens: preprocessor directives told apart from code,
// the #if conditions around each code token, function-like macro definitions, and macro
// invocations with their arguments. Used where parsing is impractical (kernel sources without a
// configured tree) or where the invocation itself is the fact (BTF_ID_FLAGS(...) lines).

/// A file's tokens, lexed without preprocessing.
struct SourceTokens {
    let path: String
    let bytes: [UInt8]
    /// Tokens outside preprocessor directives (comments dropped).
    private(set) var code: [ClangToken] = []
    /// For each code token, an index into `conditionSets`: the #if conditions around it.
    private(set) var conditionOf: [Int] = []
    private(set) var conditionSets: [[String]] = [[]]
    /// Every directive, as its tokens (the first is `#`).
    private(set) var directives: [[ClangToken]] = []
    /// Function-like and object-like macros defined in the file, by name (last definition wins).
    private(set) var macros: [String: MacroDefinition] = [:]

    /// Lexes `path` with libclang. The file is the main file of a throwaway translation unit
    /// that is only preprocessed as far as needed (missing includes are skipped), so this is
    /// cheap even for large files.
    static func lex(path: String, contents: String? = nil) throws -> SourceTokens {
        let tu = try ClangTranslationUnit.parse(
            path, arguments: ["-x", "c", "-nostdinc", "-w", "-ferror-limit=1"],
            unsaved: contents.map { [(path, $0)] } ?? [],
            options: [.singleFileParse, .skipFunctionBodies])
        let bytes = tu.contents(of: path) ?? Array((contents ?? "").utf8)
        return SourceTokens(path: path, bytes: bytes, tokens: tu.tokens(ofFile: path))
    }

    init(path: String, bytes: [UInt8], tokens: [ClangToken]) {
        self.path = path
        self.bytes = bytes
        var stack: [String] = []
        var setIndex: [[String]: Int] = [[]: 0]
        var current = 0
        var i = 0
        while i < tokens.count {
            let t = tokens[i]
            if t.kind == .comment { i += 1; continue }
            if t.text == "#" && isFirstOnLine(t) {
                let end = directiveEnd(t.location.offset)
                var d: [ClangToken] = []
                while i < tokens.count && tokens[i].location.offset < end {
                    if tokens[i].kind != .comment { d.append(tokens[i]) }
                    i += 1
                }
                directives.append(d)
                let name = d.count > 1 ? d[1].text : ""
                let rest = d.dropFirst(2).map(\.text).joined(separator: " ")
                switch name {
                case "if": stack.append(rest)
                case "ifdef": stack.append("defined(\(rest))")
                case "ifndef": stack.append("!defined(\(rest))")
                case "elif": if !stack.isEmpty { stack[stack.count - 1] = "!(\(stack.last!)) && (\(rest))" }
                case "else": if !stack.isEmpty { stack[stack.count - 1] = "!(\(stack.last!))" }
                case "endif": if !stack.isEmpty { stack.removeLast() }
                case "define": if let m = MacroDefinition(d) { macros[m.name] = m }
                default: break
                }
                if let k = setIndex[stack] { current = k } else {
                    conditionSets.append(stack)
                    current = conditionSets.count - 1
                    setIndex[stack] = current
                }
                continue
            }
            code.append(t)
            conditionOf.append(current)
            i += 1
        }
    }

    /// The #if conditions around code token `i`, outermost first.
    func conditions(at i: Int) -> [String] { conditionSets[conditionOf[i]] }

    private func isFirstOnLine(_ t: ClangToken) -> Bool {
        var o = t.location.offset - 1
        while o >= 0 {
            let b = bytes[o]
            if b == UInt8(ascii: "\n") { return true }
            if b != UInt8(ascii: " ") && b != UInt8(ascii: "\t") { return false }
            o -= 1
        }
        return true
    }

    /// The offset of the newline that ends the directive starting at `offset` (following
    /// backslash continuations).
    private func directiveEnd(_ offset: Int) -> Int {
        var o = offset
        while o < bytes.count {
            if bytes[o] == UInt8(ascii: "\n") {
                var p = o - 1
                if p >= 0 && bytes[p] == UInt8(ascii: "\r") { p -= 1 }
                if p >= 0 && bytes[p] == UInt8(ascii: "\\") { o += 1; continue }
                return o
            }
            o += 1
        }
        return bytes.count
    }

    /// The index of the token that closes the bracket opened at `open` (`(`, `[` or `{`), or nil.
    func matching(_ open: Int) -> Int? {
        let pairs: [String: String] = ["(": ")", "[": "]", "{": "}"]
        guard let close = pairs[code[open].text] else { return nil }
        var depth = 0
        var i = open
        while i < code.count {
            if code[i].text == code[open].text { depth += 1 } else if code[i].text == close {
                depth -= 1
                if depth == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    /// The arguments of an invocation whose `(` is at `open`, split at top-level commas, and the
    /// index of the closing `)`.
    func arguments(at open: Int) -> (args: [[ClangToken]], close: Int)? {
        guard open < code.count, code[open].text == "(", let close = matching(open) else { return nil }
        return (splitArguments(Array(code[(open + 1)..<close])), close)
    }

    /// The 1-based line and column of a byte offset.
    func lineColumn(_ offset: Int) -> (line: Int, column: Int) {
        var line = 1, start = 0
        for (i, b) in bytes.prefix(offset).enumerated() where b == UInt8(ascii: "\n") { line += 1; start = i + 1 }
        return (line, offset - start + 1)
    }
}

/// Splits tokens at commas that are not inside brackets.
func splitArguments(_ tokens: [ClangToken]) -> [[ClangToken]] {
    if tokens.isEmpty { return [] }
    var out: [[ClangToken]] = [[]]
    var depth = 0
    for t in tokens {
        switch t.text {
        case "(", "[", "{": depth += 1
        case ")", "]", "}": depth -= 1
        case "," where depth == 0: out.append([]); continue
        default: break
        }
        out[out.count - 1].append(t)
    }
    return out
}

/// Tokens as C text, spaced as people write declarations: `struct task_struct *p`,
/// `f(a, b)`, `x[1]`.
func tokenText(_ tokens: some Sequence<ClangToken>) -> String {
    let ts = Array(tokens)
    var s = ""
    for (i, t) in ts.enumerated() {
        if i > 0 {
            let p = ts[i - 1]
            let next = i + 1 < ts.count ? ts[i + 1].text : ""
            // `f(x)` and `a[i]` but `int (*f)(void)`: a `(` that opens a declarator keeps its space.
            let afterOperand = p.kind == .identifier || p.kind == .keyword || p.text == ")" || p.text == "]"
            let call = (t.text == "(" || t.text == "[") && afterOperand && next != "*"
            let tight = [",", ")", "]", ";", ".", "->"].contains(t.text)
                || ["(", "[", ".", "->", "*", "!", "~"].contains(p.text)
                || call
            if !tight { s += " " }
        }
        s += t.text
    }
    return s
}

/// A `#define` as tokens.
struct MacroDefinition {
    let name: String
    /// nil for an object-like macro.
    let params: [String]?
    let body: [ClangToken]
    let location: ClangLocation

    /// From a directive's tokens (`#`, `define`, NAME, ...). A function-like macro has its `(`
    /// right after the name, with no space.
    init?(_ d: [ClangToken]) {
        guard d.count >= 3, d[1].text == "define" else { return nil }
        name = d[2].text
        location = d[2].location
        if d.count > 3, d[3].text == "(", d[3].location.offset == d[2].endOffset,
           let close = d[3...].firstIndex(where: { $0.text == ")" }) {
            params = d[4..<close].filter { $0.text != "," }.map(\.text)
            body = Array(d[(close + 1)...])
        } else {
            params = nil
            body = Array(d[3...])
        }
    }

    /// The body with each parameter replaced by its argument (no # or ## processing).
    func substitute(_ args: [[ClangToken]]) -> [ClangToken] {
        guard let params else { return body }
        var out: [ClangToken] = []
        for t in body {
            if let i = params.firstIndex(of: t.text), i < args.count { out += args[i] }
            else if t.text == "__VA_ARGS__", let i = params.firstIndex(of: "..."), i < args.count {
                for (j, a) in args[i...].enumerated() {
                    if j > 0, let first = a.first {
                        out.append(ClangToken(kind: .punctuation, text: ",", location: first.location,
                                              endOffset: first.location.offset))
                    }
                    out += a
                }
            } else { out.append(t) }
        }
        return out
    }
}

// The parser: tokens to a syntax tree. It never throws: it records a diagnostic, skips to the
// next statement boundary and goes on, so one run reports every syntax error in a file.

public struct Parser {
    /// Tokens come from the lexer one at a time: the parser looks at the current token and
    /// remembers the previous one, and never holds them all.
    var lexer: Lexer
    var tok: Token
    var prev: Token?
    /// Tokens consumed so far (to tell whether a step made progress).
    var i = 0
    let file: Int
    public private(set) var diagnostics = DiagnosticBag()
    /// Bound on `(` and `~` nesting in one mask, so hostile input cannot exhaust the stack.
    static let maxMaskDepth = 200
    var depth = 0

    /// Keywords that start a top-level declaration; recovery stops at one that starts a line.
    static let itemKeywords: Set<String> = ["policy", "prefix", "kernel", "module", "nesting", "runtime_guards", "deny",
                                             "include", "form", "context", "group", "callback", "requirement", "external",
                                             "set", "kfunc", "nest", "if"]
    static let statementKeywords: Set<String> = ["in", "flags", "allow", "requires", "invokes", "impl", "was"]

    public init(lexer: Lexer, file: Int) {
        self.lexer = lexer
        self.file = file
        tok = self.lexer.next()
    }

    /// Lexes and parses one file.
    public static func parse(_ source: SourceFile, file: Int) -> (SyntaxFile, DiagnosticBag) {
        var p = Parser(lexer: Lexer(source, file: file), file: file)
        let tree = p.parseFile()
        var bag = p.lexer.diagnostics
        bag.append(contentsOf: p.diagnostics)
        return (tree, bag)
    }

    /// The current token's text (a name, a punctuation character, a string's value).
    var text: String { lexer.text(tok) }
    func isPunct(_ c: Unicode.Scalar) -> Bool { tok.kind == .punct && UInt32(tok.byte) == c.value }
    func isKeyword(_ k: StaticString) -> Bool { lexer.isWord(tok, k) }
    /// The current token as a name (call only when it is an identifier).
    var name: Name { Name(text: text, range: tok.range) }
    mutating func advance() {
        if tok.kind == .eof { return }
        prev = tok
        tok = lexer.next()
        i += 1
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "end of file"
        case .ident, .number, .punct, .arrow: return "'\(lexer.text(t))'"
        case .string: return "a string"
        }
    }

    /// Reports that `what` was expected here. Points just after the previous token when the
    /// current one is on a later line (a missing ';' belongs to the line it is missing from).
    mutating func expected(_ what: String, hint: String? = nil) {
        var r = tok.range
        if tok.startsLine, let prev {
            r = SourceRange(file: file, start: prev.end, end: prev.end)
        }
        // A token the lexer already complained about (e.g. an unterminated string) explains this.
        if let prev, lexerError(in: prev.start...max(prev.start, r.end)) { return }
        diagnostics.error(.expectedToken, "expected \(what), found \(describe(tok))", at: r, hint: hint)
    }
    /// Start offsets of the lexer's errors in this file so far.
    var lexerErrorOffsets: [Int] { lexer.errorOffsets }

    /// Whether the lexer reported an error starting in `range`: a binary search, since the
    /// lexer reports in file order (a file of junk has a million of them).
    func lexerError(in range: ClosedRange<Int>) -> Bool {
        var lo = 0, hi = lexerErrorOffsets.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lexerErrorOffsets[mid] < range.lowerBound { lo = mid + 1 } else { hi = mid }
        }
        return lo < lexerErrorOffsets.count && lexerErrorOffsets[lo] <= range.upperBound
    }
    /// Set while parsing an include whose path string the lexer rejected.
    var includeBroken = false

    struct Recovery: Error {}

    mutating func expectPunct(_ c: Unicode.Scalar, hint: String? = nil) throws {
        if isPunct(c) { advance(); return }
        expected("'\(c)'", hint: hint)
        throw Recovery()
    }

    mutating func expectName(_ what: String) throws -> Name {
        if tok.kind == .ident {
            let n = name
            advance()
            return n
        }
        expected(what)
        throw Recovery()
    }

    /// `a, b, c`
    mutating func nameList(_ what: String) throws -> [Name] {
        var names = [try expectName(what)]
        while isPunct(",") { advance(); names.append(try expectName(what)) }
        return names
    }

    public mutating func parseFile() -> SyntaxFile {
        let items = parseItems(inBlock: false)
        return SyntaxFile(file: file, items: items, trailingComments: Array(lexer.comments(tok)))
    }

    /// Declarations up to the end of the file, or, in an `if` block, up to its closing `}`.
    mutating func parseItems(inBlock: Bool) -> [Item] {
        var items: [Item] = []
        while tok.kind != .eof, !(inBlock && isPunct("}")) {
            let startIndex = i
            let trivia = leadingTrivia()
            let keyword = tok.kind == .ident ? name : nil
            declared = nil
            do {
                items.append(try parseItem(trivia))
            } catch {
                let start = keyword?.range.start ?? tok.range.start
                recover(topLevel: true, inBlock: inBlock)
                if let keyword {
                    items.append(Item(kind: .broken(name: declared), keyword: keyword,
                                      range: SourceRange(file: file, start: start, end: max(start, prev?.end ?? start)),
                                      trivia: Trivia(), damaged: true))
                }
            }
            if i == startIndex { advance() }
        }
        return items
    }

    /// The name the declaration being parsed declares, once read (for `.broken` items).
    var declared: Name?

    /// Skips to just after the next ';' (or a '}' that closes a block), or to a keyword that
    /// starts a declaration on a new line. In an `if` block, a '}' that closes the block stays.
    mutating func recover(topLevel: Bool, inBlock: Bool = false) {
        var braces = 0
        while tok.kind != .eof {
            if isPunct(";") && braces <= 0 { advance(); return }
            if isPunct("{") { braces += 1 }
            if isPunct("}") {
                if braces <= 0 { if topLevel && !inBlock { advance() }; return }
                braces -= 1
                if braces == 0 && topLevel { advance(); return }
            }
            if tok.startsLine, tok.kind == .ident, braces <= 0 {
                if Parser.itemKeywords.contains(text) { return }
                if !topLevel, Parser.statementKeywords.contains(text) { return }
            }
            advance()
        }
    }

    /// Takes the comment on the same line as the token just consumed, if any.
    mutating func takeTrailing() -> Comment? {
        guard tok.hasComments else { return nil }
        let first = lexer.comments[tok.commentStart]
        guard !first.ownLine else { return nil }
        tok.commentStart += 1
        return first
    }

    mutating func leadingTrivia() -> Trivia {
        var t = Trivia()
        guard tok.hasComments else { t.blankBefore = tok.blankBefore; return t }
        let cs = lexer.comments(tok)
        t.leading = Array(cs)
        t.blankBefore = cs.first!.blankBefore
        t.blankAfterComments = tok.blankBefore
        return t
    }

    /// A name that the declaration declares: remembered for a `.broken` item if the rest fails.
    mutating func declaredName(_ what: String) throws -> Name {
        let n = try expectName(what)
        declared = n
        return n
    }

    mutating func parseItem(_ leading: Trivia) throws -> Item {
        var trivia = leading
        let start = tok.range.start
        guard tok.kind == .ident else {
            diagnostics.error(.unexpectedToken, "expected a declaration, found \(describe(tok))", at: tok.range,
                              hint: "a declaration starts with one of: " + Parser.itemKeywords.sorted().joined(separator: ", "))
            throw Recovery()
        }
        let kw = name
        let kind: Item.Kind
        advance()
        switch kw.text {
        case "policy":
            let name = try declaredName("a policy name")
            guard isKeyword("for") else { expected("'for'", hint: "write 'policy NAME for struct STRUCT;'"); throw Recovery() }
            advance()
            var vmlinux: Name?
            if isKeyword("vmlinux") { vmlinux = self.name; advance() }
            guard isKeyword("struct") else { expected("'struct'", hint: "write 'policy NAME for struct STRUCT;'"); throw Recovery() }
            advance()
            kind = .policy(name: name, structName: try expectName("a struct name"), vmlinux: vmlinux)
        case "prefix":
            kind = .prefix(try expectName("a prefix"))
        case "kernel":
            guard tok.kind == .number || tok.kind == .ident else {
                expected("a kernel version", hint: "write 'kernel 6.12;' or 'kernel mainline;'")
                throw Recovery()
            }
            kind = .kernel(name)
            advance()
        case "module":
            kind = .module(try expectName("a module name"))
        case "nesting":
            kind = .nesting(try expectName("'dag' or 'per_instance'"))
        case "runtime_guards":
            kind = .runtimeGuards
        case "deny":
            guard isKeyword("set") else { expected("'set'", hint: "write 'deny set NAME;'"); throw Recovery() }
            advance()
            kind = .deny(set: try expectName("a set name"))
        case "include", "form":
            guard tok.kind == .string else { expected("a quoted path"); throw Recovery() }
            kind = kw.text == "include" ? .include(path: text, range: tok.range) : .form(path: text, range: tok.range)
            includeBroken = lexerError(in: tok.range.start...tok.range.start)
            advance()
        case "context":
            kind = .context(try declaredName("a context name"))
        case "requirement":
            kind = .requirement(try declaredName("a requirement name"))
        case "group":
            let name = try declaredName("a group name")
            try expectPunct("=", hint: "write 'group NAME = MASK;'")
            kind = .group(name, try parseMask())
        case "callback":
            let names = try nameList("a callback name")
            declared = names.first
            try expectPunct(":", hint: "write 'callback NAME: CONTEXTS;'")
            let mask = try parseMask()
            var props: [Name] = []
            while tok.kind == .ident, !tok.startsLine || isKeyword("sleepable") {
                props.append(name); advance()
            }
            kind = .callback(names, mask, properties: props)
        case "external", "set":
            var external: Name?
            if kw.text == "external" {
                external = kw
                guard isKeyword("set") else { expected("'set'", hint: "write 'external set NAME: struct_ops;'"); throw Recovery() }
                advance()
            }
            let name = try declaredName("a set name")
            try expectPunct(":", hint: "write 'set NAME: struct_ops, syscall;'")
            kind = .set(name, progTypes: try nameList("a program type"), external: external)
        case "nest":
            let from = try expectName("a callback name")
            guard tok.kind == .arrow else { expected("'->'", hint: "write 'nest OUTER -> INNER;'"); throw Recovery() }
            advance()
            kind = .nest(from: from, to: try expectName("a callback name"))
        case "kfunc":
            return try parseKfunc(keyword: kw, start: start, trivia: trivia)
        case "if":
            let option = try expectName("a Kconfig option")
            try expectPunct("{", hint: "write 'if CONFIG_FOO { ... }'")
            let errorsBefore = diagnostics.items.count
            let items = parseItems(inBlock: true)
            var closing = leadingTrivia()
            guard isPunct("}") else { expected("'}'", hint: "close the block of 'if \(option.text)'"); throw Recovery() }
            let end = tok.range.end
            advance()
            closing.trailing = nil
            trivia.trailing = takeTrailing()
            var item = Item(kind: .conditional(option: option, items: items, closing: closing), keyword: kw,
                            range: SourceRange(file: file, start: start, end: end), trivia: trivia)
            item.damaged = diagnostics.items.count > errorsBefore
            return item
        default:
            let suggestion = closest(to: kw.text, in: Parser.itemKeywords).map { "did you mean '\($0)'?" }
            diagnostics.error(.unexpectedToken, "unknown declaration '\(kw.text)'", at: kw.range,
                              hint: suggestion ?? "a declaration starts with one of: " + Parser.itemKeywords.sorted().joined(separator: ", "))
            throw Recovery()
        }
        let end = tok.range.end
        if !isPunct(";") && tok.startsLine {
            // A missing ';' at the end of a line: report it and keep the declaration.
            expected("';'")
        } else {
            try expectPunct(";")
        }
        trivia.trailing = takeTrailing()
        var item = Item(kind: kind, keyword: kw, range: SourceRange(file: file, start: start, end: end), trivia: trivia)
        item.damaged = includeBroken
        includeBroken = false
        return item
    }

    /// `kfunc NAME { statements }`, the keyword already read.
    mutating func parseKfunc(keyword kw: Name, start: Int, trivia: Trivia) throws -> Item {
        var trivia = trivia
        let name = try declaredName("a kfunc name")
        try expectPunct("{", hint: "a kfunc's statements go in braces")
        var stmts: [KfuncStatement] = []
        let errorsBefore = diagnostics.items.count
        while !isPunct("}") && tok.kind != .eof {
            if tok.kind == .ident, tok.startsLine, Parser.itemKeywords.contains(text), !Parser.statementKeywords.contains(text) {
                break // a missing '}': let the next declaration parse
            }
            let before = i
            do { stmts.append(try parseStatement()) } catch { recover(topLevel: false) }
            if i == before { advance() }
        }
        var closing = leadingTrivia()
        guard isPunct("}") else {
            expected("'}'", hint: "close the block of kfunc '\(name.text)'")
            throw Recovery()
        }
        let end = tok.range.end
        advance()
        closing.trailing = nil
        trivia.trailing = takeTrailing()
        var item = Item(kind: .kfunc(name, stmts, closing: closing), keyword: kw,
                        range: SourceRange(file: file, start: start, end: end), trivia: trivia)
        item.damaged = diagnostics.items.count > errorsBefore
        return item
    }

    mutating func parseStatement() throws -> KfuncStatement {
        var trivia = leadingTrivia()
        let start = tok.range.start
        guard tok.kind == .ident else {
            diagnostics.error(.unexpectedToken, "expected a kfunc statement, found \(describe(tok))", at: tok.range,
                              hint: "one of: " + Parser.statementKeywords.sorted().joined(separator: ", "))
            throw Recovery()
        }
        let kw = name
        let kind: KfuncStatement.Kind
        switch kw.text {
        case "in":
            advance(); kind = .sets(try nameList("a set name"))
        case "flags":
            advance()
            if isKeyword("none") { advance(); kind = .flags([]) } else {
                var flags = [try expectName("a KF_ flag")]
                while isPunct("|") { advance(); flags.append(try expectName("a KF_ flag")) }
                kind = .flags(flags)
            }
        case "allow":
            advance(); kind = .allow(try parseMask())
        case "requires":
            advance(); kind = .requires(try nameList("a requirement"))
        case "invokes":
            advance()
            var targets: [InvokeTarget] = []
            repeat {
                if !targets.isEmpty { advance() }
                var child: Name?
                if isKeyword("child") { child = name; advance() }
                targets.append(InvokeTarget(child: child, callback: try expectName("a callback name")))
            } while isPunct(",")
            kind = .invokes(targets)
        case "was":
            advance(); kind = .was(try nameList("an earlier kfunc name"))
        case "impl":
            advance()
            let cbs = try nameList("a callback name")
            try expectPunct("=", hint: "write 'impl CALLBACK = kernel_function;'")
            kind = .impl(callbacks: cbs, symbol: try expectName("a kernel function name"))
        default:
            let suggestion = closest(to: kw.text, in: Parser.statementKeywords).map { "did you mean '\($0)'?" }
            diagnostics.error(.unexpectedToken, "unknown kfunc statement '\(kw.text)'", at: kw.range,
                              hint: suggestion ?? "one of: " + Parser.statementKeywords.sorted().joined(separator: ", "))
            throw Recovery()
        }
        let end = tok.range.end
        try expectPunct(";")
        trivia.trailing = takeTrailing()
        return KfuncStatement(kind: kind, keyword: kw, range: SourceRange(file: file, start: start, end: end), trivia: trivia)
    }

    // mask = term { "|" term }
    mutating func parseMask() throws -> MaskExpr {
        var terms = [try parseTerm()]
        while isPunct("|") { advance(); terms.append(try parseTerm()) }
        return terms.count == 1 ? terms[0] : .union(terms)
    }

    // term = unary { ("&" | "-") unary }
    mutating func parseTerm() throws -> MaskExpr {
        let first = try parseUnary()
        var rest: [MaskStep] = []
        while isPunct("&") || isPunct("-") {
            let op: MaskOp = isPunct("&") ? .and : .minus
            advance()
            rest.append(MaskStep(op: op, rhs: try parseUnary()))
        }
        return rest.isEmpty ? first : .chain(first, rest)
    }

    mutating func parseUnary() throws -> MaskExpr {
        if isPunct("~") || isPunct("(") {
            depth += 1
            defer { depth -= 1 }
            if depth > Parser.maxMaskDepth {
                diagnostics.error(.nestingTooDeep, "mask expression nested more than \(Parser.maxMaskDepth) levels deep",
                                  at: tok.range, hint: "name part of the mask with a 'group'")
                throw Recovery()
            }
            let start = tok.range
            if isPunct("~") {
                advance()
                return .complement(try parseUnary(), start)
            }
            advance()
            let inner = try parseMask()
            let end = tok.range.end
            try expectPunct(")")
            return .paren(inner, SourceRange(file: file, start: start.start, end: end))
        }
        if tok.kind == .ident {
            let r = tok.range
            if isKeyword("any") { advance(); return .any(r) }
            if isKeyword("none") { advance(); return .none(r) }
            let n = name
            advance()
            return .name(n)
        }
        expected("a context, group, 'any' or 'none'")
        throw Recovery()
    }
}

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
    static let itemKeywords: Set<String> = ["policy", "prefix", "include", "context", "group", "callback",
                                             "requirement", "set", "kfunc", "nest"]
    static let statementKeywords: Set<String> = ["in", "flags", "allow", "requires", "invokes", "impl"]

    public init(lexer: Lexer, file: Int) {
        self.lexer = lexer
        self.file = file
        tok = self.lexer.next()
    }

    /// Lexes and parses one file.
    public static func parse(_ source: SourceFile, file: Int) -> (SyntaxFile, DiagnosticBag) {
        if let tree = parseInHalves(source, file: file) { return (tree, DiagnosticBag()) }
        return parseWhole(source, file: file)
    }

    /// Lexes and parses one file with one parser, start to end (`parse` splits large files).
    public static func parseWhole(_ source: SourceFile, file: Int) -> (SyntaxFile, DiagnosticBag) {
        var p = Parser(lexer: Lexer(source, file: file), file: file)
        let tree = p.parseFile()
        var bag = p.lexer.diagnostics
        bag.append(contentsOf: p.diagnostics)
        return (tree, bag)
    }

    /// Files at least this large are parsed in two halves on two threads.
    static let halvesThreshold = 1 << 20

    /// A large file split at a line holding only `}` (the end of a kfunc block), its halves
    /// parsed on two threads and their items joined. A declaration never spans such a line, so
    /// for a file without errors this is the tree a single parser builds; when either half
    /// has any diagnostic (or comments before the split), it returns nil and the caller parses
    /// the whole file, so errors are always found, recovered from and worded as one parser does.
    static func parseInHalves(_ source: SourceFile, file: Int) -> SyntaxFile? {
        let bytes = source.text
        guard bytes.count >= halvesThreshold, let split = splitPoint(bytes), firstInvalidUTF8(bytes) == nil else { return nil }
        func parse(_ part: Range<Int>) -> (tree: SyntaxFile, clean: Bool) {
            var p = Parser(lexer: Lexer(source, file: file, part: part, afterToken: part.lowerBound > 0), file: file)
            let tree = p.parseFile()
            let clean = p.diagnostics.items.isEmpty && p.lexer.diagnostics.items.isEmpty
                && p.diagnostics.droppedErrors + p.diagnostics.droppedWarnings == 0
            return (tree, clean)
        }
        let (first, second) = inParallel({ parse(0..<split) }, { parse(split..<bytes.count) })
        guard first.clean, second.clean, first.tree.trailingComments.isEmpty else { return nil }
        var parts = first.tree.parts
        parts.append(contentsOf: second.tree.parts)
        return SyntaxFile(file: file, parts: parts, trailingComments: second.tree.trailingComments)
    }

    /// `parseInHalves`, for tests: nil when the file is not split or a half has a diagnostic.
    public static func parseInHalvesForTests(_ source: SourceFile) -> SyntaxFile? { parseInHalves(source, file: 0) }

    /// The offset just after the first line, from the middle of the file on, that is exactly `}`.
    static func splitPoint(_ bytes: [UInt8]) -> Int? {
        var i = bytes.count / 2
        while i + 2 < bytes.count {
            if bytes[i] == 10, bytes[i + 1] == 125, bytes[i + 2] == 10 { return i + 3 }
            i += 1
        }
        return nil
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
        case .ident, .punct, .arrow: return "'\(lexer.text(t))'"
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
        var items: [Item] = []
        while tok.kind != .eof {
            let startIndex = i
            do {
                items.append(try parseItem())
            } catch {
                recover(topLevel: true)
            }
            if i == startIndex { advance() }
        }
        return SyntaxFile(file: file, items: items, trailingComments: Array(lexer.comments(tok)))
    }

    /// Skips to just after the next ';' (or a '}' that closes a block), or to a keyword that
    /// starts a declaration on a new line.
    mutating func recover(topLevel: Bool) {
        var braces = 0
        while tok.kind != .eof {
            if isPunct(";") && braces <= 0 { advance(); return }
            if isPunct("{") { braces += 1 }
            if isPunct("}") {
                if braces <= 0 { if topLevel { advance() }; return }
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

    mutating func parseItem() throws -> Item {
        var trivia = leadingTrivia()
        let start = tok.range.start
        guard tok.kind == .ident else {
            diagnostics.error(.unexpectedToken, "expected a declaration, found \(describe(tok))", at: tok.range,
                              hint: "a declaration starts with one of: " + Parser.itemKeywords.sorted().joined(separator: ", "))
            throw Recovery()
        }
        let kw = name
        let kind: Item.Kind
        switch kw.text {
        case "policy":
            advance()
            let name = try expectName("a policy name")
            guard isKeyword("for") else { expected("'for'", hint: "write 'policy NAME for struct STRUCT;'"); throw Recovery() }
            advance()
            guard isKeyword("struct") else { expected("'struct'", hint: "write 'policy NAME for struct STRUCT;'"); throw Recovery() }
            advance()
            kind = .policy(name: name, structName: try expectName("a struct name"))
        case "prefix":
            advance()
            kind = .prefix(try expectName("a prefix"))
        case "include":
            advance()
            guard tok.kind == .string else { expected("a quoted path"); throw Recovery() }
            kind = .include(path: text, range: tok.range)
            includeBroken = lexerError(in: tok.range.start...tok.range.start)
            advance()
        case "context":
            advance()
            kind = .context(try expectName("a context name"))
        case "requirement":
            advance()
            kind = .requirement(try expectName("a requirement name"))
        case "group":
            advance()
            let name = try expectName("a group name")
            try expectPunct("=", hint: "write 'group NAME = MASK;'")
            kind = .group(name, try parseMask())
        case "callback":
            advance()
            let names = try nameList("a callback name")
            try expectPunct(":", hint: "write 'callback NAME: CONTEXTS;'")
            let mask = try parseMask()
            var props: [Name] = []
            while tok.kind == .ident, !tok.startsLine || isKeyword("sleepable") {
                props.append(name); advance()
            }
            kind = .callback(names, mask, properties: props)
        case "set":
            advance()
            let name = try expectName("a set name")
            try expectPunct(":", hint: "write 'set NAME: struct_ops, syscall;'")
            kind = .set(name, progTypes: try nameList("a program type"))
        case "nest":
            advance()
            let from = try expectName("a callback name")
            guard tok.kind == .arrow else { expected("'->'", hint: "write 'nest OUTER -> INNER;'"); throw Recovery() }
            advance()
            kind = .nest(from: from, to: try expectName("a callback name"))
        case "kfunc":
            advance()
            let name = try expectName("a kfunc name")
            try expectPunct("{", hint: "a kfunc's statements go in braces")
            var stmts: [KfuncStatement] = []
            let errorsBefore = diagnostics.items.count
            while !isPunct("}") && tok.kind != .eof {
                if tok.kind == .ident, tok.startsLine, Parser.itemKeywords.contains(text), !Parser.statementKeywords.contains(text) {
                    break // a missing '}' : let the next declaration parse
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
            advance(); kind = .invokes(try nameList("a callback name"))
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
        var rest: [(op: MaskOp, rhs: MaskExpr)] = []
        while isPunct("&") || isPunct("-") {
            let op: MaskOp = isPunct("&") ? .and : .minus
            advance()
            rest.append((op, try parseUnary()))
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

// kfpolicy lint, phase 1 inside a function: the calls a body makes, each with the conditions it
// runs under (`if`, `?:`, `&&`, `||`, and `if (c) return;` for the statements after it) and
// the values it passes, so phase 2 can leave out the branches the verifier prunes.

import KFPolicy
internal import CLibClang

/// Walks a function body (or a global initializer), collecting calls, the functions it hands to
/// callbacks, and kfunc addresses it lets escape.
struct BodyWalker {
    let builder: LintIndexBuilder
    /// The function's parameters (nil for a global initializer).
    let parameters: [ClangCursor]?
    var edges: [LintEdge] = []
    var escapes: [LintEscape] = []
    /// Parameters the body assigns, increments or takes the address of.
    var mutated: Set<Int> = []
    /// The conditions the statement being walked runs under, outermost first.
    var guards: [LintGuard] = []

    init(builder: LintIndexBuilder, parameters: [ClangCursor]?) {
        self.builder = builder; self.parameters = parameters
    }

    /// A cursor with the position it has among its parent's children.
    struct Frame { let cursor: ClangCursor; let childIndex: Int }

    /// The ancestors of the cursor being visited, innermost last.
    var parents: [Frame] = []

    mutating func walk(_ c: ClangCursor) {
        if c.isUnevaluated { return }
        if c.isCallExpr { call(c); return }
        if c.isDeclRefExpr { reference(c); return }
        if c.isVarDecl { cleanupAttribute(c) }
        let kids = c.children
        if (c.isIfStatement || c.isConditionalOperator) && kids.count >= 2 { branches(c, kids); return }
        if c.isCompoundStmt { block(c, kids); return }
        if c.isBinaryOperator, kids.count == 2, let op = binaryOperator(kids), op == "&&" || op == "||" {
            // The right operand runs only when the left one did not decide.
            visit(kids[0], in: c, at: 0)
            guards.append(LintGuard(value: value(kids[0]), holds: op == "&&"))
            visit(kids[1], in: c, at: 1)
            guards.removeLast()
            return
        }
        noteMutation(c, kids)
        for (i, k) in kids.enumerated() { visit(k, in: c, at: i) }
    }

    mutating func visit(_ k: ClangCursor, in parent: ClangCursor, at index: Int) {
        parents.append(Frame(cursor: parent, childIndex: index))
        walk(k)
        parents.removeLast()
    }

    /// `if (c) a else b` and `c ? a : b`: `a` runs when `c` holds, `b` when it does not.
    mutating func branches(_ c: ClangCursor, _ kids: [ClangCursor]) {
        visit(kids[0], in: c, at: 0)
        let condition = value(kids[0])
        for (i, k) in kids.enumerated().dropFirst() {
            guards.append(LintGuard(value: condition, holds: i == 1))
            visit(k, in: c, at: i)
            guards.removeLast()
        }
    }

    /// A block: after `if (c) return;` (or break, continue) the rest runs only when `c` does not hold.
    mutating func block(_ c: ClangCursor, _ kids: [ClangCursor]) {
        let depth = guards.count
        for (i, k) in kids.enumerated() {
            visit(k, in: c, at: i)
            guard k.isIfStatement else { continue }
            let parts = k.children
            if parts.count == 2, alwaysLeaves(parts[1]) {
                guards.append(LintGuard(value: value(parts[0]), holds: false))
            }
        }
        guards.removeSubrange(depth...)
    }

    func alwaysLeaves(_ s: ClangCursor) -> Bool {
        s.leavesBlock || (s.isCompoundStmt && s.children.last.map(alwaysLeaves) == true)
    }

    /// The DeclRefExpr a callee expression names, through implicit casts and parentheses.
    func calleeReference(_ c: ClangCursor) -> ClangCursor? {
        if c.isDeclRefExpr { return c }
        if c.isTransparentExpr, let first = c.children.first { return calleeReference(first) }
        return nil
    }

    mutating func call(_ c: ClangCursor) {
        let kids = c.children
        let calleeRef = kids.first.flatMap { calleeReference($0) }
        let decl = calleeRef?.referenced
        var callee = "a call"
        if let calleeRef, let decl, decl.isFunctionDecl {
            let name = decl.spelling
            // __builtin_constant_p and friends do not run their arguments.
            if name.hasPrefix("__builtin_") && (name.contains("constant_p") || name.contains("types_compatible")) {
                return
            }
            callee = name
            if !isCompilerBuiltin(decl) {
                addEdge(target: decl, use: calleeRef, kind: .call, arguments: kids.dropFirst().map { value($0) })
            }
        } else if let decl, decl.isVarDecl {
            callee = decl.spelling // a BPF helper: a constant pointer to the helper id
        }
        for (i, k) in kids.enumerated() {
            if i == 0, calleeRef != nil { continue }
            if parameters != nil, let ref = calleeReference(k), ref.referenced.isFunctionDecl,
               builder.index.kfuncs[ref.referenced.spelling] == nil, !isCompilerBuiltin(ref.referenced) {
                addEdge(target: ref.referenced, use: ref, kind: .callback(helper: callee), arguments: [])
                continue
            }
            visit(k, in: c, at: i)
        }
    }

    /// Compiler builtins (atomics, `__builtin_*`) are never calls of the program's functions;
    /// clang declares them implicitly, where they are used.
    func isCompilerBuiltin(_ decl: ClangCursor) -> Bool {
        let name = decl.spelling
        let prefixes = ["__builtin_", "__sync_", "__atomic_", "__c11_atomic_"]
        return decl.location.isUnknown || prefixes.contains { name.hasPrefix($0) }
    }

    mutating func addEdge(target decl: ClangCursor, use: ClangCursor, kind: LintEdgeKind, arguments: [LintValue]) {
        let name = decl.spelling
        let loc = use.fileLocation
        let key = builder.key(of: decl)
        let macros = builder.macroPath(at: loc, to: name) ?? []
        edges.append(LintEdge(target: key, spelled: name, kind: kind, site: builder.map.range(loc, unit: builder.unit),
                              macros: macros, guards: guards, arguments: arguments))
    }

    /// A function named outside a call. A test of a weak kfunc (`bpf_ksym_exists(f)`, `!f`,
    /// `f == NULL`, `if (f)`) or `(void)f` uses no address. Any other function whose address a
    /// program takes is one of its subprograms (only a callback argument can use it); a kfunc's
    /// address escapes.
    mutating func reference(_ c: ClangCursor) {
        let decl = c.referenced
        guard decl.isFunctionDecl, !isCompilerBuiltin(decl) else { return }
        // The nearest ancestor that is more than a cast or parentheses.
        var j = parents.count - 1
        while j >= 0, parents[j].cursor.isTransparentExpr, !parents[j].cursor.isVoidCast { j -= 1 }
        if j >= 0 {
            let p = parents[j].cursor
            if p.isVoidCast { return }
            // For a function f, `!f`, `f == 0`, `f && x` have an integer type; `&f`, `*f`,
            // `p = f` do not.
            if (p.isUnaryOperator || p.isBinaryOperator) && p.hasIntegerType { return }
            if (p.isConditionStatement || p.isConditionalOperator) && parents[j].childIndex == 0 { return }
        }
        let name = decl.spelling
        if builder.index.kfuncs[name] == nil, parameters != nil {
            addEdge(target: decl, use: c, kind: .addressTaken, arguments: [])
            return
        }
        escapes.append(LintEscape(target: builder.key(of: decl),
                                  spelled: name, site: builder.map.range(c.fileLocation, unit: builder.unit)))
    }

    /// `T v __attribute__((cleanup(f)))` calls `f(&v)` when `v` goes out of scope.
    mutating func cleanupAttribute(_ c: ClangCursor) {
        guard c.children.contains(where: \.isAttribute) else { return }
        let text = c.declarationText(builder.printing)
        guard let fn = builder.attributeArgument(text, "cleanup(", terminator: ")") else { return }
        let name = fn.trimmingCharacters(in: " ")
        // The cleanup function is named in an attribute, not referenced: look for a static one in
        // this unit, then in the precompiled lead.
        let units = [builder.unitIndex] + (builder.lead.map { [$0.unitIndex] } ?? [])
        let key = builder.index.kfuncs[name] != nil ? name
            : units.map { "\($0):\(name)" }.first { builder.index.functions[$0] != nil } ?? name
        let loc = c.fileLocation
        let macros = builder.macroPath(at: loc, to: name) ?? []
        edges.append(LintEdge(target: key, spelled: name, kind: .cleanup(variable: c.spelling),
                              site: builder.map.range(loc, unit: builder.unit), macros: macros, guards: guards,
                              arguments: []))
    }

    // MARK: Values

    /// The parameter a cursor names (through casts and parentheses), if any.
    func parameterIndex(_ c: ClangCursor) -> Int? {
        guard let ref = calleeReference(c), let parameters else { return nil }
        let d = ref.referenced
        guard d.isParameter else { return nil }
        return parameters.firstIndex { $0.same(as: d) }
    }

    /// Assignments, increments and address-of of a parameter: the parameter no longer holds
    /// what the caller passed.
    mutating func noteMutation(_ c: ClangCursor, _ kids: [ClangCursor]) {
        guard parameters != nil, let first = kids.first, let p = parameterIndex(first) else { return }
        if c.isCompoundAssignment { mutated.insert(p); return }
        if c.isBinaryOperator, kids.count == 2, (binaryOperator(kids) ?? "=") == "=" { mutated.insert(p); return }
        if c.isUnaryOperator, unaryOperator(c) != "!" { mutated.insert(p) }
    }

    /// What the program computes for an expression, as far as it is known before loading.
    func value(_ c: ClangCursor) -> LintValue {
        if c.isTransparentExpr, !c.isVoidCast {
            let kids = c.children
            return kids.count == 1 ? value(kids[0]) : .unknown
        }
        if c.isStatementExpression {
            // `({ ...; e; })` has the value of its last expression.
            guard let last = c.children.first?.children.last, last.isExpression else { return .unknown }
            return value(last)
        }
        if c.isLiteral { return c.integerValue.map(LintValue.constant) ?? .unknown }
        if c.isDeclRefExpr {
            if let p = parameterIndex(c) { return .parameter(p) }
            let d = c.referenced
            if d.isEnumConstant { return .constant(d.enumConstantValue) }
            if d.isFunctionDecl {
                return builder.index.kfuncs[d.spelling] != nil ? .kfuncAddress(d.spelling) : .constant(1)
            }
            return .unknown
        }
        let kids = c.children
        if c.isUnaryOperator, kids.count == 1 {
            if unaryOperator(c) == "!" { return .not(value(kids[0])) }
            return c.integerValue.map(LintValue.constant) ?? .unknown
        }
        if c.isBinaryOperator, kids.count == 2 {
            switch binaryOperator(kids) {
            case "&&": return .and(value(kids[0]), value(kids[1]))
            case "||": return .or(value(kids[0]), value(kids[1]))
            case "==": return .equal(value(kids[0]), value(kids[1]))
            case "!=": return .not(.equal(value(kids[0]), value(kids[1])))
            default: return c.integerValue.map(LintValue.constant) ?? .unknown
            }
        }
        if c.isConditionalOperator, kids.count == 3 { return .select(value(kids[0]), value(kids[1]), value(kids[2])) }
        // __builtin_expect(e, v), as likely() and unlikely() expand, has the value of e.
        if c.isCallExpr, kids.count == 3, calleeReference(kids[0])?.referenced.spelling == "__builtin_expect" {
            return value(kids[1])
        }
        return .unknown
    }

    // MARK: Operators

    /// A binary operator as written between its operands, when both are in one file and the
    /// operator is not inside a macro's definition (libclang 14 does not say which it is).
    func binaryOperator(_ kids: [ClangCursor]) -> String? {
        let l = kids[0].fileExtent.end, r = kids[1].fileExtent.start
        guard !l.isUnknown, l.file == r.file, l.offset <= r.offset, r.offset - l.offset < 256,
              let between = builder.map.bytes(of: l.file, l.offset, r.offset, unit: builder.unit) else { return nil }
        let op = withoutComments(between)
        let operatorChars = Set("=!<>&|+-*/%^".utf8)
        return !op.isEmpty && op.utf8.allSatisfy(operatorChars.contains) ? op : nil
    }

    /// A unary operator: `!`, `-`, `++`, ... written before the operand, `++`/`--` after it;
    /// inside a macro definition, `!` when that macro's expansion has no other operator that
    /// gives an `int`; nil when it cannot be told.
    func unaryOperator(_ c: ClangCursor) -> String? {
        let e = c.fileExtent
        // A cursor from a macro's body starts (and may end) where the macro is used.
        func bytes(_ n: Int) -> ArraySlice<UInt8>? {
            builder.map.bytes(of: e.start.file, e.start.offset, e.start.offset + n, unit: builder.unit)
        }
        guard !e.start.isUnknown, let text = bytes(2) ?? bytes(1), let first = text.first else { return nil }
        let prefix = String(decoding: text, as: UTF8.self)
        if prefix == "++" || prefix == "--" { return prefix }
        if Set("!-~&*+".utf8).contains(first) { return String(UnicodeScalar(first)) }
        if e.end.file == e.start.file, e.end.offset >= e.start.offset + 3,
           let tail = builder.map.bytes(of: e.end.file, e.end.offset - 2, e.end.offset, unit: builder.unit) {
            let t = String(decoding: tail, as: UTF8.self)
            if t == "++" || t == "--" { return t }
        }
        // Written inside a macro's definition: the cursor starts at the macro's name. Only `!`
        // gives an int from a function (`!f`), and `!!f` is the idiom for "f exists".
        if c.hasIntegerType, let operand = c.children.first, testsFunction(operand) { return "!" }
        guard let id = builder.map.fileID(e.start.file, unit: builder.unit), c.hasIntegerType else { return nil }
        let macro = builder.map.identifier(at: e.start.offset, file: id)
        return !macro.isEmpty && builder.macros.unaryIsOnlyNot(macro) ? "!" : nil
    }

    /// `f` or an int-valued unary operator over `f`, for a function `f` (through casts).
    func testsFunction(_ c: ClangCursor) -> Bool {
        if c.isTransparentExpr { return c.children.first.map(testsFunction) ?? false }
        if c.isDeclRefExpr { return c.referenced.isFunctionDecl }
        return c.isUnaryOperator && c.hasIntegerType && (c.children.first.map(testsFunction) ?? false)
    }

    /// Source text without spaces, line splices and comments.
    func withoutComments(_ b: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var i = b.startIndex
        while i < b.endIndex {
            let c = b[i]
            if c == 0x2F, i + 1 < b.endIndex, b[i + 1] == 0x2A {
                i += 2
                while i + 1 < b.endIndex, !(b[i] == 0x2A && b[i + 1] == 0x2F) { i += 1 }
                i += 2
                continue
            }
            if c == 0x2F, i + 1 < b.endIndex, b[i + 1] == 0x2F {
                while i < b.endIndex, b[i] != 10 { i += 1 }
                continue
            }
            if c != 0x20, c != 9, c != 10, c != 13, c != 0x5C { out.append(c) }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

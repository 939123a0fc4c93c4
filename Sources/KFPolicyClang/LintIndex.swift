// kfpolicy lint, phase 1: what a BPF C program contains, read from libclang's AST into plain
// data (functions and their sections, call edges with the macros they came through, addresses
// taken, kfunc declarations, struct_ops maps and their bindings). Phase 2 (LintChecker) sees
// only this, never a cursor.

import KFPolicy
internal import CLibClang

/// How a function reaches another.
enum LintEdgeKind: Equatable {
    /// A direct call.
    case call
    /// The function's address is passed to a helper that calls it synchronously (bpf_loop).
    case callback(helper: String)
    /// A variable's `cleanup` attribute calls the function when the variable goes out of scope.
    case cleanup(variable: String)
}

/// One macro on the way from a call site to the name it calls: `name`'s definition mentions
/// `next` (the called function, or the next macro) at `range`.
struct LintMacroStep: Equatable {
    let name: String
    let next: String
    let range: SourceRange
}

/// A call (or callback or cleanup) from a function's body.
struct LintEdge {
    /// Function key of the target (see `LintIndex.key`), or a kfunc's name.
    let target: String
    /// The name as the program spells it.
    let spelled: String
    let kind: LintEdgeKind
    /// Where the call is written (the macro's use when it comes from a macro's body).
    let site: SourceRange
    /// Macros between the site and the called name, outermost first.
    let macros: [LintMacroStep]
}

/// A place where the address of a function or kfunc is taken (not called, not tested).
struct LintEscape {
    let target: String
    let spelled: String
    let site: SourceRange
}

/// A function declared in one of the programs.
final class LintFunction {
    let key: String
    let name: String
    /// Index of the translation unit that defines it (or first declares it).
    var unit: Int
    var isDefined = false
    var site: SourceRange
    /// The expansion location of the definition: two functions made by one macro invocation
    /// (BPF_STRUCT_OPS's outer function and its body) share it.
    var expansion: ClangLocation?
    var section: String?
    var edges: [LintEdge] = []
    var escapes: [LintEscape] = []
    init(key: String, name: String, unit: Int, site: SourceRange) {
        self.key = key; self.name = name; self.unit = unit; self.site = site
    }
}

/// A kfunc declaration (`__ksym`).
struct LintKfuncDecl {
    let name: String
    let site: SourceRange
}

/// `.member = (void *)function` in a struct_ops map.
struct LintBinding {
    let member: String
    /// Function key, or nil when the value is not a function kfpolicy can name.
    let function: String?
    let functionName: String
    let site: SourceRange
}

/// A global in section `.struct_ops` or `.struct_ops.link`.
struct LintMap {
    let name: String
    let structName: String
    let section: String
    let site: SourceRange
    let unit: Int
    var bindings: [LintBinding]
}

/// A clang error in a program.
struct LintClangError {
    let message: String
    let site: SourceRange
}

/// Everything phase 2 needs, over all files linted together.
final class LintIndex {
    var functions: [String: LintFunction] = [:]
    /// Keys in the order they were first seen (for deterministic output).
    var functionOrder: [String] = []
    var kfuncs: [String: LintKfuncDecl] = [:]
    var maps: [LintMap] = []
    var clangErrors: [LintClangError] = []
    /// Escapes outside any function (global initializers).
    var globalEscapes: [LintEscape] = []
    /// The first position of each main file, for diagnostics about a whole file.
    var fileStarts: [SourceRange] = []

    /// `unit:name` for a function with internal linkage, `name` otherwise (C has one global
    /// namespace for external functions, so files link by name).
    static func key(name: String, isInternal: Bool, unit: Int) -> String { isInternal ? "\(unit):\(name)" : name }

    func function(_ key: String, name: String, unit: Int, site: SourceRange) -> LintFunction {
        if let f = functions[key] { return f }
        let f = LintFunction(key: key, name: name, unit: unit, site: site)
        functions[key] = f
        functionOrder.append(key)
        return f
    }
}

/// Maps clang file locations to ranges of one SourceManager, adding each C file once.
final class LintSourceMap {
    let sources: SourceManager
    private var ids: [String: Int] = [:]
    private var bytes: [Int: [UInt8]] = [:]
    init(sources: SourceManager) { self.sources = sources }

    func fileID(_ path: String, unit: ClangTranslationUnit) -> Int? {
        if path.isEmpty { return nil }
        if let id = ids[path] { return id }
        guard let b = unit.contents(of: path) else { return nil }
        let id = sources.add(SourceFile(path: path, bytes: b))
        ids[path] = id
        bytes[id] = b
        return id
    }

    /// The range of the identifier (or other token) that starts at `loc`.
    func range(_ loc: ClangLocation, unit: ClangTranslationUnit) -> SourceRange {
        guard let id = fileID(loc.file, unit: unit) else { return .none }
        return SourceRange(file: id, start: loc.offset, end: loc.offset + identifier(at: loc.offset, file: id).utf8.count)
    }

    /// The identifier at a byte offset, or "".
    func identifier(at offset: Int, file: Int) -> String {
        guard let b = bytes[file], offset >= 0, offset < b.count else { return "" }
        func isIdent(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
        }
        var e = offset
        while e < b.count, isIdent(b[e]) { e += 1 }
        return String(decoding: b[offset..<e], as: UTF8.self)
    }
}

/// BPF helpers that call a function they are given before they return, in the caller's
/// context: kfuncs called from that function are checked as if called directly.
let synchronousCallbackHelpers: Set<String> = ["bpf_loop", "bpf_for_each_map_elem", "bpf_find_vma", "bpf_user_ringbuf_drain"]

/// Reads one translation unit into a LintIndex.
struct LintIndexBuilder {
    let unit: ClangTranslationUnit
    let unitIndex: Int
    let index: LintIndex
    let map: LintSourceMap
    let printing: ClangPrintingPolicy
    /// Macro definitions by name (the last definition wins, as in the preprocessor at the end).
    var macros: [String: ClangCursor] = [:]
    var macroPathCache: [String: [LintMacroStep]?] = [:]

    init(unit: ClangTranslationUnit, unitIndex: Int, index: LintIndex, map: LintSourceMap) {
        self.unit = unit; self.unitIndex = unitIndex; self.index = index; self.map = map
        self.printing = ClangPrintingPolicy(unit)
    }

    mutating func build() {
        for d in unit.diagnostics where d.severity >= .error {
            var loc = d.location
            if loc.isUnknown { loc = ClangLocation(file: unit.mainFile, line: 1, column: 1, offset: 0) }
            index.clangErrors.append(LintClangError(message: d.message, site: map.range(loc, unit: unit)))
        }
        index.fileStarts.append(map.range(ClangLocation(file: unit.mainFile, line: 1, column: 1, offset: 0), unit: unit))
        let top = unit.cursor.children
        // Pass 1: declarations (sections, kfuncs) and macros, so pass 2 can classify uses.
        for c in top {
            if c.isMacroDefinition { macros[c.spelling] = c; continue }
            if c.isFunctionDecl { declareFunction(c) }
        }
        // Pass 2: bodies and global initializers.
        for c in top {
            if c.isFunctionDecl, c.isDefinition { defineFunction(c) }
            else if c.isVarDecl { globalVariable(c) }
        }
    }

    /// The `section("...")` of a declaration, if it has attributes at all.
    func section(of c: ClangCursor) -> String? {
        guard c.children.contains(where: \.isAttribute) else { return nil }
        return attributeArgument(c.declarationText(printing), "section(\"", terminator: "\")")
    }

    func attributeArgument(_ text: String, _ prefix: String, terminator: String) -> String? {
        let t = Array(text.utf8)
        guard let start = t.firstIndex(of: Array(prefix.utf8), from: 0) else { return nil }
        let from = start + prefix.utf8.count
        guard let end = t.firstIndex(of: Array(terminator.utf8), from: from) else { return nil }
        return String(decoding: t[from..<end], as: UTF8.self)
    }

    func functionKey(_ c: ClangCursor) -> String {
        LintIndex.key(name: c.spelling, isInternal: c.hasInternalLinkage, unit: unitIndex)
    }

    mutating func declareFunction(_ c: ClangCursor) {
        let name = c.spelling
        let s = section(of: c)
        if s == ".ksyms" {
            if index.kfuncs[name] == nil {
                index.kfuncs[name] = LintKfuncDecl(name: name, site: map.range(c.fileLocation, unit: unit))
            }
            return
        }
        let f = index.function(functionKey(c), name: name, unit: unitIndex, site: map.range(c.fileLocation, unit: unit))
        if f.section == nil, let s { f.section = s }
    }

    mutating func defineFunction(_ c: ClangCursor) {
        let key = functionKey(c)
        if index.kfuncs[c.spelling] != nil && !c.hasInternalLinkage { return }
        let f = index.function(key, name: c.spelling, unit: unitIndex, site: map.range(c.fileLocation, unit: unit))
        // A non-static function defined in two files: the first definition is the one followed.
        if f.isDefined { return }
        f.isDefined = true
        f.unit = unitIndex
        f.site = map.range(c.fileLocation, unit: unit)
        f.expansion = c.location
        guard let body = c.children.last(where: \.isCompoundStmt) else { return }
        var walker = BodyWalker(builder: self)
        walker.walk(body)
        f.edges = walker.edges
        f.escapes = walker.escapes
        macroPathCache = walker.builder.macroPathCache
    }

    mutating func globalVariable(_ c: ClangCursor) {
        let sec = section(of: c)
        if let sec, sec == ".struct_ops" || sec.hasPrefix(".struct_ops.") {
            structOpsMap(c, section: sec)
            return
        }
        // Any other initializer: functions whose address it stores escape.
        guard let initExpr = c.children.last(where: { $0.isExpression }) else { return }
        var walker = BodyWalker(builder: self)
        walker.walk(initExpr)
        index.globalEscapes += walker.escapes
        // Calls cannot appear in a global initializer; edges are ignored.
    }

    mutating func structOpsMap(_ c: ClangCursor, section: String) {
        var type = c.canonicalTypeSpelling
        if type.hasPrefix("struct ") { type.removeFirst(7) }
        var m = LintMap(name: c.spelling, structName: type, section: section,
                        site: map.range(c.fileLocation, unit: unit), unit: unitIndex, bindings: [])
        let fields = c.fieldNames
        if let list = c.children.last(where: \.isInitListExpr) {
            for (i, item) in list.children.enumerated() {
                let parts = item.children
                var member: String?
                var value = item
                if item.kind == CXCursor_UnexposedExpr, let first = parts.first, first.isMemberRef {
                    member = first.spelling
                    value = parts.last!
                } else if i < fields.count {
                    member = fields[i]
                }
                guard let member, let ref = firstFunctionReference(in: value) else { continue }
                m.bindings.append(LintBinding(member: member,
                                              function: LintIndex.key(name: ref.decl.spelling, isInternal: ref.decl.hasInternalLinkage, unit: unitIndex),
                                              functionName: ref.decl.spelling, site: map.range(ref.use.fileLocation, unit: unit)))
            }
        }
        index.maps.append(m)
    }

    /// The first reference to a function inside an expression (through casts).
    func firstFunctionReference(in c: ClangCursor) -> (use: ClangCursor, decl: ClangCursor)? {
        if c.isDeclRefExpr {
            let d = c.referenced
            return d.isFunctionDecl ? (c, d) : nil
        }
        for ch in c.children { if let r = firstFunctionReference(in: ch) { return r } }
        return nil
    }

    /// The macros that lead from the identifier at a call site to `name`: empty when `name` is
    /// written at the site, nil when the way cannot be reconstructed (token pasting).
    mutating func macroPath(at loc: ClangLocation, to name: String) -> [LintMacroStep]? {
        guard let id = map.fileID(loc.file, unit: unit) else { return [] }
        let written = map.identifier(at: loc.offset, file: id)
        if written == name || written.isEmpty { return [] }
        guard macros[written] != nil else { return [] }
        let cacheKey = written + "\u{0}" + name
        if let cached = macroPathCache[cacheKey] { return cached }
        // Breadth first over macro definitions, so the shortest expansion path is reported.
        var parent: [String: (from: String, token: ClangToken)] = [:]
        var queue = [written]
        var seen: Set<String> = [written]
        var found: ClangToken?
        var last = ""
        search: while !queue.isEmpty {
            let m = queue.removeFirst()
            guard let def = macros[m] else { continue }
            for t in def.tokens.dropFirst() where t.kind == .identifier {
                if t.text == name { found = t; last = m; break search }
                if macros[t.text] != nil, !seen.contains(t.text) {
                    seen.insert(t.text)
                    parent[t.text] = (m, t)
                    queue.append(t.text)
                }
            }
        }
        var result: [LintMacroStep]?
        if let found {
            var steps = [LintMacroStep(name: last, next: name, range: map.range(found.location, unit: unit))]
            var cur = last
            while let p = parent[cur] {
                steps.insert(LintMacroStep(name: p.from, next: cur, range: map.range(p.token.location, unit: unit)), at: 0)
                cur = p.from
            }
            result = steps
        } else if let def = macros[written] {
            // The name is made by token pasting or comes from an argument: name the macro only.
            result = [LintMacroStep(name: written, next: name, range: map.range(def.fileLocation, unit: unit))]
        }
        macroPathCache[cacheKey] = result
        return result
    }
}

/// Walks a function body (or an initializer), collecting calls and escaping addresses.
struct BodyWalker {
    var builder: LintIndexBuilder
    var edges: [LintEdge] = []
    var escapes: [LintEscape] = []

    init(builder: LintIndexBuilder) { self.builder = builder }

    /// A cursor with the position it has among its parent's children.
    struct Frame { let cursor: ClangCursor; let childIndex: Int }

    /// The ancestors of the cursor being visited, innermost last.
    var parents: [Frame] = []

    mutating func walk(_ c: ClangCursor) {
        if c.isUnevaluated { return }
        if c.isCallExpr {
            call(c)
            return
        }
        if c.isDeclRefExpr {
            reference(c)
            return
        }
        if c.isVarDecl { cleanupAttribute(c) }
        let kids = c.children
        for (i, k) in kids.enumerated() {
            parents.append(Frame(cursor: c, childIndex: i))
            walk(k)
            parents.removeLast()
        }
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
        var helper: String?
        if let calleeRef, let decl {
            if decl.isFunctionDecl {
                let name = decl.spelling
                // __builtin_constant_p and friends do not run their arguments.
                if name.hasPrefix("__builtin_") && (name.contains("constant_p") || name.contains("types_compatible")) { return }
                if !name.hasPrefix("__builtin_") && !decl.location.isUnknown {
                    addEdge(target: decl, use: calleeRef, kind: .call)
                }
            } else if decl.isVarDecl, synchronousCallbackHelpers.contains(decl.spelling) {
                helper = decl.spelling
            }
        }
        for (i, k) in kids.enumerated() {
            if i == 0, calleeRef != nil, k.isDeclRefExpr || k.isTransparentExpr, calleeReference(k) != nil { continue }
            if let helper, i > 0, let ref = calleeReference(k), ref.referenced.isFunctionDecl {
                addEdge(target: ref.referenced, use: ref, kind: .callback(helper: helper))
                continue
            }
            parents.append(Frame(cursor: c, childIndex: i))
            walk(k)
            parents.removeLast()
        }
    }

    mutating func addEdge(target decl: ClangCursor, use: ClangCursor, kind: LintEdgeKind) {
        let name = decl.spelling
        let loc = use.fileLocation
        let key = LintIndex.key(name: name, isInternal: decl.hasInternalLinkage, unit: builder.unitIndex)
        let macros = builder.macroPath(at: loc, to: name) ?? []
        edges.append(LintEdge(target: key, spelled: name, kind: kind, site: builder.map.range(loc, unit: builder.unit), macros: macros))
    }

    /// A function named outside a call: a test of a weak kfunc (`bpf_ksym_exists(f)`, `!f`,
    /// `f == NULL`, `if (f)`) is harmless; anything else lets the address escape.
    mutating func reference(_ c: ClangCursor) {
        let decl = c.referenced
        guard decl.isFunctionDecl else { return }
        // The nearest ancestor that is more than a cast or parentheses.
        var j = parents.count - 1
        while j >= 0, parents[j].cursor.isTransparentExpr { j -= 1 }
        if j >= 0 {
            let p = parents[j].cursor
            // For a function f, `!f`, `f == 0`, `f && x` have an integer type; `&f`, `*f`,
            // `p = f` do not.
            if (p.isUnaryOperator || p.isBinaryOperator) && p.hasIntegerType { return }
            if (p.isConditionStatement || p.isConditionalOperator) && parents[j].childIndex == 0 { return }
        }
        let name = decl.spelling
        if name.hasPrefix("__builtin_") { return }
        escapes.append(LintEscape(target: LintIndex.key(name: name, isInternal: decl.hasInternalLinkage, unit: builder.unitIndex),
                                  spelled: name, site: builder.map.range(c.fileLocation, unit: builder.unit)))
    }

    /// `T v __attribute__((cleanup(f)))` calls `f(&v)` when `v` goes out of scope.
    mutating func cleanupAttribute(_ c: ClangCursor) {
        guard c.children.contains(where: \.isAttribute) else { return }
        let text = c.declarationText(builder.printing)
        guard let fn = builder.attributeArgument(text, "cleanup(", terminator: ")") else { return }
        let name = fn.trimmingCharacters(in: " ")
        let isInternal = builder.index.kfuncs[name] == nil && builder.index.functions["\(builder.unitIndex):\(name)"] != nil
        let key = LintIndex.key(name: name, isInternal: isInternal, unit: builder.unitIndex)
        let loc = c.fileLocation
        let macros = builder.macroPath(at: loc, to: name) ?? []
        edges.append(LintEdge(target: key, spelled: name, kind: .cleanup(variable: c.spelling),
                              site: builder.map.range(loc, unit: builder.unit), macros: macros))
    }
}

extension Array where Element == UInt8 {
    /// The index where `needle` first occurs at or after `from`.
    func firstIndex(of needle: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= count {
            if self[i] == needle[0] && Array(self[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

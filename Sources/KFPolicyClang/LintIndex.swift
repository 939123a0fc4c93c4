// kfpolicy lint, phase 1: what a BPF C program contains, read from libclang's AST into plain
// data (functions and their sections, call edges with the macros they came through, addresses
// taken, kfunc declarations, struct_ops maps and their bindings). Phase 2 (LintChecker) sees
// only this, never a cursor.

import KFPolicy
internal import CLibClang
import Glibc

/// How a function reaches another.
enum LintEdgeKind: Equatable {
    /// A direct call.
    case call
    /// The function's address is passed to a helper or kfunc that calls it (bpf_loop, a timer,
    /// bpf_rbtree_add): the verifier checks it as part of the program that passes it.
    case callback(helper: String)
    /// The function's address is taken some other way: only a callback argument can use it,
    /// and it belongs to the program that takes it.
    case addressTaken
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
    /// The conditions the call runs under, outermost first.
    let guards: [LintGuard]
    /// The values passed, for a direct call.
    let arguments: [LintValue]
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
    /// `static`: the verifier follows it with its callers' arguments.
    var isStatic = false
    /// Parameters the function assigns or takes the address of: their values are not the
    /// caller's after that.
    var mutatedParameters: Set<Int> = []
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
    /// `__weak`: libbpf loads the program without it when the kernel lacks it (the address is 0).
    let isWeak: Bool
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
    /// Units of precompiled leads: they hold the headers a unit parsed with one read from it.
    var precompiledUnits: [ClangTranslationUnit] = []
    /// How the lead spelled the headers it read, by absolute path.
    var spelling: [String: String] = [:]
    init(sources: SourceManager) { self.sources = sources }

    /// A file's id, by its absolute path: a unit parsed with a precompiled header names the
    /// headers it took from it by absolute path, the unit that read them (the lead) as spelled;
    /// such a file is shown as the lead spelled it.
    func fileID(_ path: String, unit: ClangTranslationUnit) -> Int? {
        if path.isEmpty { return nil }
        if let id = ids[path] { return id }
        let absolute = absolutePath(path)
        if let id = ids[absolute] { ids[path] = id; return id }
        guard let b = unit.contents(of: path) ?? precompiledUnits.lazy.compactMap({ $0.contents(of: path) }).first else { return nil }
        let id = sources.add(SourceFile(path: spelling[absolute] ?? path, bytes: b))
        ids[path] = id
        ids[absolute] = id
        bytes[id] = b
        return id
    }

    /// The range of the identifier (or other token) that starts at `loc`.
    func range(_ loc: ClangLocation, unit: ClangTranslationUnit) -> SourceRange {
        guard let id = fileID(loc.file, unit: unit) else { return .none }
        return SourceRange(file: id, start: loc.offset, end: loc.offset + identifier(at: loc.offset, file: id).utf8.count)
    }

    /// The bytes `from..<to` of a file the unit read, or nil when out of range.
    func bytes(of path: String, _ from: Int, _ to: Int, unit: ClangTranslationUnit) -> ArraySlice<UInt8>? {
        guard let id = fileID(path, unit: unit), let b = bytes[id], from >= 0, from <= to, to <= b.count else { return nil }
        return b[from..<to]
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

/// The macro definitions of one translation unit (the last definition of a name wins, as in
/// the preprocessor at the end of the file) and what lint asks of them, cached.
final class LintMacroTable {
    var definitions: [String: ClangCursor] = [:]
    /// The macros of the precompiled header the unit was parsed with.
    let precompiled: LintMacroTable?
    private var tokenCache: [String: [ClangToken]] = [:]
    var pathCache: [String: [LintMacroStep]?] = [:]
    private var onlyNotCache: [String: Bool] = [:]

    init(precompiled: LintMacroTable? = nil) { self.precompiled = precompiled }

    func definition(_ name: String) -> ClangCursor? { definitions[name] ?? precompiled?.definition(name) }

    /// The tokens of a macro's definition, name first.
    func tokens(_ name: String) -> [ClangToken] {
        if let t = tokenCache[name] { return t }
        let t = definition(name)?.tokens ?? []
        tokenCache[name] = t
        return t
    }

    /// True when `!` is the only prefix operator that can give an `int` in the expansion of
    /// `name` (its definition and the macros it uses, transitively): there a unary operator
    /// that libclang cannot show the spelling of is a `!`.
    func unaryIsOnlyNot(_ name: String) -> Bool {
        if let v = onlyNotCache[name] { return v }
        var seen: Set<String> = [name], queue = [name], sawNot = false, other = false
        while let m = queue.popLast(), !other {
            for t in tokens(m).dropFirst() {
                if t.kind == .punctuation {
                    if t.text == "!" { sawNot = true }
                    if ["-", "~", "--", "++", "+"].contains(t.text) { other = true }
                } else if t.kind == .identifier, definition(t.text) != nil, seen.insert(t.text).inserted, seen.count < 64 {
                    queue.append(t.text)
                }
            }
        }
        onlyNotCache[name] = sawNot && !other
        return sawNot && !other
    }
}

/// What a unit parsed with a precompiled lead takes from it.
struct LintLeadContext {
    /// The unit index the lead's own declarations were indexed under.
    let unitIndex: Int
    /// The headers the lead read.
    let files: Set<String>
    let macros: LintMacroTable
}

/// Reads one translation unit into a LintIndex.
struct LintIndexBuilder {
    let unit: ClangTranslationUnit
    let unitIndex: Int
    let index: LintIndex
    let map: LintSourceMap
    let printing: ClangPrintingPolicy
    let macros: LintMacroTable
    let lead: LintLeadContext?
    /// A precompiled lead itself: its declarations are indexed, but it is not one of the files.
    let isLead: Bool

    init(unit: ClangTranslationUnit, unitIndex: Int, index: LintIndex, map: LintSourceMap,
         lead: LintLeadContext? = nil, isLead: Bool = false) {
        self.unit = unit; self.unitIndex = unitIndex; self.index = index; self.map = map
        self.lead = lead; self.isLead = isLead
        self.printing = ClangPrintingPolicy(unit)
        self.macros = LintMacroTable(precompiled: lead?.macros)
    }

    /// The unit index a declaration's internal-linkage key uses: the lead's for a declaration
    /// that comes from the precompiled lead.
    func unitIndex(of decl: ClangCursor) -> Int {
        guard let lead, lead.files.contains(absolutePath(decl.location.file)) else { return unitIndex }
        return lead.unitIndex
    }

    func key(of decl: ClangCursor) -> String {
        LintIndex.key(name: decl.spelling, isInternal: decl.hasInternalLinkage, unit: unitIndex(of: decl))
    }

    func build() {
        for d in unit.diagnostics where d.severity >= .error {
            var loc = d.location
            if loc.isUnknown { loc = ClangLocation(file: unit.mainFile, line: 1, column: 1, offset: 0) }
            index.clangErrors.append(LintClangError(message: d.message, site: map.range(loc, unit: unit)))
        }
        if !isLead { index.fileStarts.append(map.range(ClangLocation(file: unit.mainFile, line: 1, column: 1, offset: 0), unit: unit)) }
        let top = unit.cursor.children
        // Pass 1: declarations (sections, kfuncs) and macros, so pass 2 can classify uses.
        for c in top {
            if c.isMacroDefinition { macros.definitions[c.spelling] = c; continue }
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

    func declareFunction(_ c: ClangCursor) {
        let name = c.spelling
        let s = section(of: c)
        if s == ".ksyms" {
            if index.kfuncs[name] == nil {
                let weak = c.declarationText(printing).contains("weak")
                index.kfuncs[name] = LintKfuncDecl(name: name, site: map.range(c.fileLocation, unit: unit), isWeak: weak)
            }
            return
        }
        let f = index.function(key(of: c), name: name, unit: unitIndex, site: map.range(c.fileLocation, unit: unit))
        if f.section == nil, let s { f.section = s }
    }

    func defineFunction(_ c: ClangCursor) {
        let key = key(of: c)
        if index.kfuncs[c.spelling] != nil && !c.hasInternalLinkage { return }
        let f = index.function(key, name: c.spelling, unit: unitIndex, site: map.range(c.fileLocation, unit: unit))
        // A non-static function defined in two files: the first definition is the one followed.
        if f.isDefined { return }
        f.isDefined = true
        f.unit = unitIndex
        f.site = map.range(c.fileLocation, unit: unit)
        f.expansion = c.location
        f.isStatic = c.hasInternalLinkage
        let kids = c.children
        guard let body = kids.last(where: \.isCompoundStmt) else { return }
        var walker = BodyWalker(builder: self, parameters: kids.filter(\.isParameter))
        walker.walk(body)
        f.edges = walker.edges
        f.escapes = walker.escapes
        f.mutatedParameters = walker.mutated
    }

    func globalVariable(_ c: ClangCursor) {
        let sec = section(of: c)
        if let sec, sec == ".struct_ops" || sec.hasPrefix(".struct_ops.") {
            structOpsMap(c, section: sec)
            return
        }
        // Any other initializer: functions whose address it stores escape.
        guard let initExpr = c.children.last(where: { $0.isExpression }) else { return }
        var walker = BodyWalker(builder: self, parameters: nil)
        walker.walk(initExpr)
        index.globalEscapes += walker.escapes
    }

    func structOpsMap(_ c: ClangCursor, section: String) {
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
                                              function: key(of: ref.decl),
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
    func macroPath(at loc: ClangLocation, to name: String) -> [LintMacroStep]? {
        guard let id = map.fileID(loc.file, unit: unit) else { return [] }
        let written = map.identifier(at: loc.offset, file: id)
        if written == name || written.isEmpty { return [] }
        guard macros.definition(written) != nil else { return [] }
        let cacheKey = written + "\u{0}" + name
        if let cached = macros.pathCache[cacheKey] { return cached }
        // Breadth first over macro definitions, so the shortest expansion path is reported.
        var parent: [String: (from: String, token: ClangToken)] = [:]
        var queue = [written]
        var seen: Set<String> = [written]
        var found: ClangToken?
        var last = ""
        search: while !queue.isEmpty {
            let m = queue.removeFirst()
            for t in macros.tokens(m).dropFirst() where t.kind == .identifier {
                if t.text == name { found = t; last = m; break search }
                if macros.definition(t.text) != nil, !seen.contains(t.text) {
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
        } else if let def = macros.definition(written) {
            // The name is made by token pasting or comes from an argument: name the macro only.
            result = [LintMacroStep(name: written, next: name, range: map.range(def.fileLocation, unit: unit))]
        }
        macros.pathCache[cacheKey] = result
        return result
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

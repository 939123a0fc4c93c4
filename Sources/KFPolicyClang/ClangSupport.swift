// A small Swift layer over libclang's C API: translation units parsed from memory, diagnostics
// with file/line/column, cursor visiting with closures, tokens and source text of extents, and
// evaluation of integer constant expressions. Everything else in KFPolicyClang goes through
// this file rather than calling clang_* directly where it can.

internal import CLibClang
#if canImport(Glibc)
import Glibc
#endif

/// A position in a file clang read (1-based line and column, 0-based byte offset).
struct ClangLocation: Hashable, Sendable, CustomStringConvertible {
    var file: String
    var line: Int
    var column: Int
    var offset: Int
    static let unknown = ClangLocation(file: "", line: 0, column: 0, offset: 0)
    var isUnknown: Bool { file.isEmpty }
    var description: String { isUnknown ? "<unknown>" : "\(file):\(line):\(column)" }
}

/// A byte range in one file, from an extent or a token.
struct ClangRange: Hashable, Sendable {
    var start: ClangLocation
    var end: ClangLocation
}

/// Severity of a clang diagnostic.
enum ClangSeverity: Int, Comparable, Sendable {
    case ignored = 0, note, warning, error, fatal
    static func < (a: ClangSeverity, b: ClangSeverity) -> Bool { a.rawValue < b.rawValue }
    var name: String {
        switch self {
        case .ignored: "ignored"
        case .note: "note"
        case .warning: "warning"
        case .error: "error"
        case .fatal: "fatal error"
        }
    }
}

/// One diagnostic clang reported, with its child notes.
struct ClangDiagnostic: Sendable, CustomStringConvertible {
    var severity: ClangSeverity
    var location: ClangLocation
    var message: String
    /// The warning option that enables it (e.g. `-Winitializer-overrides`), or empty.
    var option: String
    var notes: [ClangDiagnostic]
    var description: String { "\(location): \(severity.name): \(message)" }
}

/// A failure to create a translation unit at all (not a diagnostic in the code).
struct ClangError: Error, CustomStringConvertible {
    var description: String
}

/// Options for `ClangTranslationUnit.parse`.
struct ClangParseOptions: OptionSet, Sendable {
    let rawValue: UInt32
    /// Keep macro definitions and expansions as cursors (needed to see `BTF_ID_FLAGS(...)`).
    static let detailedPreprocessingRecord = ClangParseOptions(rawValue: CXTranslationUnit_DetailedPreprocessingRecord.rawValue)
    /// Keep reporting after a fatal error (e.g. a missing include).
    static let keepGoing = ClangParseOptions(rawValue: CXTranslationUnit_KeepGoing.rawValue)
    /// Do not parse function bodies.
    static let skipFunctionBodies = ClangParseOptions(rawValue: CXTranslationUnit_SkipFunctionBodies.rawValue)
    /// Preprocess one file only: includes that cannot be found are skipped quietly.
    static let singleFileParse = ClangParseOptions(rawValue: CXTranslationUnit_SingleFileParse.rawValue)
    /// The translation unit is a fragment (no warnings about unused things).
    static let incomplete = ClangParseOptions(rawValue: CXTranslationUnit_Incomplete.rawValue)
    /// The unit will be saved as a precompiled header.
    static let forSerialization = ClangParseOptions(rawValue: CXTranslationUnit_ForSerialization.rawValue)
}

/// A parsed translation unit. Not thread-safe; dispose by dropping the last reference.
final class ClangTranslationUnit {
    private let index: CXIndex
    let raw: CXTranslationUnit
    /// The main file's path as given to `parse`.
    let mainFile: String

    private init(index: CXIndex, raw: CXTranslationUnit, mainFile: String) {
        self.index = index; self.raw = raw; self.mainFile = mainFile
    }

    deinit {
        clang_disposeTranslationUnit(raw)
        clang_disposeIndex(index)
    }

    /// Parses `path` with `arguments` (compiler flags, not including the file). Files in
    /// `unsaved` (path, contents) are read from memory instead of disk; `path` itself may be one.
    /// With `excludingPrecompiled`, visiting the unit skips the declarations that come from a
    /// precompiled header (`-include-pch`).
    static func parse(_ path: String, arguments: [String] = [], unsaved: [(path: String, contents: String)] = [],
                      options: ClangParseOptions = [.keepGoing], excludingPrecompiled: Bool = false) throws -> ClangTranslationUnit {
        guard let index = clang_createIndex(excludingPrecompiled ? 1 : 0, 0) else { throw ClangError(description: "libclang: cannot create an index") }
        // Copies that stay valid for the duration of the call; libclang copies unsaved buffers.
        let argBuffers = arguments.map { strdup($0)! }
        let nameBuffers = unsaved.map { strdup($0.path)! }
        let dataBuffers: [(UnsafeMutablePointer<CChar>, Int)] = unsaved.map { u in
            let bytes = Array(u.contents.utf8)
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            bytes.withUnsafeBytes { b in if !b.isEmpty { memcpy(p, b.baseAddress!, b.count) } }
            return (p, bytes.count)
        }
        defer {
            argBuffers.forEach { free($0) }
            nameBuffers.forEach { free($0) }
            dataBuffers.forEach { $0.0.deallocate() }
        }
        var files = (0..<unsaved.count).map { i in
            CXUnsavedFile(Filename: UnsafePointer(nameBuffers[i]), Contents: UnsafePointer(dataBuffers[i].0),
                          Length: UInt(dataBuffers[i].1))
        }
        var argv: [UnsafePointer<CChar>?] = argBuffers.map { UnsafePointer($0) }
        var tu: CXTranslationUnit?
        let code = argv.withUnsafeMutableBufferPointer { a in
            files.withUnsafeMutableBufferPointer { f in
                clang_parseTranslationUnit2(index, path, a.baseAddress, Int32(a.count),
                                            f.baseAddress, UInt32(f.count), options.rawValue, &tu)
            }
        }
        guard code == CXError_Success, let tu else {
            clang_disposeIndex(index)
            throw ClangError(description: "libclang could not parse '\(path)' (error \(code.rawValue))")
        }
        return ClangTranslationUnit(index: index, raw: tu, mainFile: path)
    }

    /// Writes the unit as a precompiled header that `-include-pch path` reads; false on failure.
    func save(to path: String) -> Bool {
        clang_saveTranslationUnit(raw, path, clang_defaultSaveOptions(raw)) == 0
    }

    /// Every diagnostic, in the order clang reported them.
    var diagnostics: [ClangDiagnostic] {
        let set = clang_getDiagnosticSetFromTU(raw)
        defer { clang_disposeDiagnosticSet(set) }
        return Self.diagnostics(in: set)
    }

    private static func diagnostics(in set: CXDiagnosticSet?) -> [ClangDiagnostic] {
        guard let set else { return [] }
        var out: [ClangDiagnostic] = []
        for i in 0..<clang_getNumDiagnosticsInSet(set) {
            guard let d = clang_getDiagnosticInSet(set, i) else { continue }
            defer { clang_disposeDiagnostic(d) }
            let sev = ClangSeverity(rawValue: Int(clang_getDiagnosticSeverity(d).rawValue)) ?? .error
            let loc = ClangLocation(clang_getDiagnosticLocation(d))
            let msg = string(clang_getDiagnosticSpelling(d))
            let opt = string(clang_getDiagnosticOption(d, nil))
            // Child diagnostics belong to the parent diagnostic; they are not disposed separately.
            let children = diagnostics(in: clang_getChildDiagnostics(d))
            out.append(ClangDiagnostic(severity: sev, location: loc, message: msg, option: opt, notes: children))
        }
        return out
    }

    /// The translation unit's root cursor.
    var cursor: ClangCursor { ClangCursor(clang_getTranslationUnitCursor(raw), tu: self) }

    /// The bytes of a file of this translation unit (from memory when it was unsaved).
    func contents(of path: String) -> [UInt8]? {
        guard let f = clang_getFile(raw, path) else { return nil }
        var size = 0
        guard let p = clang_getFileContents(raw, f, &size) else { return nil }
        return p.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
    }

    /// The tokens of a whole file of this translation unit, lexed without preprocessing (so
    /// macro invocations appear as written, even inside code that `#if` removed).
    func tokens(ofFile path: String) -> [ClangToken] {
        guard let f = clang_getFile(raw, path) else { return [] }
        var size = 0
        _ = clang_getFileContents(raw, f, &size)
        let range = clang_getRange(clang_getLocationForOffset(raw, f, 0), clang_getLocationForOffset(raw, f, UInt32(size)))
        return tokens(in: range)
    }

    /// The tokens that cover `range`.
    func tokens(in range: CXSourceRange) -> [ClangToken] {
        var toks: UnsafeMutablePointer<CXToken>?
        var n: UInt32 = 0
        clang_tokenize(raw, range, &toks, &n)
        guard let toks else { return [] }
        defer { clang_disposeTokens(raw, toks, n) }
        return (0..<Int(n)).map { i in
            let t = toks[i]
            let kind: ClangToken.Kind
            switch clang_getTokenKind(t) {
            case CXToken_Punctuation: kind = .punctuation
            case CXToken_Keyword: kind = .keyword
            case CXToken_Identifier: kind = .identifier
            case CXToken_Literal: kind = .literal
            default: kind = .comment
            }
            let ext = clang_getTokenExtent(raw, t)
            return ClangToken(kind: kind, text: ClangTranslationUnit.string(clang_getTokenSpelling(raw, t)),
                              location: ClangLocation(clang_getRangeStart(ext)),
                              endOffset: ClangLocation(clang_getRangeEnd(ext)).offset)
        }
    }

    /// The source text of a range (one file), or the tokens joined by spaces when the file's
    /// bytes are not at hand.
    func text(of range: CXSourceRange) -> String {
        let s = ClangLocation(clang_getRangeStart(range)), e = ClangLocation(clang_getRangeEnd(range))
        if s.file == e.file, !s.isUnknown, let bytes = contents(of: s.file), s.offset <= e.offset, e.offset <= bytes.count {
            return String(decoding: bytes[s.offset..<e.offset], as: UTF8.self)
        }
        return tokens(in: range).map(\.text).joined(separator: " ")
    }

    static func string(_ s: CXString) -> String {
        defer { clang_disposeString(s) }
        guard let c = clang_getCString(s) else { return "" }
        return String(cString: c)
    }
}

/// One token as written in the source.
struct ClangToken: Sendable, CustomStringConvertible {
    enum Kind: Sendable { case punctuation, keyword, identifier, literal, comment }
    var kind: Kind
    var text: String
    var location: ClangLocation
    /// Byte offset just past the token.
    var endOffset: Int
    var description: String { text }
}

/// What `ClangCursor.visit` does after a cursor.
enum ClangVisit { case `break`, `continue`, recurse }

/// A node of the AST (or of the preprocessing record). Valid while its translation unit lives;
/// it keeps the unit alive.
struct ClangCursor {
    let raw: CXCursor
    let tu: ClangTranslationUnit

    init(_ raw: CXCursor, tu: ClangTranslationUnit) { self.raw = raw; self.tu = tu }

    var kind: CXCursorKind { clang_getCursorKind(raw) }
    var kindName: String { ClangTranslationUnit.string(clang_getCursorKindSpelling(kind)) }
    var isNull: Bool { clang_Cursor_isNull(raw) != 0 }
    /// The declared or referenced name.
    var spelling: String { ClangTranslationUnit.string(clang_getCursorSpelling(raw)) }
    var displayName: String { ClangTranslationUnit.string(clang_getCursorDisplayName(raw)) }
    var typeSpelling: String { ClangTranslationUnit.string(clang_getTypeSpelling(clang_getCursorType(raw))) }
    var type: CXType { clang_getCursorType(raw) }
    /// Where the cursor is (for a macro expansion result: where it was expanded).
    var location: ClangLocation { ClangLocation(clang_getCursorLocation(raw)) }
    var extent: CXSourceRange { clang_getCursorExtent(raw) }
    var range: ClangRange {
        let e = extent
        return ClangRange(start: ClangLocation(clang_getRangeStart(e)), end: ClangLocation(clang_getRangeEnd(e)))
    }
    /// True when the cursor is in the main file of its translation unit.
    var isInMainFile: Bool { clang_Location_isFromMainFile(clang_getCursorLocation(raw)) != 0 }
    var isDefinition: Bool { clang_isCursorDefinition(raw) != 0 }
    var isDeclaration: Bool { clang_isDeclaration(kind) != 0 }
    var isExpression: Bool { clang_isExpression(kind) != 0 }
    var referenced: ClangCursor { ClangCursor(clang_getCursorReferenced(raw), tu: tu) }
    var semanticParent: ClangCursor { ClangCursor(clang_getCursorSemanticParent(raw), tu: tu) }
    /// The value of an enum constant.
    var enumConstantValue: Int64 { clang_getEnumConstantDeclValue(raw) }
    /// The source text of the cursor's extent.
    var text: String { tu.text(of: extent) }
    /// The tokens of the cursor's extent.
    var tokens: [ClangToken] { tu.tokens(in: extent) }

    /// Visits the children; `body` returns whether to recurse into the child, continue with its
    /// siblings, or stop.
    func visit(_ body: (ClangCursor, _ parent: ClangCursor) -> ClangVisit) {
        typealias Body = (ClangCursor, ClangCursor) -> ClangVisit
        withoutActuallyEscaping(body) { escaping in
            var box: (Body, ClangTranslationUnit) = (escaping, tu)
            withUnsafeMutablePointer(to: &box) { ptr in
                _ = clang_visitChildren(raw, { c, p, data in
                    let box = data!.assumingMemoryBound(to: (Body, ClangTranslationUnit).self).pointee
                    switch box.0(ClangCursor(c, tu: box.1), ClangCursor(p, tu: box.1)) {
                    case .break: return CXChildVisit_Break
                    case .continue: return CXChildVisit_Continue
                    case .recurse: return CXChildVisit_Recurse
                    }
                }, UnsafeMutableRawPointer(ptr))
            }
        }
    }

    /// The direct children, in order.
    var children: [ClangCursor] {
        var out: [ClangCursor] = []
        visit { c, _ in out.append(c); return .continue }
        return out
    }

    /// Every descendant in pre-order.
    func forEachDescendant(_ body: (ClangCursor) -> Void) {
        visit { c, _ in body(c); return .recurse }
    }

    /// The integer value of an expression, or of a variable's initializer, when clang can
    /// evaluate it as a constant.
    var integerValue: Int64? {
        guard let r = clang_Cursor_Evaluate(raw) else { return nil }
        defer { clang_EvalResult_dispose(r) }
        guard clang_EvalResult_getKind(r) == CXEval_Int else { return nil }
        if clang_EvalResult_isUnsignedInt(r) != 0 { return Int64(bitPattern: UInt64(clang_EvalResult_getAsUnsigned(r))) }
        return clang_EvalResult_getAsLongLong(r)
    }

    /// The string value of a string literal expression.
    var stringValue: String? {
        guard let r = clang_Cursor_Evaluate(raw) else { return nil }
        defer { clang_EvalResult_dispose(r) }
        guard clang_EvalResult_getKind(r) == CXEval_StrLiteral, let s = clang_EvalResult_getAsStr(r) else { return nil }
        return String(cString: s)
    }
}

extension ClangLocation {
    /// The file location (after macro expansion) of a libclang location.
    init(_ loc: CXSourceLocation) {
        var file: CXFile?
        var line: UInt32 = 0, col: UInt32 = 0, off: UInt32 = 0
        clang_getExpansionLocation(loc, &file, &line, &col, &off)
        let name = file.map { ClangTranslationUnit.string(clang_getFileName($0)) } ?? ""
        self.init(file: name, line: Int(line), column: Int(col), offset: Int(off))
    }
}

/// Evaluates C integer constant expressions in the context of `prelude` (declarations and
/// macros), e.g. `KF_ACQUIRE | KF_RET_NULL` after `#include <linux/btf.h>`. Returns one value
/// per expression (nil where clang cannot evaluate it), plus clang's errors.
func evaluateIntegerExpressions(_ exprs: [String], prelude: String, arguments: [String] = [],
                                fileName: String = "kfpolicy-eval.c") throws -> (values: [Int64?], errors: [ClangDiagnostic]) {
    var src = prelude + "\n"
    for (i, e) in exprs.enumerated() {
        // A separate line per expression so an error points at exactly one of them.
        src += "static const long long __kfpolicy_eval_\(i) = (long long)(\(e));\n"
    }
    let tu = try ClangTranslationUnit.parse(fileName, arguments: arguments, unsaved: [(fileName, src)],
                                            options: [.keepGoing, .skipFunctionBodies, .incomplete])
    var values = [Int64?](repeating: nil, count: exprs.count)
    let prefix = "__kfpolicy_eval_"
    for c in tu.cursor.children where c.kind == CXCursor_VarDecl && c.isInMainFile {
        let name = c.spelling
        guard name.hasPrefix(prefix), let i = Int(name.dropFirst(prefix.count)), i < exprs.count else { continue }
        values[i] = c.integerValue
    }
    return (values, tu.diagnostics.filter { $0.severity >= .error })
}

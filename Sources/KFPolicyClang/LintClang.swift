// What kfpolicy lint needs from libclang beyond ClangSupport.swift: file locations that point
// into macro arguments, declarations printed with their attributes, linkage, canonical types and
// compilation databases.

internal import CLibClang
#if canImport(Glibc)
import Glibc
#endif

extension ClangCursor {
    /// Where the cursor's token was written: inside a macro argument when it came from one,
    /// else where the macro that produced it was expanded (libclang's file location).
    var fileLocation: ClangLocation { Self.fileLocation(clang_getCursorLocation(raw)) }

    var isAttribute: Bool { clang_isAttribute(kind) != 0 }
    var isFunctionDecl: Bool { kind == CXCursor_FunctionDecl }
    var isVarDecl: Bool { kind == CXCursor_VarDecl }
    var isCallExpr: Bool { kind == CXCursor_CallExpr }
    var isDeclRefExpr: Bool { kind == CXCursor_DeclRefExpr }
    var isMacroDefinition: Bool { kind == CXCursor_MacroDefinition }
    var isCompoundStmt: Bool { kind == CXCursor_CompoundStmt }
    var isInitListExpr: Bool { kind == CXCursor_InitListExpr }
    var isMemberRef: Bool { kind == CXCursor_MemberRef }
    var isFieldDecl: Bool { kind == CXCursor_FieldDecl }
    /// An expression node that only wraps another (implicit casts, parentheses, explicit casts).
    var isTransparentExpr: Bool {
        kind == CXCursor_UnexposedExpr || kind == CXCursor_ParenExpr || kind == CXCursor_CStyleCastExpr
    }
    var isUnaryOperator: Bool { kind == CXCursor_UnaryOperator }
    var isBinaryOperator: Bool { kind == CXCursor_BinaryOperator }
    var isConditionalOperator: Bool { kind == CXCursor_ConditionalOperator }
    var isConditionStatement: Bool { kind == CXCursor_IfStmt || kind == CXCursor_WhileStmt }
    /// sizeof/alignof and static assertions: code that is never run.
    var isUnevaluated: Bool { kind == CXCursor_UnaryExpr || kind == CXCursor_StaticAssert }
    var isIfStatement: Bool { kind == CXCursor_IfStmt }
    var isStatementExpression: Bool { kind == CXCursor_StmtExpr }
    var isParameter: Bool { kind == CXCursor_ParmDecl }
    var isCompoundAssignment: Bool { kind == CXCursor_CompoundAssignOperator }
    var isEnumConstant: Bool { kind == CXCursor_EnumConstantDecl }
    var isLiteral: Bool { kind == CXCursor_IntegerLiteral || kind == CXCursor_CharacterLiteral }
    /// `return`, `break` or `continue`: control does not reach the next statement.
    var leavesBlock: Bool { kind == CXCursor_ReturnStmt || kind == CXCursor_BreakStmt || kind == CXCursor_ContinueStmt }
    /// `(void)expr`.
    var isVoidCast: Bool { kind == CXCursor_CStyleCastExpr && clang_getCursorType(raw).kind == CXType_Void }

    /// True when both cursors denote the same entity.
    func same(as other: ClangCursor) -> Bool { clang_equalCursors(raw, other.raw) != 0 }

    /// The start and end of the cursor's extent as file locations (inside a macro argument where
    /// the text comes from one, else the macro's use).
    var fileExtent: (start: ClangLocation, end: ClangLocation) {
        let e = clang_getCursorExtent(raw)
        return (Self.fileLocation(clang_getRangeStart(e)), Self.fileLocation(clang_getRangeEnd(e)))
    }

    static func fileLocation(_ loc: CXSourceLocation) -> ClangLocation {
        var file: CXFile?
        var line: UInt32 = 0, col: UInt32 = 0, off: UInt32 = 0
        clang_getFileLocation(loc, &file, &line, &col, &off)
        let name = file.map { ClangTranslationUnit.string(clang_getFileName($0)) } ?? ""
        return ClangLocation(file: name, line: Int(line), column: Int(col), offset: Int(off))
    }

    /// True when the declaration has internal linkage (`static`).
    var hasInternalLinkage: Bool { clang_getCursorLinkage(raw) == CXLinkage_Internal }

    /// The type of the cursor after typedefs, as C spells it (`struct sched_ext_ops`).
    var canonicalTypeSpelling: String {
        ClangTranslationUnit.string(clang_getTypeSpelling(clang_getCanonicalType(clang_getCursorType(raw))))
    }

    /// True when the result type of an expression is an integer type (what `!f` and `f == 0`
    /// give for a function `f`, unlike `&f` or `*f`).
    var hasIntegerType: Bool {
        let k = clang_getCanonicalType(clang_getCursorType(raw)).kind
        return k == CXType_Int || k == CXType_Bool || k == CXType_UInt || k == CXType_Long || k == CXType_ULong
    }

    /// The names of the fields of the cursor's (struct) type, in declaration order.
    var fieldNames: [String] {
        let decl = ClangCursor(clang_getTypeDeclaration(clang_getCanonicalType(clang_getCursorType(raw))), tu: tu)
        if decl.isNull { return [] }
        return decl.children.filter(\.isFieldDecl).map(\.spelling)
    }

    /// The declaration printed as C with its attributes, without body or initializer.
    func declarationText(_ policy: ClangPrintingPolicy) -> String {
        ClangTranslationUnit.string(clang_getCursorPrettyPrinted(raw, policy.raw))
    }
}

/// A printing policy that prints declarations tersely (no bodies, no initializers).
final class ClangPrintingPolicy {
    let raw: CXPrintingPolicy
    init(_ tu: ClangTranslationUnit) {
        raw = clang_getCursorPrintingPolicy(clang_getTranslationUnitCursor(tu.raw))
        clang_PrintingPolicy_setProperty(raw, CXPrintingPolicy_TerseOutput, 1)
        clang_PrintingPolicy_setProperty(raw, CXPrintingPolicy_SuppressInitializers, 1)
        clang_PrintingPolicy_setProperty(raw, CXPrintingPolicy_PolishForDeclaration, 0)
    }
    deinit { clang_PrintingPolicy_dispose(raw) }
}

/// One entry of a compilation database: the file, the directory the command runs in, and the
/// compiler arguments that matter for parsing (no compiler path, input, output or dependency
/// file options).
public struct CompileCommand: Sendable, Equatable {
    public let file: String
    public let directory: String
    public let arguments: [String]
}

/// Why a compilation database could not be used.
public struct CompileCommandsError: Error, CustomStringConvertible, Sendable {
    public let description: String

    /// A path to some other file than compile_commands.json.
    static func misnamed(_ path: String) -> CompileCommandsError {
        CompileCommandsError(description: "\(path): a compilation database must be named compile_commands.json")
    }
}

/// Reads `compile_commands.json` (or the one in a directory) through libclang.
public func readCompileCommands(_ path: String) throws(CompileCommandsError) -> [CompileCommand] {
    var st = stat()
    guard stat(path, &st) == 0 else {
        throw CompileCommandsError(description: "\(path): \(String(cString: strerror(errno)))")
    }
    let dir: String
    if (st.st_mode & S_IFMT) == S_IFDIR { dir = path } else if let slash = path.lastIndex(of: "/") {
        dir = slash == path.startIndex ? "/" : String(path[..<slash])
        if !path.hasSuffix("/compile_commands.json") { throw .misnamed(path) }
    } else {
        dir = "."
        if path != "compile_commands.json" { throw .misnamed(path) }
    }
    var err = CXCompilationDatabase_NoError
    guard let db = clang_CompilationDatabase_fromDirectory(dir, &err), err == CXCompilationDatabase_NoError else {
        throw CompileCommandsError(description: "\(path): not a compilation database libclang can read")
    }
    defer { clang_CompilationDatabase_dispose(db) }
    guard let cmds = clang_CompilationDatabase_getAllCompileCommands(db) else { return [] }
    defer { clang_CompileCommands_dispose(cmds) }
    var out: [CompileCommand] = []
    for i in 0..<clang_CompileCommands_getSize(cmds) {
        let c = clang_CompileCommands_getCommand(cmds, i)
        let file = ClangTranslationUnit.string(clang_CompileCommand_getFilename(c))
        let directory = ClangTranslationUnit.string(clang_CompileCommand_getDirectory(c))
        let args = (0..<clang_CompileCommand_getNumArgs(c)).map {
            ClangTranslationUnit.string(clang_CompileCommand_getArg(c, $0))
        }
        out.append(CompileCommand(file: file, directory: directory, arguments: parsingArguments(args, file: file)))
    }
    return out
}

/// The arguments of a compile command that affect parsing: drops the compiler and the input
/// file, then what `parsingOptions` drops.
func parsingArguments(_ args: [String], file: String) -> [String] {
    parsingOptions(args.dropFirst().filter { a in
        a != file && a != lastPathComponent(file) && !a.hasSuffix("/" + lastPathComponent(file))
    })
}

/// Clang options as lint parses with them: without what writes files (`-c`, `-o FILE`,
/// dependency files: libclang would write them) and without what makes a compiler warning an
/// error (`-Werror`, `-Werror=...`, `-pedantic-errors`): a build's warnings are not lint's
/// findings, and as errors they would read as files that do not parse.
func parsingOptions(_ args: [String]) -> [String] {
    let withValue: Set<String> = ["-o", "-MF", "-MT", "-MQ"]
    let alone: Set<String> = ["-c", "-S", "-E", "-M", "-MM", "-MD", "-MMD", "-MP", "-MG", "-Werror",
                              "-pedantic-errors", "-Wfatal-errors"]
    var out: [String] = []
    var i = 0
    while i < args.count {
        let a = args[i]
        if withValue.contains(a) { i += 2; continue }
        let joined = (a.hasPrefix("-o") && a.count > 2 && !a.hasPrefix("-objc")) // -oFILE
            || (a.hasPrefix("-MF") || a.hasPrefix("-MT") || a.hasPrefix("-MQ")) && a.count > 3
            || a.hasPrefix("-Werror=")
        if alone.contains(a) || joined { i += 1; continue }
        out.append(a)
        i += 1
    }
    return out
}

func lastPathComponent(_ p: String) -> String {
    guard let s = p.lastIndex(of: "/") else { return p }
    return String(p[p.index(after: s)...])
}

/// A file a translation unit read.
struct ClangInclusion {
    let path: String
    /// 0 for the main file, 1 for a file it includes, and so on.
    let depth: Int
    /// Found in a system include directory.
    let isSystem: Bool
    /// Has an include guard or `#pragma once`: including it again changes nothing.
    let isGuarded: Bool
}

extension ClangTranslationUnit {
    /// The files the unit read, in the order clang reports them.
    func inclusions() -> [ClangInclusion] {
        var found: [(CXFile, Int)] = []
        withUnsafeMutablePointer(to: &found) { ptr in
            clang_getInclusions(raw, { file, _, depth, data in
                guard let file, let data else { return }
                data.assumingMemoryBound(to: [(CXFile, Int)].self).pointee.append((file, Int(depth)))
            }, UnsafeMutableRawPointer(ptr))
        }
        return found.map { f, depth in
            ClangInclusion(path: Self.string(clang_getFileName(f)), depth: depth,
                           isSystem: clang_Location_isInSystemHeader(clang_getLocationForOffset(raw, f, 0)) != 0,
                           isGuarded: clang_isFileMultipleIncludeGuarded(raw, f) != 0)
        }
    }
}

// Diagnostics as data: stable ids, severities, notes and hints. Renderers (KFPolicyRender) turn
// them into text or JSON.

public enum Severity: String, Sendable, Comparable {
    case note, warning, error
    var rank: Int { self == .error ? 2 : self == .warning ? 1 : 0 }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// Stable diagnostic identifiers. The raw value is printed and is part of the tool's interface:
/// never renumber; retire ids instead.
public enum DiagID: String, Sendable, CaseIterable {
    // Lexer and parser
    case invalidCharacter = "KFP001"
    case unterminatedString = "KFP002"
    case unterminatedComment = "KFP003"
    case expectedToken = "KFP004"
    case unexpectedToken = "KFP005"
    case invalidUTF8 = "KFP006"
    // Files and includes
    case includeNotFound = "KFP101"
    case includeCycle = "KFP102"
    case policyInInclude = "KFP103"
    case missingPolicy = "KFP104"
    case duplicatePolicy = "KFP105"
    case nestingTooDeep = "KFP106"
    case notAllowedInConditional = "KFP107"
    case badStatementValue = "KFP108"
    case formMismatch = "KFP109"
    // Names
    case unknownName = "KFP201"
    case duplicateName = "KFP202"
    case wrongKind = "KFP203"
    case unknownFlag = "KFP204"
    case unknownProgType = "KFP205"
    case reservedName = "KFP206"
    // Masks and contexts
    case emptyMask = "KFP301"
    case tooManyContexts = "KFP302"
    case groupCycle = "KFP303"
    case duplicateMember = "KFP304"
    // Kfuncs
    case kfuncNotInSet = "KFP401"
    case kfuncNoCallback = "KFP402"
    case sleepableInNonSleepable = "KFP403"
    case duplicateStatement = "KFP404"
    case implNotAllowed = "KFP405"
    case duplicateImpl = "KFP406"
    case emptySet = "KFP407"
    case flagsConflict = "KFP408"
    case kernelLimit = "KFP409"
    case moduleSetsPerHook = "KFP410"
    case externalMixed = "KFP411"
    case renameCollision = "KFP412"
    // Nesting
    case nestingCycle = "KFP501"
    case selfNest = "KFP502"
    case nestingCycleChecked = "KFP503"
    // Warnings
    case unusedContext = "KFP601"
    case unusedGroup = "KFP602"
    case unusedRequirement = "KFP603"
    case callbackNoContext = "KFP604"
    // kfpolicy lint: BPF C programs checked against a policy (LintCorpusTests exercises them)
    case lintKfuncNotAllowed = "KFP701"
    case lintSleepableProgram = "KFP702"
    case lintSleepableKfunc = "KFP703"
    case lintUnknownKfunc = "KFP704"
    case lintAddressTaken = "KFP705"
    case lintUnresolvedCall = "KFP706"
    case lintUnboundProgram = "KFP707"
    case lintUnknownMember = "KFP708"
    case lintClangError = "KFP709"
    case lintNothingChecked = "KFP710"
    case lintUnusedSuppression = "KFP711"
    case lintSuppressionWithoutReason = "KFP712"
    // A policy compared with kernel sources (check --kernel-src, import)
    case kernelStructNotFound = "KFP801"
    case kernelCallbackNotMember = "KFP802"
    case kernelMemberNotInPolicy = "KFP803"
    case kernelKfuncNotFound = "KFP804"
    case kernelFlagsDiffer = "KFP805"
    case kernelSetDiffers = "KFP806"
    case kernelSetNotFound = "KFP807"
    case kernelProgTypesDiffer = "KFP808"
    case importNotInferred = "KFP850"
    // Generated C checked with libclang against the model (an error is a bug of kfpolicy)
    case generatedCError = "KFP901"
    case generatedCMismatch = "KFP902"
    case generatedCWarning = "KFP903"
}

extension DiagID {
    /// Ids that come from comparing a policy with C code (kernel sources, generated headers)
    /// rather than from a policy alone; KernelSourceTests, ImportTests and ValidateTests
    /// exercise them, not the invalid-policy corpus.
    public static let fromCCode: Set<DiagID> = [
        .kernelStructNotFound, .kernelCallbackNotMember, .kernelMemberNotInPolicy, .kernelKfuncNotFound,
        .kernelFlagsDiffer, .kernelSetDiffers, .kernelSetNotFound, .kernelProgTypesDiffer, .importNotInferred,
        .generatedCError, .generatedCMismatch, .generatedCWarning,
        .lintKfuncNotAllowed, .lintSleepableProgram, .lintSleepableKfunc, .lintUnknownKfunc, .lintAddressTaken,
        .lintUnresolvedCall, .lintUnboundProgram, .lintUnknownMember, .lintClangError, .lintNothingChecked,
        .lintUnusedSuppression, .lintSuppressionWithoutReason,
    ]
}

/// A secondary message attached to a diagnostic, usually pointing at a related declaration.
public struct DiagnosticNote: Sendable {
    public let message: String
    public let range: SourceRange
    public init(_ message: String, at range: SourceRange) { self.message = message; self.range = range }
}

/// One finding, as data: renderers turn it into text or JSON.
public struct Diagnostic: Sendable {
    public let id: DiagID
    public let severity: Severity
    public let message: String
    public let range: SourceRange
    public var notes: [DiagnosticNote]
    /// A suggestion such as "did you mean 'dispatch'?".
    public var hint: String?

    public init(_ severity: Severity, _ id: DiagID, _ message: String, at range: SourceRange,
                notes: [DiagnosticNote] = [], hint: String? = nil) {
        self.id = id; self.severity = severity; self.message = message
        self.range = range; self.notes = notes; self.hint = hint
    }
}

/// Collects diagnostics in the order they are found. It keeps the first `storedLimit` and only
/// counts the rest, so a 10 MB file of junk (two million errors) stays in bounded memory.
public struct DiagnosticBag: Sendable {
    public static let storedLimit = 10_000
    public private(set) var items: [Diagnostic] = []
    /// Diagnostics found past `storedLimit`: counted, not kept.
    public private(set) var droppedErrors = 0
    public private(set) var droppedWarnings = 0
    public init() {}
    public mutating func add(_ d: Diagnostic) {
        guard items.count < DiagnosticBag.storedLimit else {
            if d.severity == .error { droppedErrors += 1 } else { droppedWarnings += 1 }
            return
        }
        items.append(d)
    }
    public mutating func error(_ id: DiagID, _ message: String, at range: SourceRange,
                               notes: [DiagnosticNote] = [], hint: String? = nil) {
        add(Diagnostic(.error, id, message, at: range, notes: notes, hint: hint))
    }
    public mutating func warning(_ id: DiagID, _ message: String, at range: SourceRange,
                                 notes: [DiagnosticNote] = [], hint: String? = nil) {
        add(Diagnostic(.warning, id, message, at: range, notes: notes, hint: hint))
    }
    public mutating func append(contentsOf other: DiagnosticBag) {
        for d in other.items { add(d) }
        droppedErrors += other.droppedErrors
        droppedWarnings += other.droppedWarnings
    }
    /// The same diagnostics, with the errors of `ids` reported as warnings.
    public func downgrading(_ ids: Set<DiagID>) -> DiagnosticBag {
        var b = self
        b.items = items.map { d in
            guard d.severity == .error, ids.contains(d.id) else { return d }
            return Diagnostic(.warning, d.id, d.message, at: d.range, notes: d.notes, hint: d.hint)
        }
        return b
    }
    public var hasErrors: Bool { droppedErrors > 0 || items.contains { $0.severity == .error } }
    public var errorCount: Int { items.filter { $0.severity == .error }.count + droppedErrors }
    public var warningCount: Int { items.filter { $0.severity == .warning }.count + droppedWarnings }

    /// Diagnostics in source order (file, offset), errors before warnings at one spot.
    public var sorted: [Diagnostic] {
        items.enumerated().sorted { a, b in
            let x = a.element.range, y = b.element.range
            if x.file != y.file { return x.file < y.file }
            if x.start != y.start { return x.start < y.start }
            return a.offset < b.offset
        }.map(\.element)
    }
}

// The checker: resolves names, evaluates masks, builds the model and proves the nesting graph
// is a DAG. It reports every problem it finds and never stops at the first. Once a declaration
// is known to be broken (a syntax error, an unknown name in its mask), its name is "poisoned":
// later phases stay silent about it, so the user sees the root cause and no cascade.
//
// The passes, in order: policy statements (Checker+Statements), contexts, groups and masks
// (Checker+Masks), callbacks, requirements, sets and nests (Checker+Declarations), kfuncs
// (Checker+Kfuncs), then the rules over the whole model (Checker+Rules).

/// C keywords and names that would break generated C or Swift if used as identifiers.
let reservedIdentifiers: Set<String> = [
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary", "bool", "true", "false", "asm", "typeof",
    "alignas", "alignof", "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert",
    "_Thread_local", "static_assert", "thread_local", "nullptr", "constexpr",
]

/// What a mask atom names: contexts and groups share one namespace.
enum Atom { case context(Int), group }

struct Checker {
    let sources: SourceManager
    var diagnostics = DiagnosticBag()
    var policy = Policy()

    // Name tables, filled as declarations are read.
    var atoms: [String: Atom] = [:]
    var setIndex: [String: Int] = [:]
    var requirementIndex: [String: Int] = [:]
    /// Every callback and kfunc name, known before masks are evaluated (for wrong-kind messages).
    var callbackNames = Set<String>()
    var kfuncNames = Set<String>()
    /// `deny set` statements, resolved once every set is declared.
    var deniedSets: [(name: Name, range: SourceRange)] = []
    /// Names whose declaration is broken: references to them are not reported again.
    var poisoned = Set<String>()

    // Groups: syntax by name and values once evaluated.
    var groupSyntax: [String: (name: Name, expr: MaskExpr, doc: String?)] = [:]
    var groupValue: [String: ContextMask] = [:]

    // What masks and kfuncs use, for the unused-declaration warnings.
    var usedContexts: UInt32 = 0
    var usedGroups = Set<String>()
    var usedRequirements = Set<Int>()

    /// Kfuncs whose facts are incomplete because an error was reported in their declaration:
    /// the rules over the whole model skip them.
    var incompleteKfuncs = Set<Int>()

    /// Edit-distance work left for "did you mean" suggestions: many unknown names against many
    /// declared names must not make checking quadratic. Suggestions stop when it runs out.
    var suggestionWork = 20_000_000

    init(sources: SourceManager) { self.sources = sources }

    /// Checks the declarations of a policy and its includes. `brokenPolicy`: the root file's
    /// `policy` line did not parse (reported already).
    mutating func check(_ decls: [Declaration], rootFile: Int, brokenPolicy: Bool) -> Policy {
        for d in decls {
            switch d.item.kind {
            case .callback(let ns, _, _): for n in ns { callbackNames.insert(n.text) }
            case .kfunc(let n, _, _): kfuncNames.insert(n.text)
            case .broken(let n?): poisoned.insert(n.text)
            default: break
            }
        }
        declareStatements(decls, rootFile: rootFile, brokenPolicy: brokenPolicy)
        declareContextsAndGroups(decls)
        declareCallbacks(decls)
        declareRequirementsAndSets(decls)
        declareKfuncs(decls)
        declareNests(decls)
        checkKernelLimits()
        checkModuleSets()
        checkGeneratedNames()
        checkKfuncRules()
        checkNestingGraph()
        warnUnused()
        return policy
    }

    // MARK: - Reporting

    mutating func reportDuplicate(_ kind: String, _ n: Name, previous: SourceRange) {
        diagnostics.error(.duplicateName, "duplicate \(kind) '\(n.text)'", at: n.range,
                          notes: [DiagnosticNote("'\(n.text)' first declared here", at: previous)],
                          hint: "remove one declaration or rename it")
    }

    /// A name given twice in one list (`in a, a;`).
    mutating func reportListedTwice(_ kind: String, _ n: Name) {
        diagnostics.error(.duplicateMember, "\(kind) '\(n.text)' listed twice", at: n.range)
    }

    mutating func checkIdentifier(_ n: Name, _ kind: String) {
        if reservedIdentifiers.contains(n.text) || n.text == "any" || n.text == "none" {
            diagnostics.error(.reservedName, "'\(n.text)' is reserved and cannot name a \(kind)", at: n.range,
                              hint: "choose another name; '\(n.text)' is a keyword of C or of the policy language")
        }
    }

    /// Reports a reference to an undeclared name, unless its declaration is broken (reported).
    mutating func unknown(_ kind: String, _ n: Name, candidates: some Sequence<String>, extraHint: String? = nil) {
        if poisoned.contains(n.text) { return }
        if kind == "callback", kfuncNames.contains(n.text) {
            diagnostics.error(.wrongKind, "'\(n.text)' is a kfunc, not a callback", at: n.range,
                              hint: "name a member of struct \(policy.structName)")
            return
        }
        let s = suggestionWork > 0 ? closest(to: n.text, in: candidates, work: &suggestionWork) : nil
        diagnostics.error(.unknownName, "unknown \(kind) '\(n.text)'", at: n.range,
                          hint: s.map { "did you mean '\($0)'?" } ?? extraHint)
    }

    /// A long path in a message keeps its first and last steps: a cycle through 100 000
    /// declarations must not make a megabyte message.
    func elided(_ path: [String]) -> [String] {
        path.count <= 12 ? path : Array(path.prefix(6)) + ["... (\(path.count - 11) more)"] + Array(path.suffix(5))
    }

    /// Whether `n` may be declared as a `kind` that no Kconfig option can remove (a context, a
    /// group, a requirement): not inside an `if` block (reported; the name is poisoned). The
    /// name is checked too.
    mutating func declaresUnconditionally(_ d: Declaration, _ n: Name, as kind: String) -> Bool {
        guard unconditional(d) else { poisoned.insert(n.text); return false }
        checkIdentifier(n, kind)
        return true
    }

    /// A declaration that may not sit in an `if` block (contexts, groups, policy statements).
    mutating func unconditional(_ d: Declaration) -> Bool {
        guard !d.condition.isEmpty else { return true }
        diagnostics.error(.notAllowedInConditional, "'\(d.item.keyword.text)' inside an 'if' block",
                          at: d.item.keyword.range,
                          hint: "only callbacks, sets, kfuncs and nests depend on Kconfig options")
        return false
    }
}

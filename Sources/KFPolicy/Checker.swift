// The checker: resolves names, evaluates masks, builds the model and proves the nesting graph
// is a DAG. It reports every problem it finds and never stops at the first.

/// C keywords and names that would break generated C or Swift if used as identifiers.
let reservedIdentifiers: Set<String> = [
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary", "bool", "true", "false", "asm", "typeof",
    "alignas", "alignof", "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert",
    "_Thread_local", "static_assert", "thread_local", "nullptr", "constexpr",
]

struct Checker {
    let sources: SourceManager
    var diagnostics = DiagnosticBag()
    var policy = Policy()

    /// Contexts and groups share one namespace: both are mask atoms.
    enum Atom { case context(Int), group(Int) }
    var atoms: [String: Atom] = [:]
    var setIndex: [String: Int] = [:]
    var requirementIndex: [String: Int] = [:]
    /// Bit i set: context i is used by some mask (a policy has at most 31 contexts).
    var usedContexts: UInt32 = 0
    var usedRequirements = Set<Int>()
    /// Groups: syntax by name, evaluation state.
    var groupSyntax: [String: (item: Item, expr: MaskExpr)] = [:]
    var groupValue: [String: ContextMask] = [:]

    init(sources: SourceManager) { self.sources = sources }

    // MARK: - Entry

    mutating func check(items: ItemList, rootFile: Int) -> Policy {
        self.items = items
        declarePolicy(items, rootFile: rootFile)
        declareContextsAndGroups(items)
        declareCallbacks(items)
        policy.callbackIndex = Dictionary(policy.callbacks.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        declareRequirementsAndSets(items)
        declareKfuncs(items)
        declareNests(items)
        checkKernelLimits()
        if policy.kfuncs.count < parallelMinimumKfuncs {
            checkMangledNames()
            checkKfuncSemantics()
            checkNestingGraph()
        } else {
            // These checks only read the model and report. For a large policy the name checks
            // run on a second thread beside the semantic and nesting checks, each reporting
            // into its own diagnostics, appended in the order one thread reports them.
            var copy = self
            copy.diagnostics = DiagnosticBag()
            let (names, rest) = inParallel({
                var c = copy
                c.checkMangledNames()
                return c.diagnostics
            }, {
                var c = copy
                c.checkKfuncSemantics()
                c.checkNestingGraph()
                return c.diagnostics
            })
            diagnostics.append(contentsOf: names)
            diagnostics.append(contentsOf: rest)
        }
        warnUnused()
        return policy
    }


    // MARK: - Names

    mutating func reportDuplicate(_ kind: String, _ n: Name, previous: SourceRange) {
        diagnostics.error(.duplicateName, "duplicate \(kind) '\(n.text)'", at: n.range,
                          notes: [DiagnosticNote("'\(n.text)' first declared here", at: previous)],
                          hint: "remove one declaration or rename it")
    }

    mutating func checkIdentifier(_ n: Name, _ kind: String) {
        if reservedIdentifiers.contains(n.text) || n.text == "any" || n.text == "none" {
            diagnostics.error(.reservedName, "'\(n.text)' is reserved and cannot name a \(kind)", at: n.range,
                              hint: "choose another name; '\(n.text)' is a keyword of C or of the policy language")
        }
    }

    /// Edit-distance work left for "did you mean" suggestions: many unknown names against many
    /// declared names must not make checking quadratic. Suggestions stop when it runs out.
    var suggestionWork = 20_000_000

    mutating func unknown(_ kind: String, _ n: Name, candidates: some Sequence<String>, extraHint: String? = nil) {
        if kind == "callback", isKfuncName(n.text) {
            diagnostics.error(.wrongKind, "'\(n.text)' is a kfunc, not a callback", at: n.range,
                              hint: "name a member of struct \(policy.structName)")
            return
        }
        let s = suggestionWork > 0 ? closest(to: n.text, in: candidates, work: &suggestionWork) : nil
        diagnostics.error(.unknownName, "unknown \(kind) '\(n.text)'", at: n.range,
                          hint: s.map { "did you mean '\($0)'?" } ?? extraHint)
    }

    // MARK: - Declarations

    mutating func declarePolicy(_ items: ItemList, rootFile: Int) {
        var seen: SourceRange?
        var prefixSeen: SourceRange?
        for j in items.indices {
            switch items[j].kind {
            case .policy(let name, let structName):
                if items[j].range.file != rootFile {
                    diagnostics.error(.policyInInclude, "'policy' declared in an included file", at: items[j].keyword.range,
                                      hint: "only the file given on the command line names the policy; included files hold shared declarations")
                    continue
                }
                if let prev = seen {
                    diagnostics.error(.duplicatePolicy, "second 'policy' declaration", at: items[j].keyword.range,
                                      notes: [DiagnosticNote("first declared here", at: prev)])
                    continue
                }
                seen = items[j].range
                policy.name = name.text
                policy.structName = structName.text
                policy.doc = items[j].trivia.doc
                policy.range = items[j].range
                checkIdentifier(name, "policy")
            case .prefix(let p):
                if let prev = prefixSeen {
                    diagnostics.error(.duplicateStatement, "second 'prefix' declaration", at: items[j].keyword.range,
                                      notes: [DiagnosticNote("first declared here", at: prev)])
                    continue
                }
                prefixSeen = items[j].range
                policy.prefix = p.text
            default: break
            }
        }
        if seen == nil {
            let r = SourceRange(file: rootFile, start: 0, end: 0)
            diagnostics.error(.missingPolicy, "file declares no policy", at: r,
                              hint: "start the file with 'policy NAME for struct STRUCT;'")
        }
        if policy.prefix.isEmpty { policy.prefix = policy.name }
    }

    mutating func declareContextsAndGroups(_ items: ItemList) {
        for j in items.indices { if case .callback(let ns, _, _) = items[j].kind { for n in ns { callbackNames.insert(n.text) } } }
        for j in items.indices {
            switch items[j].kind {
            case .context(let n):
                checkIdentifier(n, "context")
                if let prev = atomRange(n.text) { reportDuplicate("context", n, previous: prev); continue }
                if policy.contexts.count >= 31 {
                    diagnostics.error(.tooManyContexts, "too many contexts: '\(n.text)' would be the 32nd",
                                      at: n.range, hint: "a policy holds at most 31 contexts (bit 31 of a context word is reserved); merge contexts or use groups")
                    continue
                }
                atoms[n.text] = .context(policy.contexts.count)
                policy.contexts.append(Context(name: n.text, doc: items[j].trivia.doc, range: n.range))
            case .group(let n, let e):
                checkIdentifier(n, "group")
                if let prev = atomRange(n.text) { reportDuplicate("group", n, previous: prev); continue }
                atoms[n.text] = .group(-1)
                groupSyntax[n.text] = (items[j], e)
            default: break
            }
        }
        // Evaluate groups in declaration order; a reference to a later group evaluates it first.
        for j in items.indices {
            guard case .group(let n, _) = items[j].kind, let syn = groupSyntax[n.text], syn.item.range == items[j].range else { continue }
            let m = evaluateGroup(n.text)
            atoms[n.text] = .group(policy.groups.count)
            policy.groups.append(Group(name: n.text, mask: m, doc: items[j].trivia.doc, range: n.range))
        }
    }

    func atomRange(_ name: String) -> SourceRange? {
        switch atoms[name] {
        case .context(let i): return policy.contexts[i].range
        case .group: return groupSyntax[name].map { group in
            if case .group(let n, _) = group.item.kind { return n.range }
            return group.item.range
        }
        case nil: return nil
        }
    }

    /// Evaluates a group after the groups it uses, depth first with an explicit stack, so that
    /// a chain of any length, declared in any order, cannot exhaust the call stack.
    mutating func evaluateGroup(_ root: String) -> ContextMask {
        if let v = groupValue[root] { return v }
        guard let rootSyntax = groupSyntax[root] else { return .empty }
        var stack: [(name: String, uses: [String], next: Int)] = [(root, groupsUsed(by: rootSyntax.expr), 0)]
        var onStack: [String: Int] = [root: 0]
        while let top = stack.last {
            if top.next < top.uses.count {
                let name = top.uses[top.next]
                stack[stack.count - 1].next += 1
                guard groupValue[name] == nil, let syn = groupSyntax[name] else { continue }
                if let at = onStack[name] {
                    let path = stack[at...].map(\.name) + [name]
                    diagnostics.error(.groupCycle, "group '\(name)' is defined in terms of itself: \(elided(path).joined(separator: " -> "))",
                                      at: syn.expr.range, hint: "a group may only use contexts and other groups that do not use it")
                    groupValue[name] = .empty
                    brokenGroups.formUnion(path)
                    continue
                }
                onStack[name] = stack.count
                stack.append((name, groupsUsed(by: syn.expr), 0))
            } else {
                stack.removeLast()
                onStack[top.name] = nil
                // Every group it uses has a value now, so this evaluation does not recurse.
                groupValue[top.name] = evaluateMask(groupSyntax[top.name]!.expr, what: "group '\(top.name)'")
            }
        }
        return groupValue[root] ?? .empty
    }

    /// A long path in a message keeps its first and last steps: a cycle through 100 000
    /// declarations must not make a megabyte message.
    func elided(_ path: [String]) -> [String] {
        path.count <= 12 ? path : Array(path.prefix(6)) + ["... (\(path.count - 11) more)"] + Array(path.suffix(5))
    }

    /// The groups a mask names, in the order `eval` reaches them.
    func groupsUsed(by e: MaskExpr) -> [String] {
        var out: [String] = []
        func walk(_ e: MaskExpr) {
            switch e {
            case .name(let n): if case .group = atoms[n.text] { out.append(n.text) }
            case .any, .none: break
            case .complement(let x, _), .paren(let x, _): walk(x)
            case .union(let xs): for x in xs { walk(x) }
            case .chain(let x, let rest): walk(x); for r in rest { walk(r.rhs) }
            }
        }
        walk(e)
        return out
    }

    /// Evaluates a mask; reports unknown names and masks that come out empty without saying
    /// `none`.
    mutating func evaluateMask(_ e: MaskExpr, what: @autoclosure () -> String) -> ContextMask {
        let saved = evalSawUnknown
        evalSawUnknown = false
        defer { evalSawUnknown = saved }
        let m = eval(e)
        let unknownName = evalSawUnknown
        if unknownName { brokenMasks.insert(e.range) }
        if m.isEmpty, !isLiteralNone(e), !unknownName {
            diagnostics.error(.emptyMask, "the mask of \(what()) is empty: '\(text(of: e))' selects no context",
                              at: e.range, hint: "the terms contradict each other; write 'none' if no context is meant")
        }
        return m
    }

    func isLiteralNone(_ e: MaskExpr) -> Bool {
        if case .none = e { return true }
        if case .paren(let x, _) = e { return isLiteralNone(x) }
        return false
    }

    func text(of e: MaskExpr) -> String {
        guard let f = sources.file(e.range) else { return "" }
        return String(decoding: f.text[e.range.start..<e.range.end], as: UTF8.self)
    }

    mutating func eval(_ e: MaskExpr) -> ContextMask {
        switch e {
        case .name(let n):
            switch atoms[n.text] {
            case .context(let i): usedContexts |= 1 << UInt32(i); return .bit(i)
            case .group:
                usedGroupNames.insert(n.text)
                let m = evaluateGroup(n.text)
                if !brokenGroups.isEmpty, brokenGroups.contains(n.text) { evalSawUnknown = true }
                return m
            case nil:
                evalSawUnknown = true
                if callbackNames.contains(n.text) {
                    diagnostics.error(.wrongKind, "'\(n.text)' is a callback, not a context or group", at: n.range,
                                      hint: "a mask names contexts; write the contexts ops.\(n.text) runs in")
                } else {
                    unknown("context or group", n, candidates: atoms.keys)
                }
                return .empty
            }
        case .any: return policy.allContexts
        case .none: return .empty
        case .complement(let x, _): return policy.allContexts.subtracting(eval(x))
        case .paren(let x, _): return eval(x)
        case .union(let xs):
            var m = ContextMask.empty
            for x in xs { m = m.union(eval(x)) }
            return m
        case .chain(let x, let rest):
            var m = eval(x)
            for (op, rhs) in rest { m = op == .and ? m.intersection(eval(rhs)) : m.subtracting(eval(rhs)) }
            return m
        }
    }
    var usedGroupNames = Set<String>()
    /// Set by `eval` when a mask names something unknown or a group defined through itself.
    var evalSawUnknown = false
    /// Every callback name, known before masks are evaluated (for wrong-kind messages).
    var callbackNames = Set<String>()
    /// Every kfunc name, for wrong-kind messages; built only when such a message may be due.
    var kfuncNames: Set<String>?
    /// The items being checked (for `isKfuncName`).
    var items = ItemList()

    mutating func isKfuncName(_ name: String) -> Bool {
        if kfuncNames == nil {
            var names = Set<String>()
            for j in items.indices { if case .kfunc(let n, _, _) = items[j].kind { names.insert(n.text) } }
            kfuncNames = names
        }
        return kfuncNames!.contains(name)
    }
    /// Kfuncs whose block had a syntax error: their semantic checks would repeat it.
    var damagedKfuncs = Set<String>()
    /// Groups defined through themselves: masks using them are already reported.
    var brokenGroups = Set<String>()
    /// Masks that named something unknown: already reported, so no follow-on errors.
    var brokenMasks = Set<SourceRange>()

    mutating func declareCallbacks(_ items: ItemList) {
        var seen: [String: SourceRange] = [:]
        for j in items.indices {
            guard case .callback(let names, let expr, let props) = items[j].kind else { continue }
            let m = evaluateMask(expr, what: "callback '\(names[0].text)'")
            if m.isEmpty, isLiteralNone(expr) {
                diagnostics.error(.callbackNoContext, "callback '\(names[0].text)' runs in no context", at: expr.range,
                                  hint: "name the contexts the kernel sets while it runs the callback")
            }
            var sleepable = false
            for p in props {
                if p.text == "sleepable" {
                    if sleepable { diagnostics.error(.duplicateStatement, "'sleepable' given twice", at: p.range) }
                    sleepable = true
                } else {
                    diagnostics.error(.unexpectedToken, "unknown callback property '\(p.text)'", at: p.range,
                                      hint: closest(to: p.text, in: ["sleepable"]).map { "did you mean '\($0)'?" }
                                        ?? "the only property is 'sleepable'; separate callback names with ','")
                }
            }
            for n in names {
                checkIdentifier(n, "callback")
                if let prev = seen[n.text] { reportDuplicate("callback", n, previous: prev); continue }
                seen[n.text] = n.range
                policy.callbacks.append(Callback(name: n.text, contexts: m, sleepable: sleepable, doc: items[j].trivia.doc,
                                                 range: n.range, maskRange: expr.range))
            }
        }
    }

    mutating func declareRequirementsAndSets(_ items: ItemList) {
        for j in items.indices {
            switch items[j].kind {
            case .requirement(let n):
                checkIdentifier(n, "requirement")
                if n.text == "sleepable" {
                    diagnostics.error(.reservedName, "'sleepable' is a built-in requirement and cannot be redeclared", at: n.range)
                    continue
                }
                if let prev = requirementIndex[n.text] { reportDuplicate("requirement", n, previous: policy.requirements[prev].range); continue }
                requirementIndex[n.text] = policy.requirements.count
                policy.requirements.append(Requirement(name: n.text, doc: items[j].trivia.doc, range: n.range))
            case .set(let n, let types):
                checkIdentifier(n, "set")
                if let prev = setIndex[n.text] { reportDuplicate("set", n, previous: policy.sets[prev].range); continue }
                var pts: [ProgType] = []
                var seenTypes: [ProgType: SourceRange] = [:]
                for t in types {
                    guard let pt = ProgType(rawValue: t.text) else {
                        let s = closest(to: t.text, in: ProgType.allCases.map(\.rawValue))
                        diagnostics.error(.unknownProgType, "unknown program type '\(t.text)'", at: t.range,
                                          hint: s.map { "did you mean '\($0)'?" } ?? "one of: " + ProgType.allCases.map(\.rawValue).joined(separator: ", "))
                        continue
                    }
                    if let prev = seenTypes[pt] {
                        diagnostics.error(.duplicateMember, "program type '\(t.text)' listed twice", at: t.range,
                                          notes: [DiagnosticNote("first listed here", at: prev)])
                        continue
                    }
                    seenTypes[pt] = t.range
                    pts.append(pt)
                }
                setIndex[n.text] = policy.sets.count
                policy.sets.append(KfuncSet(name: n.text, progTypes: pts, doc: items[j].trivia.doc, range: n.range))
            default: break
            }
        }
    }

    mutating func declareKfuncs(_ items: ItemList) {
        // Each name to its index in policy.kfuncs: the duplicate check builds the model's index.
        var seen: [String: Int] = [:]
        var count = 0
        for j in items.indices { if case .kfunc = items[j].kind { count += 1 } }
        seen.reserveCapacity(count)
        policy.kfuncs.reserveCapacity(count)
        defer { policy.kfuncIndex = seen }
        for j in items.indices {
            guard case .kfunc(let n, let stmts, _) = items[j].kind else { continue }
            checkIdentifier(n, "kfunc")
            if let prev = seen[n.text] { reportDuplicate("kfunc", n, previous: policy.kfuncs[prev].range); continue }
            seen[n.text] = policy.kfuncs.count
            // Where the first statement of each kind is (none allocated per kfunc).
            var first = FirstStatements()
            var sets: [Int] = [], setsRange = n.range
            var flags: [KFFlag] = [], flagsRange = n.range
            var mask = ContextMask.empty, maskRange = n.range
            var requires: [String] = [], requiresRange = n.range
            var invokes: [Int] = [], invokesRange = n.range
            var impls: [Implementation] = []
            var implFor: [Int: SourceRange] = [:]
            for s in stmts {
                if let slot = FirstStatements.slot(s.kind) {
                    if let prev = first[slot] {
                        let key = s.keyword.text
                        diagnostics.error(.duplicateStatement, "'\(key)' given twice for kfunc '\(n.text)'", at: s.keyword.range,
                                          notes: [DiagnosticNote("first given here", at: prev)],
                                          hint: "merge them into one '\(key)' statement")
                        continue
                    }
                    first[slot] = s.keyword.range
                }
                switch s.kind {
                case .sets(let names):
                    setsRange = s.range
                    for sn in names {
                        guard let i = setIndex[sn.text] else { unknown("set", sn, candidates: setIndex.keys, extraHint: "declare it with 'set \(sn.text): struct_ops;'"); continue }
                        if sets.contains(i) { diagnostics.error(.duplicateMember, "set '\(sn.text)' listed twice", at: sn.range); continue }
                        sets.append(i)
                    }
                case .flags(let names):
                    flagsRange = s.range
                    for fname in names {
                        guard let f = KFFlag.named[fname.text] else {
                            let sug = closest(to: fname.text, in: KFFlag.allCases.map(\.rawValue))
                                ?? closest(to: "KF_" + fname.text, in: KFFlag.allCases.map(\.rawValue))
                            diagnostics.error(.unknownFlag, "unknown kfunc flag '\(fname.text)'", at: fname.range,
                                              hint: sug.map { "did you mean '\($0)'?" } ?? "flags are the kernel's KF_ names, e.g. KF_RCU | KF_ACQUIRE")
                            continue
                        }
                        if flags.contains(f) { diagnostics.error(.duplicateMember, "flag '\(fname.text)' listed twice", at: fname.range); continue }
                        flags.append(f)
                    }
                    if flags.contains(.KF_ACQUIRE) && flags.contains(.KF_RELEASE) {
                        diagnostics.error(.flagsConflict, "kfunc '\(n.text)' is both KF_ACQUIRE and KF_RELEASE", at: s.range,
                                          hint: "a kfunc either returns a reference or releases one")
                    }
                case .allow(let e):
                    maskRange = e.range
                    mask = evaluateMask(e, what: "kfunc '\(n.text)'")
                case .requires(let names):
                    requiresRange = s.range
                    for r in names {
                        if r.text == "sleepable" { requires.append(r.text); continue }
                        guard let i = requirementIndex[r.text] else {
                            unknown("requirement", r, candidates: [AnySequence(requirementIndex.keys), AnySequence(["sleepable"])].joined(),
                                    extraHint: "declare it with 'requirement \(r.text);'")
                            continue
                        }
                        usedRequirements.insert(i)
                        requires.append(r.text)
                    }
                case .invokes(let names):
                    invokesRange = s.range
                    for c in names {
                        guard let i = policy.callback(named: c.text) else {
                            unknown("callback", c, candidates: policy.callbacks.lazy.map(\.name)); continue
                        }
                        if invokes.contains(i) { diagnostics.error(.duplicateMember, "callback '\(c.text)' listed twice", at: c.range); continue }
                        invokes.append(i)
                    }
                case .impl(let cbs, let sym):
                    var idx: [Int] = []
                    for c in cbs {
                        guard let i = policy.callback(named: c.text) else {
                            unknown("callback", c, candidates: policy.callbacks.lazy.map(\.name)); continue
                        }
                        if let prev = implFor[i] {
                            diagnostics.error(.duplicateImpl, "kfunc '\(n.text)' has two implementations in callback '\(c.text)'", at: c.range,
                                              notes: [DiagnosticNote("first implementation for '\(c.text)' here", at: prev)])
                            continue
                        }
                        implFor[i] = c.range
                        idx.append(i)
                    }
                    impls.append(Implementation(callbacks: idx, symbol: sym.text, range: s.range))
                }
            }
            if items[j].damaged { damagedKfuncs.insert(n.text) }
            policy.kfuncs.append(Kfunc(name: n.text, doc: items[j].trivia.doc, range: n.range, sets: sets, setsRange: setsRange,
                                       flags: flags.sorted(), flagsRange: flagsRange, mask: mask, maskRange: maskRange,
                                       requires: requires, requiresRange: requiresRange, invokes: invokes,
                                       invokesRange: invokesRange, impls: impls))
            if first[0] == nil {
                diagnostics.error(.kfuncNotInSet, "kfunc '\(n.text)' is in no set", at: n.range,
                                  hint: "add 'in SET;' naming the BTF kfunc set that registers it")
            }
        }
    }

    /// The keyword range of a kfunc's first statement of each kind (`impl` may repeat).
    struct FirstStatements {
        var sets, flags, allow, requires, invokes: SourceRange?
        static func slot(_ k: KfuncStatement.Kind) -> Int? {
            switch k {
            case .sets: return 0
            case .flags: return 1
            case .allow: return 2
            case .requires: return 3
            case .invokes: return 4
            case .impl: return nil
            }
        }
        subscript(_ i: Int) -> SourceRange? {
            get {
                switch i {
                case 0: return sets
                case 1: return flags
                case 2: return allow
                case 3: return requires
                default: return invokes
                }
            }
            set {
                switch i {
                case 0: sets = newValue
                case 1: flags = newValue
                case 2: allow = newValue
                case 3: requires = newValue
                default: invokes = newValue
                }
            }
        }
    }

    mutating func declareNests(_ items: ItemList) {
        for j in items.indices {
            guard case .nest(let from, let to) = items[j].kind else { continue }
            let a = policy.callback(named: from.text)
            let b = policy.callback(named: to.text)
            if a == nil { unknown("callback", from, candidates: policy.callbacks.lazy.map(\.name)) }
            if b == nil { unknown("callback", to, candidates: policy.callbacks.lazy.map(\.name)) }
            if let a, let b, a == b {
                diagnostics.error(.selfNest, "ops.\(from.text) cannot run nested inside itself", at: items[j].range,
                                  hint: "the nesting graph must be acyclic; remove this line")
                continue
            }
            if let a, let b { policy.nests.append(Nest(outer: a, inner: b, range: items[j].range)) }
        }
    }

    // MARK: - Semantics

    /// Linux 6.12's limits on what the generated header registers (KFP409 in
    /// docs/diagnostics.md). `kfpolicy gen --ignore-kernel-limits` makes these warnings.
    static let maxStructOpsMembers = 64      // BPF_STRUCT_OPS_MAX_NR_MEMBERS, include/linux/bpf.h
    static let maxKfuncsPerHook = 256        // BTF_KFUNC_SET_MAX_CNT, kernel/bpf/btf.c

    /// The kfunc hook a program type's sets are merged into (6.12 bpf_prog_type_to_kfunc_hook);
    /// nil for a type that has none (registering a set for it fails).
    static func kfuncHook(_ t: ProgType) -> String? {
        switch t {
        case .struct_ops: return "STRUCT_OPS"
        case .tracing, .tracepoint, .perf_event, .lsm: return "TRACING"
        case .syscall: return "SYSCALL"
        case .kprobe: return "KPROBE"
        case .xdp: return "XDP"
        case .sched_cls: return "TC"
        case .sched_act: return "SCHED_ACT"
        case .cgroup_skb, .cgroup_sock, .cgroup_sock_addr: return "CGROUP"
        case .sk_skb: return "SK_SKB"
        case .netfilter: return "NETFILTER"
        case .raw_tracepoint: return nil
        }
    }

    mutating func checkKernelLimits() {
        if policy.callbacks.count > Checker.maxStructOpsMembers {
            let c = policy.callbacks[Checker.maxStructOpsMembers]
            diagnostics.error(.kernelLimit, "struct \(policy.structName) would have \(policy.callbacks.count) callbacks; Linux registers no struct_ops with more than \(Checker.maxStructOpsMembers) members (BPF_STRUCT_OPS_MAX_NR_MEMBERS)",
                              at: c.range, hint: "split the interface into several structs, each with its own policy")
        }
        // register_btf_kfunc_id_set() concatenates every set registered for one hook of one BTF
        // into one set of at most 256 entries (a set registered for two types of one hook, or a
        // kfunc in two such sets, counts twice); past that it fails with -E2BIG.
        var size = [Int](repeating: 0, count: policy.sets.count)
        for k in policy.kfuncs { for s in k.sets { size[s] += 1 } }
        var total: [String: Int] = [:]
        var types: [String: [String]] = [:]
        for (i, s) in policy.sets.enumerated() {
            for t in s.progTypes {
                guard let hook = Checker.kfuncHook(t) else { continue }
                let before = total[hook, default: 0]
                total[hook] = before + size[i]
                if !(types[hook]?.contains(t.rawValue) ?? false) { types[hook, default: []].append(t.rawValue) }
                if before <= Checker.maxKfuncsPerHook, before + size[i] > Checker.maxKfuncsPerHook {
                    diagnostics.error(.kernelLimit, "with set '\(s.name)', the sets registered for \(types[hook]!.joined(separator: ", ")) programs hold more than \(Checker.maxKfuncsPerHook) kfunc entries; Linux merges the sets of one program-type hook (\(hook)) into one set of at most \(Checker.maxKfuncsPerHook) (BTF_KFUNC_SET_MAX_CNT), and registering more fails with -E2BIG",
                                      at: s.range, hint: "register fewer kfuncs for these program types; the kernel's own sets for the hook count too")
                }
            }
        }
    }

    /// Generated C names upper-case policy names (SCX_KFP_CTX_DISPATCH): two names that differ
    /// only in case would collide there, and a context called 'all' would clash with CTX_ALL.
    mutating func checkMangledNames() {
        /// A name compared and hashed as its upper-case form, without making that String.
        struct CaseFolded: Hashable {
            let name: String
            static func upper(_ b: UInt8) -> UInt8 { b >= 97 && b <= 122 ? b - 32 : b }
            static func == (a: CaseFolded, b: CaseFolded) -> Bool {
                a.name.utf8.count == b.name.utf8.count && zip(a.name.utf8, b.name.utf8).allSatisfy { upper($0) == upper($1) }
            }
            func hash(into h: inout Hasher) {
                var word: UInt64 = 0, n = 0
                for b in name.utf8 {
                    word = word << 8 | UInt64(CaseFolded.upper(b)); n += 1
                    if n == 8 { h.combine(word); word = 0; n = 0 }
                }
                h.combine(word)
            }
        }
        func check(_ kind: String, _ count: Int, _ item: (Int) -> (name: String, range: SourceRange)) {
            var seen: [CaseFolded: Int] = [:]
            seen.reserveCapacity(count)
            for i in 0..<count {
                let (name, range) = item(i)
                if let j = seen[CaseFolded(name: name)] {
                    let (other, prev) = item(j)
                    if other != name {
                        diagnostics.error(.reservedName, "\(kind) '\(name)' and '\(other)' differ only in case; their generated C names collide",
                                          at: range, notes: [DiagnosticNote("'\(other)' declared here", at: prev)],
                                          hint: "rename one of them")
                    }
                } else {
                    seen[CaseFolded(name: name)] = i
                }
            }
        }
        let p = policy
        check("context", p.contexts.count) { (p.contexts[$0].name, p.contexts[$0].range) }
        check("group", p.groups.count) { (p.groups[$0].name, p.groups[$0].range) }
        check("callback", p.callbacks.count) { (p.callbacks[$0].name, p.callbacks[$0].range) }
        check("kfunc", p.kfuncs.count) { (p.kfuncs[$0].name, p.kfuncs[$0].range) }
        for c in policy.contexts where c.name.uppercased() == "ALL" {
            diagnostics.error(.reservedName, "a context cannot be called '\(c.name)': the generated \(policy.prefix.uppercased())_KFP_CTX_ALL means every context",
                              at: c.range, hint: "call it something else, or use the built-in 'any'")
        }
        for c in policy.contexts where c.name.uppercased() == "ENTRY" {
            diagnostics.error(.reservedName, "a context cannot be called '\(c.name)': its constant would be the generated macro \(policy.prefix.uppercased())_KFP_CTX_ENTRY()",
                              at: c.range, hint: "call it something else")
        }
        // Set names, kfunc names and implementing functions are C symbols of one namespace, with
        // the generated globals of this policy. Kfunc names are unique already (and indexed), so
        // only sets and implementing functions are entered into a table of their own.
        let prefix = policy.prefix
        let reservedPrefix = prefix + "_kfp_", filter = prefix + "_kfunc_filter", register = prefix + "_register_kfunc_sets"
        var reportedReserved = Set<String>()
        func reserved(_ what: String, _ name: String, _ range: SourceRange) -> Bool {
            guard name.hasPrefix(reservedPrefix) || name == filter || name == register else { return false }
            diagnostics.error(.reservedName, "\(what) '\(name)' would collide with a name the generated header defines",
                              at: range, hint: "names starting with '\(reservedPrefix)', and '\(filter)' and '\(register)', belong to the generated code")
            reportedReserved.insert(name)
            return true
        }
        for k in policy.kfuncs { _ = reserved("kfunc", k.name, k.range) }
        var symbols: [String: (String, SourceRange)] = [:]
        var decls: [(String, String, SourceRange)] = policy.sets.map { ("set", $0.name, $0.range) }
        for k in policy.kfuncs { for im in k.impls { decls.append(("implementing function", im.symbol, im.range)) } }
        for (what, name, range) in decls {
            if reserved(what, name, range) { continue }
            var first = symbols[name]
            if first == nil, let k = policy.kfuncIndex[name], !reportedReserved.contains(name) { first = ("kfunc", policy.kfuncs[k].range) }
            if let (other, prev) = first {
                if other != what, !(other == "kfunc" && what == "implementing function") {
                    diagnostics.error(.reservedName, "\(what) '\(name)' has the name of a \(other); both are C symbols and would collide",
                                      at: range, notes: [DiagnosticNote("the \(other) '\(name)' is declared here", at: prev)],
                                      hint: "rename one of them")
                }
                continue
            }
            symbols[name] = (what, range)
        }
    }

    mutating func checkKfuncSemantics() {
        var setUsed = [Bool](repeating: false, count: policy.sets.count)
        // A kfunc is allowed in some callback when its mask meets the contexts of some callback
        // (of some sleepable one, if it requires sleepable): one union each, not a scan per kfunc.
        var anyCallback = ContextMask.empty, sleepableCallback = ContextMask.empty
        for c in policy.callbacks {
            anyCallback = anyCallback.union(c.contexts)
            if c.sleepable { sleepableCallback = sleepableCallback.union(c.contexts) }
        }
        for (k, kf) in policy.kfuncs.enumerated() {
            for s in kf.sets { setUsed[s] = true }
            if damagedKfuncs.contains(kf.name) { continue }
            let structOps = kf.sets.contains { policy.sets[$0].progTypes.contains(.struct_ops) }
            if structOps, !kf.sets.isEmpty, !brokenMasks.contains(kf.maskRange),
               !kf.mask.meets(kf.requiresSleepable ? sleepableCallback : anyCallback) {
                let reason = kf.mask.isEmpty ? "its mask is '\(policy.describe(kf.mask))'"
                    : "no callback runs in \(policy.describe(kf.mask))\(kf.requiresSleepable ? " and is sleepable" : "")"
                diagnostics.error(.kfuncNoCallback, "kfunc '\(kf.name)' is registered for struct_ops but allowed in no callback: \(reason)",
                                  at: kf.maskRange == kf.range ? kf.range : kf.maskRange,
                                  notes: [DiagnosticNote("registered for struct_ops by this set", at: policy.sets[kf.sets.first { policy.sets[$0].progTypes.contains(.struct_ops) }!].range)],
                                  hint: kf.maskRange == kf.range ? "add 'allow CONTEXTS;'" : "widen its mask, or register it only for the program types that call it")
            }
            if kf.has(.KF_SLEEPABLE), !kf.requiresSleepable {
                let bad = policy.callbacks.filter { kf.mask.meets($0.contexts) && !$0.sleepable }
                if !bad.isEmpty {
                    diagnostics.error(.sleepableInNonSleepable,
                                      "KF_SLEEPABLE kfunc '\(kf.name)' is allowed in callbacks that are not sleepable: \(bad.prefix(6).map { "ops.\($0.name)" }.joined(separator: ", "))\(bad.count > 6 ? ", ..." : "")",
                                      at: kf.maskRange, notes: bad.prefix(3).map { DiagnosticNote("ops.\($0.name) is not sleepable", at: $0.range) },
                                      hint: "add 'requires sleepable;' or narrow its mask to sleepable callbacks")
                }
            }
            for impl in kf.impls {
                for c in impl.callbacks where !policy.isAllowed(k, .callback(c)) {
                    diagnostics.error(.implNotAllowed, "kfunc '\(kf.name)' has an implementation for ops.\(policy.callbacks[c].name), where it is not allowed",
                                      at: impl.range, notes: [DiagnosticNote("ops.\(policy.callbacks[c].name) declared here", at: policy.callbacks[c].range)],
                                      hint: "remove the callback from 'impl' or widen the kfunc's mask")
                }
            }
        }
        for (i, s) in policy.sets.enumerated() where !setUsed[i] {
            diagnostics.warning(.emptySet, "set '\(s.name)' holds no kfunc", at: s.range, hint: "add 'in \(s.name);' to its kfuncs or remove it")
        }
    }

    /// The nesting graph must be acyclic. Nodes are callbacks then kfuncs; only kfuncs that
    /// invoke something can close a cycle, so only their incoming edges are built.
    mutating func checkNestingGraph() {
        let graph = NestingGraph(policy)
        for cycle in graph.cycles() {
            let first = cycle[0]
            var notes: [DiagnosticNote] = []
            for e in cycle.prefix(32) { notes.append(DiagnosticNote(e.describe(policy), at: e.range)) }
            let path = cycle.map { graph.nodeName($0.from) } + [graph.nodeName(first.from)]
            diagnostics.error(.nestingCycle, "nesting graph is not a DAG: \(elided(path).joined(separator: " -> "))",
                              at: first.range, notes: notes,
                              hint: "remove one of the 'invokes', 'nest' or 'allow' facts on this path")
        }
    }

    mutating func warnUnused() {
        for (i, c) in policy.contexts.enumerated() where usedContexts & (1 << UInt32(i)) == 0 {
            diagnostics.warning(.unusedContext, "context '\(c.name)' is never used", at: c.range,
                                hint: "give it to a callback or a kfunc mask, or remove it")
        }
        for g in policy.groups where !usedGroupNames.contains(g.name) {
            diagnostics.warning(.unusedGroup, "group '\(g.name)' is never used", at: g.range, hint: "use it in a mask or remove it")
        }
        for (i, r) in policy.requirements.enumerated() where !usedRequirements.contains(i) {
            diagnostics.warning(.unusedRequirement, "requirement '\(r.name)' is never required", at: r.range,
                                hint: "add 'requires \(r.name);' to a kfunc or remove it")
        }
    }
}

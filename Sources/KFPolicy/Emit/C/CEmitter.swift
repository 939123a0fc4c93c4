// The kernel C header emitter. By default a header holds what a subsystem needs and nothing
// else: the context bits, the kfunc sets with their KF_ flags, one table saying which contexts
// each kfunc may be called from, each callback's contexts, the verifier filter, the sleepable
// rule for .check_member and the registration function. Run-time guards, the instance check
// and the implementation choices follow only when the policy uses them (CEmitter+Optional).

public enum CEmitter {
    /// The header for `policy`, read from `sourceName` (a name, not a path, goes in the banner).
    public static func header(_ policy: Policy, sourceName: String) -> String {
        headerWithOrigins(policy, sourceName: sourceName).text
    }

    /// The header and, per output line, the policy declaration it came from (`.none` for none),
    /// so that a problem found in the C can be traced back to the policy.
    public static func headerWithOrigins(_ policy: Policy, sourceName: String) -> (text: String, origins: [SourceRange]) {
        var e = HeaderEmitter(policy)
        e.emit(sourceName: sourceName)
        return (e.out.text, e.out.origins)
    }
}

/// One list the header lays out in .BTF_ids, as resolve_btfids sees it: a set8 (`kfuncs`: a
/// BTF_KFUNCS set) of {id, word} pairs or a BTF_ID_LIST of ids.
public struct BTFIdsList: Sendable, Equatable {
    public enum Kind: Sendable { case kfuncSet, set8, list }
    public let name: String
    public let kind: Kind
    /// (kind of BTF type, name, the word after the id in a set8: KF_ flags, or 0).
    public let entries: [(kind: String, name: String, word: [KFFlag])]

    public static func == (a: BTFIdsList, b: BTFIdsList) -> Bool {
        a.name == b.name && a.kind == b.kind && a.entries.map { "\($0.kind) \($0.name) \($0.word)" } == b.entries.map { "\($0.kind) \($0.name) \($0.word)" }
    }
}

extension CEmitter {
    /// Every list the header for `policy` puts in .BTF_ids, in the header's order: for tests
    /// that read an object file back.
    public static func btfIds(_ policy: Policy) -> [BTFIdsList] {
        let e = HeaderEmitter(policy)
        let p = policy
        guard e.hasKfuncs else { return [] }
        var out = e.emittedSets.map { s in
            BTFIdsList(name: p.sets[s].name, kind: .kfuncSet,
                       entries: p.kfuncs.filter { $0.sets.contains(s) }.map { ("func", $0.name, $0.flags) })
        }
        out += e.rows.filter { $0.set == nil }.map { r in
            BTFIdsList(name: e.rowSet(r), kind: .set8, entries: r.kfuncs.map { ("func", p.kfuncs[$0].name, []) })
        }
        out.append(BTFIdsList(name: e.n.structIDs, kind: .list,
                              entries: ([p.structName] + p.forms.map(\.policy.structName)).map { ("struct", $0, []) }))
        if p.runtimeGuards || p.nesting == .per_instance {
            out.append(BTFIdsList(name: e.n.kfuncIDs, kind: .list, entries: p.ownKfuncs.map { ("func", p.kfuncs[$0].name, []) }))
        }
        return out
    }
}

/// One row of the context table: a set8 and the contexts it grants its kfuncs. A kfunc's
/// contexts are the union of the rows whose set holds it, as mainline's sched_ext filter unites
/// the groups of its sets.
struct ContextRow {
    let mask: ContextMask
    /// A set of the policy, or nil for a plain set8 of the header's own holding `kfuncs`.
    let set: Int?
    let kfuncs: [Int]
}

struct HeaderEmitter {
    let p: Policy
    let n: CNamer
    var out = CodePrinter()
    let rows: [ContextRow]
    /// The groups the header names: those that are exactly the contexts of some word.
    let usedGroups: Set<String>

    init(_ policy: Policy) {
        p = policy
        n = CNamer(policy)
        rows = HeaderEmitter.contextRows(policy)
        let words = Set((rows.map(\.mask) + policy.callbacks.map(\.contexts)).filter { $0.indices.count > 1 })
        usedGroups = Set(words.compactMap { w in policy.groups.first { $0.mask == w }?.name })
    }

    /// The context table: each own set grants the contexts every one of its kfuncs has; a kfunc
    /// that the union of its sets' rows does not describe exactly gets a plain set8 of its own
    /// context word (shared with the other kfuncs of that word). Widest rows first, so that the
    /// lookup can stop once a kfunc has every context. (Whether a kfunc needs a sleepable program
    /// is its KF_SLEEPABLE flag, which the verifier checks itself.)
    static func contextRows(_ p: Policy) -> [ContextRow] {
        func word(_ k: Int) -> UInt32 { p.kfuncs[k].mask.bits }
        let own = p.ownKfuncs
        var rows: [ContextRow] = []
        var granted: [Int: UInt32] = [:]
        for s in p.ownSets where !p.sets[s].progTypes.isEmpty {
            let members = own.filter { p.kfuncs[$0].sets.contains(s) }
            guard let first = members.first else { continue }
            let w = members.reduce(word(first)) { $0 & word($1) }
            guard w != 0 else { continue }
            rows.append(ContextRow(mask: ContextMask(bits: w), set: s, kfuncs: members))
            for k in members { granted[k, default: 0] |= w }
        }
        var byWord: [UInt32: Int] = [:]
        var extra: [(word: UInt32, kfuncs: [Int])] = []
        for k in own where granted[k] != word(k) {
            if let i = byWord[word(k)] { extra[i].kfuncs.append(k); continue }
            byWord[word(k)] = extra.count
            extra.append((word(k), [k]))
        }
        for e in extra {
            rows.append(ContextRow(mask: ContextMask(bits: e.word), set: nil, kfuncs: e.kfuncs))
        }
        return rows.enumerated().sorted {
            ($0.element.mask.indices.count, -$0.offset) > ($1.element.mask.indices.count, -$1.offset)
        }.map(\.element)
    }

    var hasKfuncs: Bool { !p.ownKfuncs.isEmpty }

    /// Whether some word is every context (and no group says so): the enum then names it.
    var usesAny: Bool {
        p.contexts.count > 1 && !p.groups.contains { $0.mask == p.allContexts && usedGroups.contains($0.name) }
            && (rows.contains { $0.mask == p.allContexts } || p.callbacks.contains { $0.contexts == p.allContexts })
    }
    var structType: String { "struct \(p.structName)" }

    mutating func emit(sourceName: String) {
        out.origin = p.range
        banner(sourceName)
        contexts()
        if hasKfuncs {
            kfuncSets()
            contextTable()
        }
        opTables()
        if hasKfuncs || !p.forms.isEmpty { ownership() }
        if hasKfuncs { filter() }
        if !p.callbacks.isEmpty || p.forms.contains(where: { !$0.policy.callbacks.isEmpty }) { checkMember() }
        if hasKfuncs { registration() }
        if p.runtimeGuards || p.nesting == .per_instance { kfuncIndex() }
        if p.runtimeGuards { guards() }
        if p.nesting == .per_instance { instanceCheck() }
        implementations()
        out.line()
        out.line("#endif /* \(n.includeGuard) */")
    }

    // MARK: - Pieces shared by the parts

    /// A doc string made safe inside a C comment.
    func docText(_ d: String) -> String { d.replacingAll("*/", with: "* /") }

    /// A context mask as C: its group when one has exactly these contexts, else the contexts.
    func maskExpr(_ m: ContextMask) -> String { maskTerms(m).joined(separator: " | ") }

    /// `head`, the parts joined by `joiner`, then `tail`, broken after a joiner wherever a line
    /// would pass 100 columns; continuation lines start at the column after `head`.
    mutating func wrappedLine(_ head: String, _ parts: [String], joiner: String = " |", tail: String,
                              from range: SourceRange = .none) {
        let indent = String(repeating: "\t", count: CodePrinter.width(head) / 8)
            + String(repeating: " ", count: CodePrinter.width(head) % 8)
        var line = head
        for (i, part) in parts.enumerated() {
            let last = i == parts.count - 1
            let candidate = (i == 0 ? line : line + joiner + " ") + part
            if i > 0, CodePrinter.width(candidate + (last ? tail : joiner)) > 100 {
                out.line(line + joiner, from: range)
                line = indent + part
            } else {
                line = candidate
            }
        }
        out.line(line + tail, from: range)
    }

    /// A mask's terms (and the sleepable bit), for `wrappedLine`.
    func maskTerms(_ m: ContextMask, sleepable: Bool = false) -> [String] {
        var terms: [String]
        if m.isEmpty {
            terms = sleepable ? [] : ["0"]
        } else if let g = p.groups.first(where: { $0.mask == m && usedGroups.contains($0.name) }) {
            terms = [n.ctx(g.name)]
        } else if m == p.allContexts, p.contexts.count > 1 {
            terms = [n.ctxAny]
        } else {
            terms = m.indices.map { n.ctx(p.contexts[$0].name) }
        }
        return terms + (sleepable ? [n.sleepable] : [])
    }

    /// A kernel-doc line `@name: text`, continued on further lines within 100 columns.
    mutating func docMember(_ name: String, _ text: String, from range: SourceRange) {
        let lines = text.split(separator: "\n").joined(separator: " ").wrapped(92 - name.count)
            .split(separator: "\n")
        for (i, l) in lines.enumerated() { out.line(i == 0 ? " * @\(name): \(l)" : " *\t\(l)", from: range) }
    }

    /// The set8 a context row looks kfuncs up in.
    func rowSet(_ r: ContextRow) -> String {
        r.set.map { p.sets[$0].name } ?? n.ctxClass(r.mask, in: p)
    }

    /// `#if IS_ENABLED(...)` around the lines `body` prints when `config` is not empty.
    mutating func conditional(_ config: Condition, _ body: (inout HeaderEmitter) -> Void) {
        if config.isEmpty { body(&self); return }
        out.line("#if " + config.map { "IS_ENABLED(\($0))" }.joined(separator: " && "))
        body(&self)
        out.line("#endif")
    }

    /// Prints `items` one line each, runs of the same condition inside one `#if`.
    mutating func lines<T>(_ items: [T], configs: [Condition], _ line: (inout HeaderEmitter, T) -> Void) {
        var i = 0
        while i < items.count {
            var j = i
            while j < items.count, configs[j] == configs[i] { j += 1 }
            conditional(configs[i]) { e in for item in items[i..<j] { line(&e, item) } }
            i = j
        }
    }

    // MARK: - Banner and contexts

    mutating func banner(_ sourceName: String) {
        out.line("/* SPDX-License-Identifier: GPL-2.0 OR MIT */")
        let forms = p.forms.map { " and struct \($0.policy.structName) (policy \($0.policy.name))" }.joined()
        out.comment("""
            Generated by kfpolicy \(kfpolicyVersion) from \(sourceName): policy \(p.name) for \(structType)\(forms), \
            Linux \(p.kernel). Do not edit: change the policy and run 'kfpolicy gen'.
            """)
        if let d = p.doc {
            out.line("/**")
            out.line(" * DOC: policy \(p.name)")
            out.line(" *")
            for l in docText(d).split(separator: "\n", omittingEmptySubsequences: false) {
                out.line(l.isEmpty ? " *" : " * \(l)")
            }
            out.line(" */")
        }
        out.line()
        out.line("#ifndef \(n.includeGuard)")
        out.line("#define \(n.includeGuard)")
        out.line()
        out.line("#include <linux/bpf.h>")
        out.line("#include <linux/btf.h>")
        out.line("#include <linux/btf_ids.h>")
    }

    mutating func contexts() {
        guard !p.contexts.isEmpty else { return }
        let groups = p.groups.filter { usedGroups.contains($0.name) }
        out.line()
        out.line("/**")
        out.line(" * enum \(n.ctxEnum) - contexts the callbacks of \(structType) run in")
        for c in p.contexts { docMember(n.ctx(c.name), docText(c.doc ?? "Context '\(c.name)'."), from: c.range) }
        for g in groups { docMember(n.ctx(g.name), docText(g.doc ?? "Group '\(g.name)'."), from: g.range) }
        if usesAny { docMember(n.ctxAny, "Every context.", from: p.range) }
        out.line(" *")
        out.line(" * A callback may call a kfunc when their contexts meet. \(n.sleepable) marks a callback")
        out.line(" * that accepts sleepable programs, the only ones that may call a KF_SLEEPABLE kfunc.")
        out.line(" */")
        out.line("enum \(n.ctxEnum) {")
        for (i, c) in p.contexts.enumerated() { out.line("\t\(n.ctx(c.name)) = BIT(\(i)),", from: c.range) }
        for g in groups {
            wrappedLine("\t\(n.ctx(g.name)) = ", g.mask.indices.map { n.ctx(p.contexts[$0].name) }, tail: ",", from: g.range)
        }
        if usesAny { wrappedLine("\t\(n.ctxAny) = ", p.contexts.map { n.ctx($0.name) }, tail: ",") }
        out.line("};")
        out.line()
        out.line("#define \(n.sleepable) BIT(31)")
    }

    // MARK: - Sets and tables

    /// The sets the header defines: those registered for some program type, and those a `deny
    /// set` names (the filter tests membership in them).
    var emittedSets: [Int] {
        let denied = Set(p.deniedSets.map { p.sets[$0.set].name } + p.forms.flatMap { f in f.policy.deniedSets.map { f.policy.sets[$0.set].name } })
        return p.ownSets.filter { s in !p.sets[s].progTypes.isEmpty || denied.contains(p.sets[s].name) }
    }

    mutating func kfuncSets() {
        for s in emittedSets {
            let set = p.sets[s]
            let members = p.kfuncs.indices.filter { p.kfuncs[$0].sets.contains(s) }
            out.line()
            out.origin = set.range
            if let d = set.doc { out.comment(docText(d)) }
            out.line("BTF_KFUNCS_START(\(set.name))")
            lines(members, configs: members.map { set.config + p.kfuncs[$0].config }) { e, k in
                let kf = e.p.kfuncs[k]
                let flags = kf.flags.isEmpty ? "" : ", " + kf.flags.map(\.rawValue).joined(separator: " | ")
                e.out.line("BTF_ID_FLAGS(func, \(kf.name)\(flags))", from: kf.range)
            }
            out.line("BTF_KFUNCS_END(\(set.name))")
        }
        out.origin = p.range
        for r in rows where r.set == nil {
            out.line()
            out.line("BTF_SET8_START(\(rowSet(r)))")
            lines(r.kfuncs, configs: r.kfuncs.map { p.kfuncs[$0].config }) { e, k in
                e.out.line("BTF_ID_FLAGS(func, \(e.p.kfuncs[k].name))", from: e.p.kfuncs[k].maskRange)
            }
            out.line("BTF_SET8_END(\(rowSet(r)))")
        }
    }

    mutating func contextTable() {
        out.line()
        out.comment("""
            The contexts a kfunc may be called from: the union of those of the sets here that hold it.
            Widest first.
            """)
        out.line("static const struct {")
        out.line("\tconst struct btf_id_set8 *set;")
        out.line("\tu32 ctx;")
        out.line("} \(n.kfuncCtx)[] = {")
        for r in rows {
            wrappedLine("\t{ &\(rowSet(r)), ", maskTerms(r.mask), tail: " },",
                        from: r.set.map { p.sets[$0].range } ?? p.kfuncs[r.kfuncs[0]].maskRange)
        }
        out.line("};")
    }

    /// The callback table of the policy and one of each form (its struct, same contexts).
    mutating func opTables() {
        opTable(p.callbacks, struct: structType, CNamer(p))
        for f in p.forms { opTable(f.policy.callbacks, struct: "struct \(f.policy.structName)", CNamer(f.policy)) }
    }

    mutating func opTable(_ callbacks: [Callback], struct structType: String, _ names: CNamer) {
        guard !callbacks.isEmpty else { return }
        out.line()
        out.comment("The contexts each callback of \(structType) runs in, by op index (member offset in function pointers).")
        out.line("#define \(names.opMacro)(member) \\")
        out.line("\t(offsetof(\(structType), member) / sizeof(void (*)(void)))")
        out.line()
        out.line("static const u32 \(names.opCtx)[] = {")
        lines(callbacks, configs: callbacks.map(\.config)) { e, c in
            e.wrappedLine("\t[\(names.opMacro)(\(c.name))] = ", e.maskTerms(c.contexts, sleepable: c.sleepable), tail: ",", from: c.range)
        }
        out.line("};")
        out.line()
        out.comment("The contexts of op; 0 for a member the policy does not name.")
        out.line("static inline u32 \(names.opContexts)(u32 op)")
        out.line("{")
        out.line("\treturn op < ARRAY_SIZE(\(names.opCtx)) ? \(names.opCtx)[op] : 0;")
        out.line("}")
    }
}


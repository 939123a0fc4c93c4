// The kernel C header emitter. One header per policy: context constants, the per-op context
// table, the kfunc sets with their KF_ flags, the context words in .BTF_ids, kfunc annotations,
// the verifier filter, run-time nesting guards, the nesting DAG tables with an instance check,
// and the context-dependent implementation table.


/// The one authority for generated C names of a policy.
public struct CNamer: Sendable {
    public let p: String   // lower-case prefix, e.g. "scx_kfp"
    public let P: String   // upper-case prefix, e.g. "SCX_KFP"
    public let policy: String

    public init(_ policy: Policy) {
        self.policy = policy.prefix
        p = policy.prefix + "_kfp"
        P = policy.prefix.uppercased() + "_KFP"
    }
    public func ctx(_ name: String) -> String { P + "_CTX_" + asciiUppercased(name) }
    public func group(_ name: String) -> String { P + "_GRP_" + asciiUppercased(name) }
    public func op(_ name: String) -> String { P + "_OP_" + asciiUppercased(name) }
    public func kfuncIndex(_ name: String) -> String { P + "_K_" + asciiUppercased(name) }
    public func ctxWord(_ name: String) -> String { P + "_CTXW_" + asciiUppercased(name) }
    public func tag(_ name: String) -> String { "\(P)_TAG_\(name)" }
    public func idSet(_ set: String) -> String { "\(p)_idset_\(set)" }
    public var guardMacro: String { "_KFPOLICY_\(policy.uppercased())_H" }
    public var filter: String { "\(policy)_kfunc_filter" }
}

public enum CEmitter {
    /// The header for `policy`, read from `sourceName` (a name, not a path, goes in the banner).
    public static func header(_ policy: Policy, sourceName: String) -> String {
        String(decoding: headerBytes(policy, sourceName: sourceName, origins: false).bytes, as: UTF8.self)
    }

    /// The header and, per output line, the policy declaration it came from (`.none` for none).
    /// The text is the same as `header`'s; the origins let a problem found in the C be traced
    /// back to the policy.
    public static func headerWithOrigins(_ policy: Policy, sourceName: String) -> (text: String, origins: [SourceRange]) {
        let h = headerBytes(policy, sourceName: sourceName, origins: true)
        return (String(decoding: h.bytes, as: UTF8.self), h.origins)
    }

    /// `headerWithOrigins` as UTF-8 bytes, ready to write; `origins` empty unless asked for.
    public static func headerBytes(_ policy: Policy, sourceName: String, origins wantOrigins: Bool) -> (bytes: [UInt8], origins: [SourceRange]) {
        let names = Emitter.Names(policy)
        if policy.kfuncs.count < parallelMinimumKfuncs {
            var e = Emitter(policy: policy, names: names, origins: wantOrigins)
            e.emitFirstHalf(sourceName: sourceName)
            e.emitSecondHalf()
            return (e.out.bytes, e.out.origins)
        }
        // The header's two halves depend only on the policy: a large policy has them printed on
        // two threads, each with its own printer, then joined in order (the same bytes).
        let (a, b) = inParallel({
            var e = Emitter(policy: policy, names: names, origins: wantOrigins)
            e.emitFirstHalf(sourceName: sourceName)
            return e.out
        }, {
            var e = Emitter(policy: policy, names: names, origins: wantOrigins)
            e.emitSecondHalf()
            return e.out
        })
        // The joined text, copied once from both printers into an array of the exact size.
        let bytes = [UInt8](unsafeUninitializedCapacity: a.byteCount + b.byteCount) { buf, count in
            a.copyBytes(to: buf.baseAddress!)
            b.copyBytes(to: buf.baseAddress! + a.byteCount)
            count = a.byteCount + b.byteCount
        }
        return (bytes, wantOrigins ? a.origins + b.origins : [])
    }

}

private struct Emitter {
    let policy: Policy
    let n: CNamer
    var out: CodePrinter
    /// Generated names computed once, not once per use (a policy may have 100k kfuncs).
    let ctxName: [String]
    let kfuncIndexName: [String]
    let ctxWordName: [String]
    let idx: String
    /// Mask texts by mask bits: many kfuncs share a mask.
    final class Memo {
        var expr: [UInt32: String] = [:], described: [UInt32: String] = [:], tag: [UInt32: String] = [:]
        var word: [UInt64: String] = [:]
    }
    let memo = Memo()

    /// The generated names of a policy, made once and shared by the emitters of both halves.
    struct Names: Sendable {
        let n: CNamer
        let ctxName: [String]
        let kfuncIndexName: [String]
        let ctxWordName: [String]
        init(_ policy: Policy) {
            n = CNamer(policy)
            ctxName = policy.contexts.map { [n] in n.ctx($0.name) }
            kfuncIndexName = policy.kfuncs.map { [n] in n.kfuncIndex($0.name) }
            ctxWordName = policy.kfuncs.map { [n] in n.ctxWord($0.name) }
        }
    }

    init(policy: Policy, names: Names, origins: Bool) {
        self.policy = policy
        n = names.n
        // About 300 bytes per kfunc in each half (measured on synthetic policies), so large
        // headers do not grow their buffer through repeated copies.
        out = CodePrinter(recordsOrigins: origins, capacity: 4096 + 320 * policy.kfuncs.count)
        ctxName = names.ctxName
        kfuncIndexName = names.kfuncIndexName
        ctxWordName = names.ctxWordName
        // The C type of op and kfunc indices in the tables: u16, or u32 for a policy too large
        // for 16 bits (only possible past the kernel's limits, with gen --ignore-kernel-limits).
        let impls = policy.kfuncs.reduce(0) { $0 + $1.impls.reduce(0) { $0 + $1.callbacks.count } }
        idx = max(policy.kfuncs.count, policy.callbacks.count, impls) < 0xffff ? "u16" : "u32"
    }

    func hex(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
    }

    /// A mask as an expression over context constants (assembler-safe: no suffixes).
    func maskExpr(_ m: ContextMask) -> String {
        if let e = memo.expr[m.bits] { return e }
        let parts = m.indices.filter { $0 < ctxName.count }.map { ctxName[$0] }
        let e = parts.isEmpty ? "0x00000000" : "(" + parts.joined(separator: " | ") + ")"
        memo.expr[m.bits] = e
        return e
    }

    /// `policy.describe(m)`, remembered.
    func describe(_ m: ContextMask) -> String {
        if let d = memo.described[m.bits] { return d }
        let d = policy.describe(m)
        memo.described[m.bits] = d
        return d
    }

    func ctxWordValue(_ k: Kfunc) -> String {
        let key = UInt64(k.mask.bits) | (k.requiresSleepable ? 1 << 32 : 0)
        if let w = memo.word[key] { return w }
        let base = maskExpr(k.mask)
        let w = k.requiresSleepable ? "(\(base) | \(n.P)_REQ_SLEEPABLE)" : base
        memo.word[key] = w
        return w
    }

    func cbWordValue(_ c: Callback) -> String {
        guard c.sleepable else { return maskExpr(c.contexts) }
        let parts = c.contexts.indices.filter { $0 < ctxName.count }.map { ctxName[$0] }
        return "(" + (parts + ["\(n.P)_CB_SLEEPABLE"]).joined(separator: " | ") + ")"
    }

    func cString(_ s: String) -> String {
        if !s.utf8.contains(where: { $0 == 34 || $0 == 92 }) { return "\"" + s + "\"" } // names never need escapes
        var o = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            default: o.unicodeScalars.append(ch)
            }
        }
        return o + "\""
    }

    /// A doc string made safe inside a C comment.
    func docLines(_ d: String?) -> String? {
        d.map { $0.replacingAll("*/", with: "* /") }
    }

    var structType: String { "struct \(policy.structName)" }
    var maxInvokes: Int {
        var m = 1
        for k in policy.kfuncs.indices { m = max(m, policy.kfuncs[k].invokes.count) }
        return m
    }
    var maxNests: Int {
        var counts = [Int](repeating: 0, count: policy.callbacks.count)
        for x in policy.nests { counts[x.outer] += 1 }
        return max(1, counts.max() ?? 0)
    }
    var opWords: Int { max(1, (policy.kfuncs.count + 63) / 64) }

    /// The banner and the tables of contexts, ops and kfuncs.
    mutating func emitFirstHalf(sourceName: String) {
        out.origin = policy.range
        banner(sourceName)
        contexts()
        ops()
        kfuncTables()
    }

    /// Annotations, sets, filter, registration, guards, DAG and implementations.
    mutating func emitSecondHalf() {
        out.origin = policy.range
        annotations()
        btfSets()
        filter()
        registration()
        guards()
        dag()
        implementations()
        out.line("#endif /* \(n.guardMacro) */")
    }

    mutating func section(_ title: String, _ body: String) {
        out.line()
        out.comment("\(title)\n\n\(body)")
    }

    mutating func banner(_ sourceName: String) {
        out.line("/* SPDX-License-Identifier: GPL-2.0 OR MIT */")
        out.comment("""
            Generated by kfpolicy \(kfpolicyVersion) from \(sourceName): policy '\(policy.name)' for \(structType).
            Do not edit: change the policy and run 'kfpolicy gen'.
            \(policy.doc.map { "\n" + (docLines($0) ?? "") } ?? "")
            Include this header once, in the file that defines \(structType) (after
            the definition), instead of hand-written kfunc sets, context tables and filter.
            Needs a kernel with struct_ops kfunc filters (6.9 or newer).
            """.replacingAll("\n\n\n", with: "\n\n"))
        out.line("#ifndef \(n.guardMacro)")
        out.line("#define \(n.guardMacro)")
        out.line()
        out.line("#ifndef KFPOLICY_USERSPACE_TEST")
        for h in ["linux/bpf.h", "linux/btf.h", "linux/btf_ids.h", "linux/bug.h", "linux/errno.h", "linux/stddef.h", "linux/version.h"] {
            out.line("#include <\(h)>")
        }
        out.line("#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)")
        out.line("#error \"kfpolicy headers need kfunc set filters and struct_ops from Linux 6.9 or newer\"")
        out.line("#endif")
        out.line("#endif")
        out.line()
        out.line("#define \(n.P)_UNUSED __attribute__((__unused__))")
    }

    mutating func contexts() {
        section("Contexts", """
            One bit per context, in the policy's order (which is also the nesting order of the
            run-time guards). Bit 31 is reserved: in a kfunc's context word it means "the caller
            must be a sleepable callback", in a callback's context word "this callback may be
            sleepable". The values are hex literals so the assembler can read them in .BTF_ids.
            """)
        for (i, c) in policy.contexts.enumerated() {
            if let d = docLines(c.doc) { out.comment(d) }
            out.line("#define \(n.ctx(c.name)) \(hex(1 << UInt32(i)))", from: c.range)
        }
        out.line("#define \(n.P)_NR_CTX \(policy.contexts.count)")
        out.line("#define \(n.P)_CTX_ALL \(hex(policy.allContexts.bits))")
        out.line("#define \(n.P)_REQ_SLEEPABLE 0x80000000")
        out.line("#define \(n.P)_CB_SLEEPABLE 0x80000000")
        if !policy.groups.isEmpty {
            out.line()
            for g in policy.groups {
                if let d = docLines(g.doc) { out.comment(d) }
                out.line("#define \(n.group(g.name)) \(maskExpr(g.mask))", from: g.range)
            }
        }
        out.line()
        out.line("static const char *const \(n.p)_ctx_name[\(n.P)_NR_CTX] \(n.P)_UNUSED = {")
        out.indent()
        for c in policy.contexts { out.line("\(cString(c.name)),", from: c.range) }
        out.outdent()
        out.line("};")
    }

    mutating func ops() {
        section("Callbacks", """
            A callback's op index is its member's offset in \(structType) divided by the
            size of a function pointer, computed by the compiler so it stays right when the
            struct changes. \(n.p)_op_ctx[] holds each callback's contexts; entries for
            members the policy does not declare (and data members) are 0, which allows nothing.
            """)
        out.line("#define \(n.P)_OP_IDX(member) \\")
        out.line("\t(offsetof(\(structType), member) / sizeof(void (*)(void)))")
        out.line("#define \(n.P)_NR_OPS (sizeof(\(structType)) / sizeof(void (*)(void)))")
        out.line("#define \(n.P)_NR_CALLBACKS \(policy.callbacks.count)")
        out.line()
        out.line("enum \(n.p)_op {")
        out.indent()
        for c in policy.callbacks { out.line("\(n.op(c.name)) = \(n.P)_OP_IDX(\(c.name)),", from: c.range) }
        out.outdent()
        out.line("};")
        out.line()
        out.line("static const u32 \(n.p)_op_ctx[\(n.P)_NR_OPS] \(n.P)_UNUSED = {")
        out.indent()
        for c in policy.callbacks { out.line("[\(n.op(c.name))] = \(cbWordValue(c)),", from: c.range) }
        out.outdent()
        out.line("};")
        out.line()
        out.line("static const char *const \(n.p)_op_name[\(n.P)_NR_OPS] \(n.P)_UNUSED = {")
        out.indent()
        for c in policy.callbacks { out.line("[\(n.op(c.name))] = \(cString(c.name)),", from: c.range) }
        out.outdent()
        out.line("};")
        out.line()
        out.comment("Declared callbacks in declaration order, for walking the policy.")
        out.line("static const \(idx) \(n.p)_callbacks[\(n.P)_NR_CALLBACKS] \(n.P)_UNUSED = {")
        out.indent()
        for c in policy.callbacks { out.line("\(n.op(c.name)),", from: c.range) }
        out.outdent()
        out.line("};")
    }

    mutating func kfuncTables() {
        section("Kfuncs", """
            Each kfunc has an index (declaration order) and a context word: the contexts it may
            be called from, plus \(n.P)_REQ_SLEEPABLE when only sleepable callbacks may call it.
            """)
        out.line("enum \(n.p)_kfunc {")
        out.indent()
        // The rows of the kfunc tables are printed in pieces (see CodePrinter.begin).
        let kfuncs = policy.kfuncs
        for i in kfuncs.indices {
            out.begin(from: kfuncs[i].range); out.put(kfuncIndexName[i]); out.put(" = "); out.put(i); out.put(","); out.end()
        }
        out.line("\(n.P)_NR_KFUNCS = \(policy.kfuncs.count)")
        out.outdent()
        out.line("};")
        out.line()
        for i in kfuncs.indices {
            let k = kfuncs[i]
            out.begin(from: k.range)
            out.put("#define "); out.put(ctxWordName[i]); out.put(" "); out.put(ctxWordValue(k))
            out.put(" /* "); out.put(describe(k.mask))
            if !k.requires.isEmpty { out.put(" requires "); out.put(k.requires.joined(separator: ", ")) }
            out.put(" */")
            out.end()
        }
        out.line()
        out.line("static const u32 \(n.p)_kfunc_ctx[\(n.P)_NR_KFUNCS] \(n.P)_UNUSED = {")
        out.indent()
        for i in kfuncs.indices {
            out.begin(from: kfuncs[i].range); out.put("["); out.put(kfuncIndexName[i]); out.put("] = "); out.put(ctxWordName[i]); out.put(","); out.end()
        }
        out.outdent()
        out.line("};")
        out.line()
        out.line("static const char *const \(n.p)_kfunc_name[\(n.P)_NR_KFUNCS] \(n.P)_UNUSED = {")
        out.indent()
        for i in kfuncs.indices {
            out.begin(from: kfuncs[i].range); out.put("["); out.put(kfuncIndexName[i]); out.put("] = "); out.put(cString(kfuncs[i].name)); out.put(","); out.end()
        }
        out.outdent()
        out.line("};")
    }

    var exampleKfunc: String { policy.kfuncs.first?.name ?? "my_kfunc" }

    mutating func annotations() {
        section("Kfunc annotations", """
            Write \(n.P)_KFUNC(name) in front of a kfunc's definition instead of __bpf_kfunc:
                \(n.P)_KFUNC(\(exampleKfunc)) <type> \(exampleKfunc)(<args>) { ... }
            It adds a BTF decl tag "kfpolicy:\(policy.prefix):ctx=<contexts>" carrying the kfunc's
            allowed contexts, which pahole copies into BTF (compilers without btf_decl_tag get
            plain __bpf_kfunc).
            """)
        out.line("#if defined(__has_attribute)")
        out.line("#if __has_attribute(btf_decl_tag)")
        out.line("#define \(n.P)_DECL_TAG(s) __attribute__((btf_decl_tag(s)))")
        out.line("#endif")
        out.line("#endif")
        out.line("#ifndef \(n.P)_DECL_TAG")
        out.line("#define \(n.P)_DECL_TAG(s)")
        out.line("#endif")
        out.line("#define \(n.P)_KFUNC(name) __bpf_kfunc \(n.P)_TAG_##name")
        out.line()
        let tagPrefix = n.tag(""), declTag = "\(n.P)_DECL_TAG(\"kfpolicy:\(policy.prefix):ctx="
        for k in policy.kfuncs {
            let ctxs = memo.tag[k.mask.bits] ?? k.mask.indices.map { policy.contexts[$0].name }.joined(separator: "|")
            memo.tag[k.mask.bits] = ctxs
            out.begin(from: k.range)
            out.put("#define "); out.put(tagPrefix); out.put(k.name); out.put(" "); out.put(declTag)
            out.put(ctxs.isEmpty ? "none" : ctxs)
            if k.requiresSleepable { out.put(";sleepable") }
            out.put("\")")
            out.end()
        }
    }

    mutating func btfSets() {
        section("BTF kfunc sets", """
            The policy's sets, each kfunc with its KF_ flags. Every occurrence of a kfunc carries
            the same flags (they come from one declaration).
            """)
        // The kfuncs of each set in declaration order, found in one pass over the kfuncs.
        var members = [[Int]](repeating: [], count: policy.sets.count)
        for (k, kf) in policy.kfuncs.enumerated() { for si in kf.sets { members[si].append(k) } }
        for (si, s) in policy.sets.enumerated() {
            if let d = docLines(s.doc) { out.comment(d) }
            out.line("BTF_KFUNCS_START(\(s.name))", from: s.range)
            for ki in members[si] {
                let k = policy.kfuncs[ki]
                out.begin(from: k.range)
                out.put("BTF_ID_FLAGS(func, "); out.put(k.name)
                if !k.flags.isEmpty { out.put(", "); out.put(k.flags.map(\.rawValue).joined(separator: " | ")) }
                out.put(")")
                out.end()
            }
            out.line("BTF_KFUNCS_END(\(s.name))", from: s.range)
            out.line()
        }
        out.comment("""
            Context words in .BTF_ids. A plain set8 (not a kfunc set, so tools do not read the
            words as KF_ flags) whose pairs are {kfunc BTF id, context word}: resolve_btfids
            sorts the 8-byte pairs by id and the word stays with its id. The filter finds a
            kfunc's word with one binary search here. To write such an entry by hand:
                \(n.P)_CTX_ENTRY(my_kfunc, \(policy.contexts.first.map { n.ctx($0.name) } ?? "0x1"))
            """)
        out.line("#define \(n.P)_CTX_ENTRY(kfunc, ctxword) BTF_ID_FLAGS(func, kfunc, ctxword)")
        out.line()
        out.line("BTF_SET8_START(\(n.p)_ctx_ids)")
        let entry = "\(n.P)_CTX_ENTRY("
        for (i, k) in policy.kfuncs.enumerated() {
            out.begin(from: k.range); out.put(entry); out.put(k.name); out.put(", "); out.put(ctxWordName[i]); out.put(")"); out.end()
        }
        out.line("BTF_SET8_END(\(n.p)_ctx_ids)")
        out.line()
        out.comment("The BTF id of \(structType), to recognise this interface's programs.")
        out.line("BTF_ID_LIST(\(n.p)_struct_id)")
        out.line("BTF_ID(struct, \(policy.structName))")
    }

    mutating func filter() {
        section("The verifier filter", """
            \(n.filter)() is the .filter of every set above. It returns 0 for kfunc ids
            outside this policy. For a struct_ops program of \(structType) it allows a kfunc
            when the kfunc's contexts meet the callback's (and, for \(n.P)_REQ_SLEEPABLE, the
            callback may sleep). Struct_ops programs of other interfaces may call none of these
            kfuncs. Other program types reach a kfunc only through the sets registered for them.
            It finds the callback through \(n.P)_PROG_OP_IDX(), which a kernel can override:
            the default reads prog->aux->attach_st_ops_member_off (6.16+); 6.12 to 6.15 keep the
            member index in prog->expected_attach_type.
            """)
        out.line("#ifndef \(n.P)_PROG_OP_IDX")
        out.line("#if defined(KFPOLICY_USERSPACE_TEST)")
        out.line("#define \(n.P)_PROG_OP_IDX(prog) \\")
        out.line("\t((prog)->aux->attach_st_ops_member_off / sizeof(void (*)(void)))")
        out.line("#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)")
        out.line("#define \(n.P)_PROG_OP_IDX(prog) \\")
        out.line("\t((prog)->aux->attach_st_ops_member_off / sizeof(void (*)(void)))")
        out.line("#else")
        out.line("#define \(n.P)_PROG_OP_IDX(prog) ((u32)(prog)->expected_attach_type)")
        out.line("#endif")
        out.line("#endif")
        out.line("#ifndef \(n.P)_PROG_IS_OURS")
        out.line("#define \(n.P)_PROG_IS_OURS(prog) ((prog)->aux->attach_btf_id == \(n.p)_struct_id[0])")
        out.line("#endif")
        out.line()
        out.comment("The context word of a kfunc id, or NULL if the id is not this policy's.")
        out.line("static inline const u32 *\(n.p)_ctx_lookup(u32 kfunc_id)")
        out.line("{")
        out.indent()
        out.line("const struct btf_id_set8 *set = (const struct btf_id_set8 *)&\(n.p)_ctx_ids;")
        out.line("u32 lo = 0, hi = set->cnt;")
        out.line()
        out.block("while (lo < hi) {") { o in
            o.line("u32 mid = lo + (hi - lo) / 2;")
            o.line()
            o.line("if (set->pairs[mid].id == kfunc_id)")
            o.line("\treturn &set->pairs[mid].flags;")
            o.line("if (set->pairs[mid].id < kfunc_id)")
            o.line("\tlo = mid + 1;")
            o.line("else")
            o.line("\thi = mid;")
        }
        out.line("return NULL;")
        out.outdent()
        out.line("}")
        out.line()
        out.comment("May a kfunc with context word kctx be called from a callback with word opctx?")
        out.line("static inline bool \(n.p)_ctx_allows(u32 kctx, u32 opctx)")
        out.line("{")
        out.line("\tif (!(kctx & opctx & \(n.P)_CTX_ALL))")
        out.line("\t\treturn false;")
        out.line("\treturn !(kctx & \(n.P)_REQ_SLEEPABLE) || (opctx & \(n.P)_CB_SLEEPABLE);")
        out.line("}")
        out.line()
        out.line("static inline int \(n.filter)(const struct bpf_prog *prog, u32 kfunc_id)")
        out.line("{")
        out.indent()
        out.line("const u32 *kctx = \(n.p)_ctx_lookup(kfunc_id);")
        out.line("u32 op;")
        out.line()
        out.line("if (!kctx)")
        out.line("\treturn 0; /* not a kfunc of this policy */")
        out.line("if (prog->type != BPF_PROG_TYPE_STRUCT_OPS)")
        out.line("\treturn 0; /* decided by the sets registered for the program type */")
        out.line("if (!\(n.P)_PROG_IS_OURS(prog))")
        out.line("\treturn -EACCES; /* another interface's struct_ops */")
        out.line("op = \(n.P)_PROG_OP_IDX(prog);")
        out.line("if (op >= \(n.P)_NR_OPS)")
        out.line("\treturn -EACCES;")
        out.line("return \(n.p)_ctx_allows(*kctx, \(n.p)_op_ctx[op]) ? 0 : -EACCES;")
        out.outdent()
        out.line("}")
    }

    mutating func registration() {
        section("Registration", """
            One btf_kfunc_id_set per set, each with the filter, and one function that registers
            each set for each program type the policy names. Call it from the subsystem's init.
            """)
        for s in policy.sets {
            out.line("static const struct btf_kfunc_id_set \(n.idSet(s.name)) = {", from: s.range)
            out.line("\t.owner = THIS_MODULE,")
            out.line("\t.set = &\(s.name),", from: s.range)
            out.line("\t.filter = \(n.filter),")
            out.line("};")
            out.line()
        }
        out.line("static const struct \(n.p)_registration {")
        out.line("\tenum bpf_prog_type prog_type;")
        out.line("\tconst struct btf_kfunc_id_set *set;")
        out.line("} \(n.p)_registrations[] \(n.P)_UNUSED = {")
        out.indent()
        for s in policy.sets {
            for t in s.progTypes { out.line("{ \(t.cName), &\(n.idSet(s.name)) },", from: s.range) }
        }
        out.line("{ BPF_PROG_TYPE_UNSPEC, NULL }")
        out.outdent()
        out.line("};")
        out.line()
        out.line("static inline int \(policy.prefix)_register_kfunc_sets(void)")
        out.line("{")
        out.indent()
        out.line("unsigned int i;")
        out.line("int ret;")
        out.line()
        out.line("for (i = 0; \(n.p)_registrations[i].set; i++) {")
        out.indent()
        out.line("ret = register_btf_kfunc_id_set(\(n.p)_registrations[i].prog_type,")
        out.line("\t\t\t\t\t\(n.p)_registrations[i].set);")
        out.line("if (ret)")
        out.line("\treturn ret;")
        out.outdent()
        out.line("}")
        out.line("return 0;")
        out.outdent()
        out.line("}")
    }

    mutating func guards() {
        let may = NestingGraph(policy).contextNesting()
        section("Run-time nesting guards", """
            For kernels that track the running callback's contexts in a per-task word (as 6.12's
            current->scx.kf_mask): \(n.p)_enter() before calling a callback, \(n.p)_leave()
            after, \(n.p)_allowed() in a kfunc. Which contexts may be entered inside which comes
            from the policy's nesting graph, not from bit order: \(n.p)_may_nest[c] is every
            context of a callback reachable from a callback running in c. Given the sched_ext
            policy these answer as 6.12's scx_kf_allow()/scx_kf_allowed() on every nesting the
            graph allows.
            """)
        out.line("static const u32 \(n.p)_may_nest[\(n.P)_NR_CTX] \(n.P)_UNUSED = {")
        out.indent()
        for (i, c) in policy.contexts.enumerated() { out.line("[\(i)] = \(maskExpr(may[i])), /* inside \(c.name) */", from: c.range) }
        out.outdent()
        out.line("};")
        out.line()
        out.comment("The contexts of the innermost running callback: active contexts with no other active context nested inside them.")
        out.line("static inline u32 \(n.p)_innermost(u32 cur)")
        out.line("{")
        out.indent()
        out.line("u32 inner = 0;")
        out.line("unsigned int c;")
        out.line()
        out.line("for (c = 0; c < \(n.P)_NR_CTX; c++)")
        out.line("\tif ((cur & (1u << c)) && !(cur & \(n.p)_may_nest[c] & ~(1u << c)))")
        out.line("\t\tinner |= 1u << c;")
        out.line("return inner;")
        out.outdent()
        out.line("}")
        out.line()
        out.comment("Enter a callback with contexts ctx: false (and nothing changed) if the policy's nesting graph does not allow it here.")
        out.line("static inline bool \(n.p)_enter(u32 *cur, u32 ctx)")
        out.line("{")
        out.indent()
        out.line("u32 inner = \(n.p)_innermost(*cur);")
        out.line("unsigned int c;")
        out.line()
        out.line("ctx &= \(n.P)_CTX_ALL;")
        out.line("if (*cur & ctx)")
        out.line("\treturn false;")
        out.line("for (c = 0; c < \(n.P)_NR_CTX; c++)")
        out.line("\tif ((inner & (1u << c)) && (ctx & ~\(n.p)_may_nest[c]))")
        out.line("\t\treturn false;")
        out.line("*cur |= ctx;")
        out.line("return true;")
        out.outdent()
        out.line("}")
        out.line()
        out.line("static inline void \(n.p)_leave(u32 *cur, u32 ctx)")
        out.line("{")
        out.line("\t*cur &= ~(ctx & \(n.P)_CTX_ALL);")
        out.line("}")
        out.line()
        out.comment("""
            May a kfunc with context word kctx run now? Some running context must be in its mask,
            and no callback may be running nested inside the kfunc's last context (in declared
            order): a dispatch-only kfunc is refused while ops.dequeue runs inside ops.dispatch.
            """)
        out.line("static inline bool \(n.p)_allowed(u32 cur, u32 kctx)")
        out.line("{")
        out.line("\tu32 mask = kctx & \(n.P)_CTX_ALL;")
        out.line()
        out.line("\tif (!(cur & mask))")
        out.line("\t\treturn false;")
        out.line("\treturn !(cur & \(n.p)_may_nest[31 - __builtin_clz(mask)]);")
        out.line("}")
    }

    mutating func dag() {
        section("Verifier-side nesting checks", """
            The nesting graph as tables: \(n.p)_kfunc_invokes[k] lists the callbacks kfunc k may
            call back into, \(n.p)_op_nests[op] the callbacks the kernel runs inside op; which
            kfuncs a callback may call is \(n.p)_ctx_allows(). \(n.p)_check_instance() takes
            one struct_ops map (a bitmap of implemented ops, and for each op the bitmap of kfunc
            indices its program calls), checks that every call is allowed and that the nesting
            it can produce is acyclic, and on failure fills in the offending path.
            """)
        out.line("#define \(n.P)_MAX_INVOKES \(maxInvokes)")
        out.line("#define \(n.P)_MAX_NESTS \(maxNests)")
        out.line("#define \(n.P)_KFUNC_WORDS \(opWords)")
        out.line("#define \(n.P)_NO_OP \(idx == "u16" ? "0xffff" : "0xffffffff")")
        out.line()
        out.line("static const \(idx) \(n.p)_kfunc_invokes[\(n.P)_NR_KFUNCS][\(n.P)_MAX_INVOKES + 1] \(n.P)_UNUSED = {")
        out.indent()
        let noOp = "\(n.P)_NO_OP"
        for (i, k) in policy.kfuncs.enumerated() {
            out.begin(from: k.range); out.put("["); out.put(kfuncIndexName[i]); out.put("] = { ")
            for c in k.invokes { out.put(n.op(policy.callbacks[c].name)); out.put(", ") }
            out.put(noOp); out.put(" },"); out.end()
        }
        out.outdent()
        out.line("};")
        out.line()
        out.line("static const \(idx) \(n.p)_op_nests[\(n.P)_NR_OPS][\(n.P)_MAX_NESTS + 1] \(n.P)_UNUSED = {")
        out.indent()
        var nestsOf = [[Int]](repeating: [], count: policy.callbacks.count)
        for x in policy.nests { nestsOf[x.outer].append(x.inner) }
        for (i, c) in policy.callbacks.enumerated() {
            let inner = nestsOf[i].map { n.op(policy.callbacks[$0].name) }
            out.line("[\(n.op(c.name))] = { \((inner + ["\(n.P)_NO_OP"]).joined(separator: ", ")) },", from: c.range)
        }
        out.outdent()
        out.line("};")
        out.line()
        out.line("#define \(n.P)_MAX_PATH (2 * \(n.P)_NR_OPS + 2)")
        out.line()
        out.comment("""
            Why an instance is refused: \(n.P)_BAD_CALL (path ends in a kfunc the last op may
            not call), \(n.P)_CYCLE (path returns to an op already on it). path[] alternates
            op indices and kfunc indices, starting with an op; kind[i] says which.
            """)
        out.line("enum \(n.p)_verdict { \(n.P)_OK = 0, \(n.P)_BAD_CALL = 1, \(n.P)_CYCLE = 2 };")
        out.line("enum \(n.p)_node { \(n.P)_NODE_OP = 0, \(n.P)_NODE_KFUNC = 1 };")
        out.line()
        out.line("struct \(n.p)_path {")
        out.line("\tunsigned int len;")
        out.line("\t\(idx) node[\(n.P)_MAX_PATH];")
        out.line("\tu8 kind[\(n.P)_MAX_PATH];")
        out.line("};")
        out.line()
        out.line("static inline bool \(n.p)_test_bit(const u64 *words, unsigned int bit)")
        out.line("{")
        out.line("\treturn words[bit / 64] & (1ull << (bit % 64));")
        out.line("}")
        out.line()
        out.comment("""
            implemented: bitmap over op indices (\(n.P)_NR_OPS bits); calls[op]: bitmap over kfunc
            indices that op's program calls. Iterative depth-first search; no recursion.
            """)
        out.line("struct \(n.p)_frame {")
        out.line("\t\(idx) op, k, i, phase;")
        out.line("};")
        out.line()
        let fill = """
            /* The path on the search stack: op, kfunc (or kernel nest), op, ... */
            static inline void \(n.p)_fill_path(struct \(n.p)_path *path, const struct \(n.p)_frame *stack,
            \t\t\t\t\tunsigned int depth, bool last_kfunc)
            {
            \tunsigned int d;

            \tpath->len = 0;
            \tfor (d = 0; d <= depth && path->len + 2 <= \(n.P)_MAX_PATH; d++) {
            \t\tpath->node[path->len] = stack[d].op;
            \t\tpath->kind[path->len++] = \(n.P)_NODE_OP;
            \t\tif (d < depth || last_kfunc) {
            \t\t\tif (stack[d].phase == 0) {
            \t\t\t\tpath->node[path->len] = stack[d].k;
            \t\t\t\tpath->kind[path->len++] = \(n.P)_NODE_KFUNC;
            \t\t\t}
            \t\t}
            \t}
            }

            """
        out.lines(fill)
        out.line("static inline enum \(n.p)_verdict")
        out.line("\(n.p)_check_instance(const u64 *implemented, const u64 (*calls)[\(n.P)_KFUNC_WORDS],")
        out.line("\t\t\tstruct \(n.p)_path *path)")
        out.line("{")
        out.indent()
        out.lines("""
            /* state per op: 0 unvisited, 1 on the path, 2 done */
            u8 state[\(n.P)_NR_OPS];
            struct \(n.p)_frame stack[\(n.P)_NR_OPS + 1];
            unsigned int root, depth, j;
            /* a variable, not the constant: a policy may have no kfunc at all */
            unsigned int nr_kfuncs = \(n.P)_NR_KFUNCS;

            for (j = 0; j < \(n.P)_NR_OPS; j++)
            \tstate[j] = 0;
            for (root = 0; root < \(n.P)_NR_OPS; root++) {
            \tif (!\(n.p)_test_bit(implemented, root) || state[root])
            \t\tcontinue;
            \tdepth = 0;
            \tstack[0].op = root; stack[0].k = 0; stack[0].i = 0; stack[0].phase = 0;
            \tstate[root] = 1;
            \twhile (1) {
            \t\t\(idx) op = stack[depth].op, next = \(n.P)_NO_OP;

            \t\t/* phase 0: kfuncs the op calls, then what each invokes; phase 1: kernel nests */
            \t\twhile (stack[depth].phase == 0 && stack[depth].k < nr_kfuncs) {
            \t\t\t\(idx) k = stack[depth].k;

            \t\t\tif (!\(n.p)_test_bit(calls[op], k)) {
            \t\t\t\tstack[depth].k++;
            \t\t\t\tcontinue;
            \t\t\t}
            \t\t\tif (stack[depth].i == 0 && !\(n.p)_ctx_allows(\(n.p)_kfunc_ctx[k], \(n.p)_op_ctx[op])) {
            \t\t\t\tgoto bad_call;
            \t\t\t}
            \t\t\tif (\(n.p)_kfunc_invokes[k][stack[depth].i] == \(n.P)_NO_OP) {
            \t\t\t\tstack[depth].k++;
            \t\t\t\tstack[depth].i = 0;
            \t\t\t\tcontinue;
            \t\t\t}
            \t\t\tnext = \(n.p)_kfunc_invokes[k][stack[depth].i++];
            \t\t\tif (next < \(n.P)_NR_OPS && \(n.p)_test_bit(implemented, next))
            \t\t\t\tbreak;
            \t\t\tnext = \(n.P)_NO_OP;
            \t\t}
            \t\tif (next == \(n.P)_NO_OP && stack[depth].phase == 0) {
            \t\t\tstack[depth].phase = 1;
            \t\t\tstack[depth].i = 0;
            \t\t}
            \t\t/* rows of members the policy does not declare are all zero: no nests there */
            \t\twhile (next == \(n.P)_NO_OP && stack[depth].phase == 1 && \(n.p)_op_ctx[op] &&
            \t\t       \(n.p)_op_nests[op][stack[depth].i] != \(n.P)_NO_OP) {
            \t\t\tnext = \(n.p)_op_nests[op][stack[depth].i++];
            \t\t\tif (!\(n.p)_test_bit(implemented, next))
            \t\t\t\tnext = \(n.P)_NO_OP;
            \t\t}
            \t\tif (next == \(n.P)_NO_OP) {
            \t\t\tstate[op] = 2;
            \t\t\tif (depth == 0)
            \t\t\t\tbreak;
            \t\t\tdepth--;
            \t\t\tcontinue;
            \t\t}
            \t\tif (state[next] == 1) {
            \t\t\tdepth++;
            \t\t\tstack[depth].op = next;
            \t\t\tgoto cycle;
            \t\t}
            \t\tif (state[next] == 2)
            \t\t\tcontinue;
            \t\tstate[next] = 1;
            \t\tdepth++;
            \t\tstack[depth].op = next; stack[depth].k = 0; stack[depth].i = 0; stack[depth].phase = 0;
            \t}
            }
            return \(n.P)_OK;

            bad_call:
            \t\(n.p)_fill_path(path, stack, depth, true);
            \treturn \(n.P)_BAD_CALL;
            cycle:
            \t\(n.p)_fill_path(path, stack, depth, false);
            \treturn \(n.P)_CYCLE;
            """)
        out.outdent()
        out.line("}")
    }

    mutating func implementations() {
        let impls = policy.kfuncs.enumerated().flatMap { k, kf in kf.impls.flatMap { im in im.callbacks.map { (k, $0, im.symbol) } } }
        section("Context-dependent implementations", """
            Where one BPF-visible kfunc is implemented by different kernel functions in different
            callbacks: \(n.p)_impl_ids holds the BTF ids of the implementing functions, and
            \(n.p)_impl_lookup(op, kfunc index) returns the index of the one to use in that
            callback, or -1 for the kfunc itself.
            """)
        var symbols: [String] = []
        var symbolIndex: [String: Int] = [:]
        for (_, _, s) in impls where symbolIndex[s] == nil { symbolIndex[s] = symbols.count; symbols.append(s) }
        out.line("#define \(n.P)_NR_IMPLS \(impls.count)")
        if !symbols.isEmpty {
            out.line("BTF_ID_LIST(\(n.p)_impl_ids)")
            for s in symbols { out.line("BTF_ID(func, \(s))") }
            out.line()
            out.line("static const char *const \(n.p)_impl_name[] \(n.P)_UNUSED = {")
            out.indent()
            for s in symbols { out.line("\(cString(s)),") }
            out.outdent()
            out.line("};")
        }
        out.line()
        out.line("static const struct \(n.p)_impl {")
        out.line("\t\(idx) op;")
        out.line("\t\(idx) kfunc;")
        out.line("\t\(idx) impl; /* index into \(n.p)_impl_ids */")
        out.line("} \(n.p)_impls[\(n.P)_NR_IMPLS + 1] \(n.P)_UNUSED = {")
        out.indent()
        for (k, c, s) in impls {
            out.line("{ \(n.op(policy.callbacks[c].name)), \(kfuncIndexName[k]), \(symbolIndex[s]!) }, /* \(s) */",
                     from: policy.kfuncs[k].impls.first { $0.callbacks.contains(c) }?.range ?? policy.range)
        }
        out.line("{ \(n.P)_NO_OP, 0, 0 }")
        out.outdent()
        out.line("};")
        out.line()
        out.line("static inline int \(n.p)_impl_lookup(u32 op, u32 kfunc)")
        out.line("{")
        out.indent()
        out.line("unsigned int i;")
        out.line()
        out.line("for (i = 0; \(n.p)_impls[i].op != \(n.P)_NO_OP; i++)")
        out.line("\tif (\(n.p)_impls[i].op == op && \(n.p)_impls[i].kfunc == kfunc)")
        out.line("\t\treturn \(n.p)_impls[i].impl;")
        out.line("return -1;")
        out.outdent()
        out.line("}")
        out.line()
    }
}



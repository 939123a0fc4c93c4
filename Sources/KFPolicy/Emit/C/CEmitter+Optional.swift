// The parts of the header a policy asks for: kfunc indices (for the two parts after them),
// run-time nesting guards (`runtime_guards;`), the instance check (`nesting per_instance;`)
// and the implementation choices (`impl`).

extension HeaderEmitter {
    mutating func kfuncIndex() {
        let own = p.ownKfuncs
        out.line()
        out.comment("The kfuncs of this policy by index, and their BTF ids in the same order.")
        out.line("enum \(n.kfuncEnum) {")
        lines(own, configs: own.map { p.kfuncs[$0].config }) { e, k in
            e.out.line("\t\(e.n.kfuncIndex(e.p.kfuncs[k].name)),", from: e.p.kfuncs[k].range)
        }
        out.line("\t\(n.nrKfuncs)")
        out.line("};")
        out.line()
        out.line("BTF_ID_LIST(\(n.kfuncIDs))")
        lines(own, configs: own.map { p.kfuncs[$0].config }) { e, k in
            e.out.line("BTF_ID(func, \(e.p.kfuncs[k].name))", from: e.p.kfuncs[k].range)
        }
    }

    mutating func guards() {
        let may = NestingGraph(p).contextNesting()
        out.line()
        out.comment("""
            Run-time nesting guards, for a kernel that keeps the running callbacks per task: \
            \(n.enter)() before it calls a callback, \(n.leave)() after, \(n.allowed)() in a kfunc. \
            \(n.mayNest)[c] holds the contexts of the callbacks that may run inside one that runs \
            in context c (the policy's nesting graph).
            """.wrapped(96))
        out.line("static const u32 \(n.mayNest)[] = {")
        for (i, c) in p.contexts.enumerated() {
            out.line("\t[\(i)] = \(maskExpr(may[i])), /* inside \(c.name) */", from: c.range)
        }
        out.line("};")
        out.line()
        out.line("/**")
        out.line(" * struct \(n.running) - the callbacks running on a task")
        out.line(" * @ctx: the contexts of all of them")
        out.line(" * @inner: the contexts of the innermost one, the one whose program calls kfuncs")
        out.line(" */")
        out.line("struct \(n.running) {")
        out.line("\tu32 ctx;")
        out.line("\tu32 inner;")
        out.line("};")
        out.line()
        kernelDoc("\(n.enter)() - enter a callback that runs in contexts ctx",
                  params: [("cur", "the running callbacks"), ("ctx", "the callback's contexts (\(n.opContexts)())"),
                           ("saved", "where to keep what \(n.leave)() restores")],
                  body: ["The callback may run when none of its contexts is running already and the nesting",
                         "graph lets it run inside the innermost running callback."],
                  returns: "true, or false (and *cur unchanged) when it may not run here.")
        wrappedLine("static inline bool \(n.enter)(", ["struct \(n.running) *cur", "u32 ctx",
                    "struct \(n.running) *saved"], joiner: ",", tail: ")")
        out.line("{")
        out.line("\tunsigned int c;")
        out.line()
        out.line("\tctx &= ~\(n.sleepable);")
        out.line("\tif (cur->ctx & ctx)")
        out.line("\t\treturn false;")
        out.line("\tfor (c = 0; c < ARRAY_SIZE(\(n.mayNest)); c++) {")
        out.line("\t\tif ((cur->inner & BIT(c)) && (ctx & ~\(n.mayNest)[c]))")
        out.line("\t\t\treturn false;")
        out.line("\t}")
        out.line("\t*saved = *cur;")
        out.line("\tcur->ctx |= ctx;")
        out.line("\tcur->inner = ctx;")
        out.line("\treturn true;")
        out.line("}")
        out.line()
        out.comment("Leave a callback entered with \(n.enter)().")
        wrappedLine("static inline void \(n.leave)(", ["struct \(n.running) *cur", "const struct \(n.running) *saved"],
                    joiner: ",", tail: ")")
        out.line("{")
        out.line("\t*cur = *saved;")
        out.line("}")
        out.line()
        kernelDoc("\(n.allowed)() - may a kfunc run now",
                  params: [("cur", "the running callbacks"), ("k", "the kfunc")],
                  body: ["The innermost running callback calls it: a dispatch-only kfunc is refused while",
                         "ops.dequeue runs inside ops.dispatch."],
                  returns: "whether the kfunc may be called in a context of that callback.")
        wrappedLine("static inline bool \(n.allowed)(", ["const struct \(n.running) *cur", "enum \(n.kfuncEnum) k"],
                    joiner: ",", tail: ")")
        out.line("{")
        out.line("\tu32 mask;")
        out.line()
        out.line("\tif (!\(n.ctxLookup)(\(n.kfuncIDs)[k], &mask))")
        out.line("\t\treturn false;")
        out.line("\treturn cur->inner & mask;")
        out.line("}")
    }

    mutating func instanceCheck() {
        let nrOps = n.nrOps
        out.line()
        out.line("#define \(nrOps) (sizeof(\(structType)) / sizeof(void (*)(void)))")
        out.line()
        out.line("/**")
        out.line(" * struct \(n.instance) - the ops of one struct_ops map and the kfuncs each calls")
        out.line(" * @ops: the ops it implements")
        out.line(" * @calls: for each op, the kfuncs its program calls")
        out.line(" */")
        out.line("struct \(n.instance) {")
        out.line("\tDECLARE_BITMAP(ops, \(nrOps));")
        out.line("\tDECLARE_BITMAP(calls[\(nrOps)], \(n.nrKfuncs));")
        out.line("};")
        out.line()
        out.comment("The kernel runs op `to` before kfunc `from` returns, or (nest) inside op `from`.")
        out.line("static const struct {")
        out.line("\tu32 from;")
        out.line("\tu32 to;")
        out.line("\tbool nest;")
        out.line("} \(n.nesting)[] = {")
        for k in p.ownKfuncs {
            let kf = p.kfuncs[k]
            for c in kf.invokes {
                out.line("\t{ \(n.kfuncIndex(kf.name)), \(n.opMacro)(\(p.callbacks[c].name)), false },", from: kf.invokesRange)
            }
        }
        for x in p.nests {
            out.line("\t{ \(n.opMacro)(\(p.callbacks[x.outer].name)), \(n.opMacro)(\(p.callbacks[x.inner].name)), true },", from: x.range)
        }
        out.line("};")
        names()
        out.line()
        out.comment("Whether op b of inst can run inside op a; *via is the kfunc between them, or U32_MAX.")
        wrappedLine("static inline bool \(n.nestsInto)(", ["const struct \(n.instance) *inst", "u32 a", "u32 b", "u32 *via"],
                    joiner: ",", tail: ")")
        out.line("{")
        out.line("\tunsigned int i;")
        out.line()
        out.line("\tfor (i = 0; i < ARRAY_SIZE(\(n.nesting)); i++) {")
        out.line("\t\tif (\(n.nesting)[i].to != b)")
        out.line("\t\t\tcontinue;")
        out.line("\t\t*via = \(n.nesting)[i].nest ? U32_MAX : \(n.nesting)[i].from;")
        out.line("\t\tif (\(n.nesting)[i].nest ? \(n.nesting)[i].from == a :")
        out.line("\t\t    test_bit(\(n.nesting)[i].from, inst->calls[a]))")
        out.line("\t\t\treturn true;")
        out.line("\t}")
        out.line("\treturn false;")
        out.line("}")
        out.line()
        out.comment("Describes the cycle path[start] ... path[end] (== path[start]) in buf.")
        wrappedLine("static inline void \(n.describeCycle)(", ["const struct \(n.instance) *inst", "const u32 *path",
                    "unsigned int start", "unsigned int end", "char *buf", "size_t len"], joiner: ",", tail: ")")
        out.line("{")
        out.line("\tsize_t off = 0;")
        out.line("\tunsigned int i;")
        out.line("\tu32 via;")
        out.line()
        out.line("\tfor (i = start; i < end; i++) {")
        out.line("\t\tconst char *k = \"\";")
        out.line()
        out.line("\t\tif (\(n.nestsInto)(inst, path[i], path[i + 1], &via) && via != U32_MAX)")
        out.line("\t\t\tk = \(n.kfuncNames)[via];")
        out.line("\t\toff += scnprintf(buf + off, len - off, \"ops.%s -> %s%s\",")
        out.line("\t\t\t\t \(n.opNames)[path[i]], k, *k ? \" -> \" : \"\");")
        out.line("\t}")
        out.line("\tscnprintf(buf + off, len - off, \"ops.%s\", \(n.opNames)[path[end]]);")
        out.line("}")
        out.line()
        kernelDoc("\(n.checkInstance)() - refuse an instance whose callbacks can nest in a cycle",
                  params: [("inst", "the ops a struct_ops map implements and the kfuncs each calls"),
                           ("buf", "where a cycle is described, as \"ops.a -> kfunc -> ops.b -> ops.a\""),
                           ("len", "the size of buf")],
                  body: ["Call it when the map is registered (.validate or .reg)."],
                  returns: "0, or -ELOOP with the cycle in buf.")
        wrappedLine("static inline int \(n.checkInstance)(", ["const struct \(n.instance) *inst", "char *buf", "size_t len"],
                    joiner: ",", tail: ")")
        out.line("{")
        out.line("\tu8 state[\(nrOps)] = {}; /* 0 new, 1 on the path, 2 done */")
        out.line("\tu32 path[\(nrOps) + 1], next[\(nrOps) + 1], via;")
        out.line("\tunsigned int root, depth, b, start;")
        out.line()
        out.line("\tfor_each_set_bit(root, inst->ops, \(nrOps)) {")
        out.line("\t\tif (state[root])")
        out.line("\t\t\tcontinue;")
        out.line("\t\tdepth = 0;")
        out.line("\t\tpath[0] = root;")
        out.line("\t\tnext[0] = 0;")
        out.line("\t\tstate[root] = 1;")
        out.line("\t\tfor (;;) {")
        out.line("\t\t\tfor (b = next[depth]; b < \(nrOps); b++) {")
        out.line("\t\t\t\tif (test_bit(b, inst->ops) &&")
        out.line("\t\t\t\t    \(n.nestsInto)(inst, path[depth], b, &via))")
        out.line("\t\t\t\t\tbreak;")
        out.line("\t\t\t}")
        out.line("\t\t\tif (b == \(nrOps)) {")
        out.line("\t\t\t\tstate[path[depth]] = 2;")
        out.line("\t\t\t\tif (!depth)")
        out.line("\t\t\t\t\tbreak;")
        out.line("\t\t\t\tdepth--;")
        out.line("\t\t\t\tcontinue;")
        out.line("\t\t\t}")
        out.line("\t\t\tnext[depth] = b + 1;")
        out.line("\t\t\tif (state[b] == 2)")
        out.line("\t\t\t\tcontinue;")
        out.line("\t\t\tif (state[b] == 1) {")
        out.line("\t\t\t\tstart = 0;")
        out.line("\t\t\t\twhile (path[start] != b)")
        out.line("\t\t\t\t\tstart++;")
        out.line("\t\t\t\tpath[++depth] = b;")
        out.line("\t\t\t\t\(n.describeCycle)(inst, path, start, depth, buf, len);")
        out.line("\t\t\t\treturn -ELOOP;")
        out.line("\t\t\t}")
        out.line("\t\t\tstate[b] = 1;")
        out.line("\t\t\tpath[++depth] = b;")
        out.line("\t\t\tnext[depth] = 0;")
        out.line("\t\t}")
        out.line("\t}")
        out.line("\treturn 0;")
        out.line("}")
    }

    /// The names of ops and kfuncs, for the instance check's message.
    mutating func names() {
        out.line()
        out.line("static const char * const \(n.opNames)[] = {")
        lines(p.callbacks, configs: p.callbacks.map(\.config)) { e, c in
            e.out.line("\t[\(e.n.opMacro)(\(c.name))] = \"\(c.name)\",", from: c.range)
        }
        out.line("};")
        out.line()
        out.line("static const char * const \(n.kfuncNames)[] = {")
        lines(p.ownKfuncs, configs: p.ownKfuncs.map { p.kfuncs[$0].config }) { e, k in
            e.out.line("\t[\(e.n.kfuncIndex(e.p.kfuncs[k].name))] = \"\(e.p.kfuncs[k].name)\",", from: e.p.kfuncs[k].range)
        }
        out.line("};")
    }

    mutating func implementations() {
        let kfuncs = p.ownKfuncs.filter { !p.kfuncs[$0].impls.isEmpty }
        guard !kfuncs.isEmpty else { return }
        var symbols: [String] = []
        for k in kfuncs { for i in p.kfuncs[k].impls where !symbols.contains(i.symbol) { symbols.append(i.symbol) } }
        out.line()
        out.comment("The function that implements a kfunc in a callback: \(n.implDefault) for the kfunc itself.")
        out.line("enum \(n.implEnum) {")
        out.line("\t\(n.implDefault),")
        for s in symbols { out.line("\t\(n.impl(s)),") }
        out.line("};")
        for k in kfuncs {
            let kf = p.kfuncs[k]
            out.line()
            out.comment("The implementation of \(kf.name)() when op calls it.")
            out.line("static inline enum \(n.implEnum) \(n.implFunction(kf.name))(u32 op)", from: kf.range)
            out.line("{")
            out.line("\tswitch (op) {")
            for i in kf.impls {
                lines(i.callbacks, configs: i.callbacks.map { p.callbacks[$0].config }) { e, c in
                    e.out.line("\tcase \(e.n.opMacro)(\(e.p.callbacks[c].name)):", from: i.range)
                }
                out.line("\t\treturn \(n.impl(i.symbol));", from: i.range)
            }
            out.line("\tdefault:")
            out.line("\t\treturn \(n.implDefault);")
            out.line("\t}")
            out.line("}")
        }
    }
}

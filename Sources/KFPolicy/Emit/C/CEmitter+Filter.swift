// The verifier side of the header: whose struct_ops program is being verified, which callback
// it implements, the filter itself, the sleepable rule for .check_member, and registration.

extension HeaderEmitter {
    mutating func ownership() {
        out.line()
        if p.forms.isEmpty {
            out.line("BTF_ID_LIST_SINGLE(\(n.structIDs), struct, \(p.structName))")
        } else {
            out.line("BTF_ID_LIST(\(n.structIDs))")
            for s in [p.structName] + p.forms.map(\.policy.structName) { out.line("BTF_ID(struct, \(s))") }
        }
        if !p.structInVmlinux {
            out.line()
            out.line("static const struct btf *\(n.structBTF);")
            out.line()
            kernelDoc("\(n.initBTF)() - remember the BTF that defines \(structType)",
                      params: [("btf", "the BTF that the struct_ops .init callback receives")],
                      body: ["Call it from the struct_ops .init callback. Until then the filter refuses this",
                             "policy's kfuncs to every struct_ops program."])
            out.line("static inline void \(n.initBTF)(const struct btf *btf)")
            out.line("{")
            out.line("\tWRITE_ONCE(\(n.structBTF), btf);")
            out.line("}")
        }
        if !p.kernel.hasMemberOffset {
            out.line()
            out.comment("""
                The op index of one of our programs. Before 6.16 the verifier keeps only the index of
                the member among all members, data members included (expected_attach_type): its
                offset comes from BTF. U32_MAX when BTF does not say.
                """)
            out.line("static inline u32 \(n.progOp)(const struct bpf_prog *prog)")
            out.line("{")
            out.line("\tconst struct btf_type *t = btf_type_by_id(prog->aux->attach_btf, prog->aux->attach_btf_id);")
            out.line("\tu32 i = prog->expected_attach_type;")
            out.line()
            out.line("\tif (!t || !btf_type_is_struct(t) || i >= btf_type_vlen(t))")
            out.line("\t\treturn U32_MAX;")
            out.line("\treturn __btf_member_bit_offset(t, btf_type_member(t) + i) / BITS_PER_BYTE /")
            out.line("\t       sizeof(void (*)(void));")
            out.line("}")
        }
    }

    mutating func filter() {
        out.line()
        out.comment("The contexts a kfunc of this policy may be called from; false for another kfunc.")
        out.line("static inline bool \(n.ctxLookup)(u32 kfunc_id, u32 *ctx)")
        out.line("{")
        out.line("\tbool found = false;")
        out.line("\tunsigned int i;")
        out.line()
        out.line("\t*ctx = 0;")
        out.line("\tfor (i = 0; i < ARRAY_SIZE(\(n.kfuncCtx)); i++) {")
        out.line("\t\tif (!btf_id_set8_contains(\(n.kfuncCtx)[i].set, kfunc_id))")
        out.line("\t\t\tcontinue;")
        out.line("\t\t*ctx |= \(n.kfuncCtx)[i].ctx;")
        out.line("\t\tfound = true;")
        if rows.contains(where: { $0.mask == p.allContexts }) {
            out.line("\t\tif (*ctx == \(maskExpr(p.allContexts)))")
            out.line("\t\t\tbreak; /* every context: the narrower rows below add nothing */")
        }
        out.line("\t}")
        out.line("\treturn found;")
        out.line("}")
        out.line()
        kernelDoc("\(n.filter)() - the verifier's filter for the kfunc sets of this policy",
                  params: [("prog", "the program being verified"), ("kfunc_id", "the BTF id of a kfunc it calls")],
                  body: ["A struct_ops program of \(structType) may call a kfunc when the contexts of its",
                         "callback meet the kfunc's; struct_ops programs of other interfaces may call none",
                         "of them. Programs of other types reach a kfunc through the sets registered for",
                         "their kfunc hook. The verifier itself keeps KF_SLEEPABLE kfuncs to sleepable",
                         "programs, and \(n.checkMember)() keeps those to the callbacks that accept them."],
                  returns: p.module == nil
                    ? "0 to allow the call or for a kfunc of another policy, -EACCES to refuse it."
                    : "0 to allow the call, -EACCES to refuse it.")
        out.line("static int \(n.filter)(const struct bpf_prog *prog, u32 kfunc_id)")
        out.line("{")
        out.line("\tu32 ctx, op, op_ctx;")
        out.line()
        out.line("\tif (!\(n.ctxLookup)(kfunc_id, &ctx))")
        if p.module == nil {
            out.line("\t\treturn 0;")
        } else {
            out.line("\t\treturn -EACCES; /* every kfunc of the module is the policy's */")
        }
        out.line("\tif (prog->type != BPF_PROG_TYPE_STRUCT_OPS)")
        out.line("\t\treturn 0; /* registered for this program type's kfunc hook */")
        if !p.structInVmlinux {
            // Module BTF ids start where vmlinux's end, so ids of two modules can be equal.
            out.line("\tif (prog->aux->attach_btf != READ_ONCE(\(n.structBTF)))")
            out.line("\t\treturn -EACCES; /* another module's struct_ops */")
        }
        if p.kernel.hasMemberOffset {
            out.line("\tif (!prog->aux->st_ops)")
            out.line("\t\treturn 0; /* first verifier pass: decided again when the call is verified */")
            out.line("\top = prog->aux->attach_st_ops_member_off / sizeof(void (*)(void));")
        } else {
            out.line("\top = \(n.progOp)(prog);")
        }
        if p.forms.isEmpty {
            out.line("\tif (prog->aux->attach_btf_id != \(n.structIDs)[0])")
            out.line("\t\treturn -EACCES; /* another interface's struct_ops */")
            denials(p.deniedSets.map { p.sets[$0.set].name }, indent: "\t", from: p.range)
            out.line("\top_ctx = \(n.opContexts)(op);")
        } else {
            // Each struct has its callback table; a form's programs are refused what it denies.
            let structs = [(p, n, p.range)] + p.forms.map { ($0.policy, CNamer($0.policy), $0.range) }
            for (i, (q, qn, range)) in structs.enumerated() {
                out.line("\t\(i == 0 ? "if" : "} else if") (prog->aux->attach_btf_id == \(n.structIDs)[\(i)]) {", from: range)
                denials(q.deniedSets.map { q.sets[$0.set].name }, indent: "\t\t", from: range)
                out.line("\t\top_ctx = \(qn.opContexts)(op);")
            }
            out.line("\t} else {")
            out.line("\t\treturn -EACCES; /* another interface's struct_ops */")
            out.line("\t}")
        }
        out.line("\treturn ctx & op_ctx ? 0 : -EACCES;")
        out.line("}")
    }

    /// One check_member for the struct and its forms: a form's programs are told apart by the
    /// struct they attach to, as the filter tells them apart.
    mutating func checkMember() {
        let forms = p.forms.map { CNamer($0.policy) }
        let structs = ([structType] + p.forms.map { "struct \($0.policy.structName)" }).joined(separator: " or ")
        out.line()
        kernelDoc("\(n.checkMember)() - the sleepable rule, as struct bpf_struct_ops.check_member",
                  params: [("t", "\(structs) in BTF"), ("member", "the member a program implements"),
                           ("prog", "the program")],
                  returns: "0, or -EINVAL for a sleepable program in a callback that does not accept one.")
        wrappedLine("static inline int \(n.checkMember)(", ["const struct btf_type *t", "const struct btf_member *member",
                    "const struct bpf_prog *prog"], joiner: ",", tail: ")")
        out.line("{")
        out.line("\tu32 op = __btf_member_bit_offset(t, member) / BITS_PER_BYTE / sizeof(void (*)(void));")
        if forms.isEmpty {
            out.line()
            out.line("\tif (prog->sleepable && !(\(n.opContexts)(op) & \(n.sleepable)))")
        } else {
            out.line("\tu32 op_ctx;")
            out.line()
            for (i, f) in forms.enumerated() {
                out.line("\t\(i == 0 ? "if" : "else if") (prog->aux->attach_btf_id == \(n.structIDs)[\(i + 1)])")
                out.line("\t\top_ctx = \(f.opContexts)(op);")
            }
            out.line("\telse")
            out.line("\t\top_ctx = \(n.opContexts)(op);")
            out.line("\tif (prog->sleepable && !(op_ctx & \(n.sleepable)))")
        }
        out.line("\t\treturn -EINVAL;")
        out.line("\treturn 0;")
        out.line("}")
    }

    mutating func registration() {
        let registered = p.ownSets.filter { !p.sets[$0].progTypes.isEmpty }
        for s in registered {
            let set = p.sets[s]
            out.line()
            out.line("static const struct btf_kfunc_id_set \(n.idSet(set.name)) = {", from: set.range)
            let fields = ["\t.owner = THIS_MODULE,", ".set = &\(set.name),", ".filter = \(n.filter),"]
            let oneLine = fields.joined(separator: " ")
            if oneLine.replacingAll("\t", with: "        ").count <= 100 {
                out.line(oneLine)
            } else {
                out.line(fields[0])
                for f in fields.dropFirst() { out.line("\t" + f) }
            }
            out.line("};")
        }
        out.line()
        kernelDoc("\(n.register)() - register the kfunc sets of this policy",
                  body: ["Each set for each program type the policy names; call it once, from the",
                         "subsystem's init."],
                  returns: "0, or the first error of register_btf_kfunc_id_set().")
        out.line("static inline int \(n.register)(void)")
        out.line("{")
        out.line("\tstatic const struct {")
        out.line("\t\tenum bpf_prog_type type;")
        out.line("\t\tconst struct btf_kfunc_id_set *set;")
        out.line("\t} regs[] = {")
        let regs = registered.flatMap { s in p.sets[s].progTypes.map { (s, $0) } }
        lines(regs, configs: regs.map { p.sets[$0.0].config }) { e, r in
            e.out.line("\t\t{ \(r.1.cName), &\(e.n.idSet(e.p.sets[r.0].name)) },", from: e.p.sets[r.0].range)
        }
        out.line("\t};")
        out.line("\tunsigned int i;")
        out.line("\tint ret;")
        out.line()
        out.line("\tfor (i = 0; i < ARRAY_SIZE(regs); i++) {")
        out.line("\t\tret = register_btf_kfunc_id_set(regs[i].type, regs[i].set);")
        out.line("\t\tif (ret)")
        out.line("\t\t\treturn ret;")
        out.line("\t}")
        out.line("\treturn 0;")
        out.line("}")
    }

    /// Refusals of the kfuncs of `sets` (`deny set`).
    mutating func denials(_ sets: [String], indent: String, from range: SourceRange) {
        for s in sets {
            out.line("\(indent)if (btf_id_set8_contains(&\(s), kfunc_id))", from: range)
            out.line("\(indent)\treturn -EACCES;", from: range)
        }
    }

    /// A kernel-doc comment for a function.
    mutating func kernelDoc(_ title: String, params: [(String, String)] = [], body: [String] = [], returns: String? = nil) {
        out.line("/**")
        out.line(" * \(title)")
        for (name, text) in params { out.line(" * @\(name): \(text)") }
        if !body.isEmpty {
            out.line(" *")
            for l in body { out.line(" * \(l)") }
        }
        if let returns {
            out.line(" *")
            out.line(" * Return: \(returns)")
        }
        out.line(" */")
    }
}

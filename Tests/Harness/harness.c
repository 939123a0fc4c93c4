// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Userspace harness for a generated kfpolicy header. The test suite writes prelude.h (the
 * policy's struct with a data member first and callbacks in a shuffled order, its BTF, the
 * BTF ids, the generated header and what the harness walks: kfuncs, callbacks, sets) and
 * compiles this file with it. It prints one line per decision; the test compares every line
 * with the model's decision function.
 *
 * It emulates how the verifier consults kfunc sets (6.12 kernel/bpf/btf.c, in our words): a
 * program type reaches the sets registered for its kfunc hook, and every filter registered for
 * that hook must return 0. A struct_ops program is made as libbpf and the verifier make it:
 * attach_btf_id and attach_btf name the struct, expected_attach_type is the member's index
 * (data members count), and from 6.16 attach_st_ops_member_off its byte offset once st_ops is
 * known.
 */
#include "kfpolicy_userspace.h"
#include "prelude.h"

static struct {
	enum bpf_prog_type type;
	const struct btf_kfunc_id_set *set;
} regs[256];
static int nregs;

int register_btf_kfunc_id_set(enum bpf_prog_type type, const struct btf_kfunc_id_set *s)
{
	if (nregs == 256)
		return -ENOMEM;
	regs[nregs].type = type;
	regs[nregs].set = s;
	nregs++;
	return 0;
}

/*
 * The kfunc hook of a program type (bpf_prog_type_to_kfunc_hook): raw_tracepoint programs have
 * none in 6.12 and share the tracing hook from 7.0 on (RAW_TP_KFUNCS).
 */
static int hook_of(enum bpf_prog_type t)
{
	switch (t) {
	case BPF_PROG_TYPE_TRACING: case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_PERF_EVENT: case BPF_PROG_TYPE_LSM:
		return BPF_PROG_TYPE_TRACING;
	case BPF_PROG_TYPE_CGROUP_SKB: case BPF_PROG_TYPE_CGROUP_SOCK: case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_DEVICE: case BPF_PROG_TYPE_CGROUP_SOCKOPT: case BPF_PROG_TYPE_CGROUP_SYSCTL:
		return BPF_PROG_TYPE_CGROUP_SKB;
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
#ifdef RAW_TP_KFUNCS
		return BPF_PROG_TYPE_TRACING;
#else
		return -1;
#endif
	default:
		return t;
	}
}

/*
 * 1 when the verifier would let prog call the kfunc with this id: a set registered for the
 * program's kfunc hook holds it, a KF_SLEEPABLE kfunc is called from a sleepable program, and
 * no filter of the hook refuses it.
 */
static int verifier_allows(const struct bpf_prog *prog, u32 id)
{
	int hook = hook_of(prog->type);
	const u32 *pair = NULL;

	for (int i = 0; i < nregs && !pair; i++)
		if (hook >= 0 && hook_of(regs[i].type) == hook)
			pair = btf_id_set8_contains(regs[i].set->set, id);
	if (!pair || ((pair[1] & KF_SLEEPABLE) && !prog->sleepable))
		return 0;
	for (int i = 0; i < nregs; i++)
		if (hook_of(regs[i].type) == hook && regs[i].set->filter && regs[i].set->filter(prog, id))
			return 0;
	return 1;
}

static const char *const prog_type_names[KFP_NR_PROG_TYPES] = {
	[BPF_PROG_TYPE_STRUCT_OPS] = "struct_ops", [BPF_PROG_TYPE_TRACING] = "tracing",
	[BPF_PROG_TYPE_SYSCALL] = "syscall", [BPF_PROG_TYPE_LSM] = "lsm",
	[BPF_PROG_TYPE_KPROBE] = "kprobe", [BPF_PROG_TYPE_TRACEPOINT] = "tracepoint",
	[BPF_PROG_TYPE_RAW_TRACEPOINT] = "raw_tracepoint", [BPF_PROG_TYPE_PERF_EVENT] = "perf_event",
	[BPF_PROG_TYPE_XDP] = "xdp", [BPF_PROG_TYPE_SCHED_CLS] = "sched_cls",
	[BPF_PROG_TYPE_SCHED_ACT] = "sched_act", [BPF_PROG_TYPE_CGROUP_SKB] = "cgroup_skb",
	[BPF_PROG_TYPE_CGROUP_SOCK] = "cgroup_sock", [BPF_PROG_TYPE_CGROUP_SOCK_ADDR] = "cgroup_sock_addr",
	[BPF_PROG_TYPE_SK_SKB] = "sk_skb", [BPF_PROG_TYPE_NETFILTER] = "netfilter",
};

static const struct btf_type struct_type = { ARRAY_SIZE(struct_members), struct_members };
static struct btf struct_btf = { STRUCT_BTF_ID, &struct_type };
static struct btf other_btf = { STRUCT_BTF_ID, &struct_type }; /* another module, same id */
static const char st_ops_stand_in; /* prog->aux->st_ops once the verifier knows it */

/* A struct_ops program of the policy's struct implementing callback c, as the verifier sees it. */
static void as_callback(struct bpf_prog *prog, int c)
{
	prog->type = BPF_PROG_TYPE_STRUCT_OPS;
	prog->aux->attach_btf_id = STRUCT_BTF_ID;
	prog->aux->attach_btf = &struct_btf;
	prog->expected_attach_type = callbacks[c].member;
	prog->aux->attach_st_ops_member_off = callbacks[c].off;
	prog->aux->st_ops = (const struct bpf_struct_ops *)&st_ops_stand_in;
}

#ifdef HAS_KFUNCS
static void layout(void)
{
	for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++) {
		u32 w = 0;
		bool found = CTX_LOOKUP(kfuncs[k].id, &w);

		printf("W %s %s %u\n", kfuncs[k].name, found ? "found" : "missing", w);
		for (unsigned int s = 0; s < ARRAY_SIZE(sets); s++) {
			const u32 *pair = btf_id_set8_contains(sets[s], kfuncs[k].id);

			if (pair)
				printf("F %s %u %u\n", kfuncs[k].name, pair[1], sets[s]->flags);
		}
	}
}

static void struct_ops_programs(struct bpf_prog *prog)
{
	for (unsigned int c = 0; c < ARRAY_SIZE(callbacks); c++) {
		const struct btf_member *m = &struct_members[callbacks[c].member];

		as_callback(prog, c);
		/* The program is sleepable when the callback accepts one (the model's reading). */
		prog->sleepable = 1;
		prog->sleepable = CHECK_MEMBER(&struct_type, m, prog) == 0;
		printf("S %s %d\n", callbacks[c].name, prog->sleepable);
		for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
			printf("C %s %s %d\n", kfuncs[k].name, callbacks[c].name, verifier_allows(prog, kfuncs[k].id));
		prog->sleepable = 0;
		if (CHECK_MEMBER(&struct_type, m, prog))
			printf("X check_member refuses a non-sleepable program in %s\n", callbacks[c].name);
		/* Another module's struct with the same type id: none of this policy's kfuncs. */
		prog->aux->attach_btf = &other_btf;
		for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
			if (MODULE_STRUCT && verifier_allows(prog, kfuncs[k].id))
				printf("X a colliding struct id of another BTF may call %s\n", kfuncs[k].name);
	}
	/* A member the policy does not declare (the data member first): nothing allowed. */
	as_callback(prog, 0);
	prog->expected_attach_type = 0;
	prog->aux->attach_st_ops_member_off = 0;
	for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
		if (verifier_allows(prog, kfuncs[k].id))
			printf("X the data member may call %s\n", kfuncs[k].name);
	/* A member index past the struct: nothing allowed. */
	prog->expected_attach_type = ARRAY_SIZE(struct_members) + 3;
	prog->aux->attach_st_ops_member_off = 8 * (ARRAY_SIZE(struct_members) + 40);
	for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
		if (verifier_allows(prog, kfuncs[k].id))
			printf("X an op past the struct may call %s\n", kfuncs[k].name);
#ifdef MEMBER_OFF
	/* The verifier's first pass, before st_ops is known: decided again when st_ops is. */
	as_callback(prog, 0);
	prog->aux->st_ops = NULL;
	for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
		printf("Q %s %d\n", kfuncs[k].name, FILTER(prog, kfuncs[k].id) == 0);
#endif
	/* Ids that are not this policy's: not a vmlinux filter's business, refused by a module's. */
	if (FILTER(prog, 77777) != (MODULE_STRUCT || MODULE_SETS ? -EACCES : 0))
		printf("X filter answers %d for a foreign id\n", FILTER(prog, 77777));
}

#ifdef HAS_FORM
/* Struct_ops programs of the first form's struct: the same filter, the form's callback table. */
static void form_programs(struct bpf_prog *prog)
{
	static const struct btf_type form_type = { ARRAY_SIZE(form_members), form_members };
	static struct btf form_btf = { FORM_BTF_ID, &form_type };

	for (unsigned int c = 0; c < ARRAY_SIZE(form_callbacks); c++) {
		as_callback(prog, 0);
		prog->aux->attach_btf_id = FORM_BTF_ID;
		if (!MODULE_STRUCT)
			prog->aux->attach_btf = &form_btf;
		prog->expected_attach_type = form_callbacks[c].member;
		prog->aux->attach_st_ops_member_off = form_callbacks[c].off;
		prog->sleepable = 1;
		prog->sleepable = FORM_CHECK_MEMBER(&form_type, &form_members[form_callbacks[c].member], prog) == 0;
		printf("E %s %d\n", form_callbacks[c].name, prog->sleepable);
		for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
			printf("D %s %s %d\n", kfuncs[k].name, form_callbacks[c].name, verifier_allows(prog, kfuncs[k].id));
		prog->sleepable = 0;
	}
}
#endif

/* Programs of other types, and of other interfaces' structs: sleepable ones, where they may be. */
static void other_programs(struct bpf_prog *prog)
{
	as_callback(prog, 0);
	prog->sleepable = 1;
	prog->aux->attach_btf_id = STRUCT_BTF_ID + 1;
	for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
		printf("P %s struct_ops %d\n", kfuncs[k].name, verifier_allows(prog, kfuncs[k].id));
	for (int t = BPF_PROG_TYPE_TRACING; t <= BPF_PROG_TYPE_NETFILTER; t++) {
		prog->type = (enum bpf_prog_type)t;
		for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
			printf("P %s %s %d\n", kfuncs[k].name, prog_type_names[t], verifier_allows(prog, kfuncs[k].id));
	}
	prog->sleepable = 0;
}

#endif

#ifdef HAS_GUARDS
static void guards(void)
{
	for (unsigned int a = 0; a < ARRAY_SIZE(callbacks); a++) {
		u32 ca = OP_CONTEXTS(callbacks[a].off / 8);
		RUNNING cur = { 0 }, before = { 0 }, outer;

		if (!ENTER(&cur, ca, &outer))
			printf("X cannot enter %s\n", callbacks[a].name);
		for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
			printf("G %s %s %d\n", kfuncs[k].name, callbacks[a].name, ALLOWED(&cur, k) ? 1 : 0);
		for (unsigned int b = 0; b < ARRAY_SIZE(callbacks); b++) {
			u32 cb = OP_CONTEXTS(callbacks[b].off / 8);
			RUNNING inner = cur, saved;
			int ok = ENTER(&inner, cb, &saved);

			printf("N %s %s %d", callbacks[a].name, callbacks[b].name, ok);
			if (ok) {
				printf(" ");
				for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
					printf("%d", ALLOWED(&inner, k) ? 1 : 0);
				LEAVE(&inner, &saved);
				if (memcmp(&inner, &cur, sizeof(cur)))
					printf(" X leave did not restore");
			}
			printf("\n");
		}
		LEAVE(&cur, &outer);
		if (memcmp(&cur, &before, sizeof(cur)))
			printf("X leaving %s did not restore\n", callbacks[a].name);
	}
}
#endif

#ifdef HAS_INSTANCE
/* Every callback implemented, each calling every kfunc the model lets it call. */
static void instance(void)
{
	static INSTANCE inst;
	char buf[512] = "";
	int v;

	for (unsigned int c = 0; c < ARRAY_SIZE(callbacks); c++) {
		set_bit(callbacks[c].off / 8, inst.ops);
		for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
			if (allowed_in[c][k] == '1')
				set_bit(k, inst.calls[callbacks[c].off / 8]);
	}
	v = CHECK_INSTANCE(&inst, buf, sizeof(buf));
	printf("A %d %s\n", v, buf);
	memset(&inst, 0, sizeof(inst));
	printf("A %d\n", CHECK_INSTANCE(&inst, buf, sizeof(buf)));
}
#endif

int main(void)
{
	struct bpf_prog_aux aux = { 0 };
	struct bpf_prog prog = { .aux = &aux };

#ifndef HAS_KFUNCS
	(void)prog_type_names;
	(void)other_btf;
	/* A policy without kfuncs: the header has only contexts, callbacks and check_member. */
	for (unsigned int c = 0; c < ARRAY_SIZE(callbacks); c++) {
		as_callback(&prog, c);
		prog.sleepable = 1;
		printf("S %s %d\n", callbacks[c].name,
		       CHECK_MEMBER(&struct_type, &struct_members[callbacks[c].member], &prog) == 0);
	}
	return 0;
#else
	if (REGISTER())
		return 2;
#endif
#ifdef HAS_KFUNCS
	if (MODULE_STRUCT) {
		/* Before the struct_ops .init hands over the BTF, nothing is allowed. */
		as_callback(&prog, 0);
		for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
			if (verifier_allows(&prog, kfuncs[k].id))
				printf("X %s allowed before the BTF is known\n", kfuncs[k].name);
		INIT_BTF(&struct_btf);
	}
#endif
#ifdef HAS_KFUNCS
	layout();
	struct_ops_programs(&prog);
#ifdef HAS_FORM
	form_programs(&prog);
#endif
	other_programs(&prog);
#endif
#ifdef HAS_GUARDS
	guards();
#endif
#ifdef HAS_INSTANCE
	instance();
#endif
	for (unsigned int c = 0; c < ARRAY_SIZE(callbacks); c++)
		for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++)
			if (impl_of(k, callbacks[c].off / 8))
				printf("M %s %s %s\n", kfuncs[k].name, callbacks[c].name, impl_of(k, callbacks[c].off / 8));
	return 0;
}

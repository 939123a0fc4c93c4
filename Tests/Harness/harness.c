// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Userspace harness for a generated kfpolicy header. The test suite writes prelude.h (the
 * policy's struct with callbacks in a shuffled order, the BTF ids, the generated header and
 * name macros) and compiles this file with it. It prints one line per decision; the test
 * compares every line with the model's decision function.
 *
 * It emulates how the verifier consults kfunc sets (6.12 kernel/bpf/btf.c, in our words):
 * a kfunc is visible to a program type when a set registered for that type holds its id;
 * then every filter registered for that type must return 0.
 */
#include "kfpolicy_userspace.h"
#include "prelude.h"
#include <stdio.h>
#include <string.h>

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

static bool set_has(const struct btf_id_set8 *s, u32 id, u32 *flags)
{
	for (u32 i = 0; i < s->cnt; i++)
		if (s->pairs[i].id == id) {
			if (flags)
				*flags = s->pairs[i].flags;
			return true;
		}
	return false;
}

/* 1 when the verifier would let prog call the kfunc with this id. */
static int verifier_allows(const struct bpf_prog *prog, u32 id)
{
	bool visible = false;

	for (int i = 0; i < nregs; i++)
		if (regs[i].type == prog->type && set_has(regs[i].set->set, id, NULL))
			visible = true;
	if (!visible)
		return 0;
	for (int i = 0; i < nregs; i++)
		if (regs[i].type == prog->type && regs[i].set->filter && regs[i].set->filter(prog, id))
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

int main(void)
{
	struct bpf_prog_aux aux = { 0 };
	struct bpf_prog prog = { .aux = &aux };
	u32 ids[KP(NR_KFUNCS) + 1];

	if (REGISTER())
		return 2;
	for (int k = 0; k < KP(NR_KFUNCS); k++)
		ids[k] = kfunc_ids[k];

	/* Layout: every kfunc's word in the context set, its flags in each of its sets. */
	for (int k = 0; k < KP(NR_KFUNCS); k++) {
		u32 w = 0;
		const struct btf_id_set8 *cs = (const struct btf_id_set8 *)&kp(ctx_ids);

		bool found = set_has(cs, ids[k], &w);

		printf("W %s %s %u\n", kp(kfunc_name)[k], found ? "found" : "missing", w);
		for (int r = 0; r < nregs; r++) {
			u32 f = 0;

			if (r > 0 && regs[r].set == regs[r - 1].set)
				continue;
			if (set_has(regs[r].set->set, ids[k], &f))
				printf("F %s %u %u\n", kp(kfunc_name)[k], f, regs[r].set->set->flags);
		}
	}

	/* Struct_ops programs of this interface, one per declared callback. */
	prog.type = BPF_PROG_TYPE_STRUCT_OPS;
	aux.attach_btf_id = STRUCT_BTF_ID;
	for (int c = 0; c < KP(NR_CALLBACKS); c++) {
		unsigned int op = kp(callbacks)[c];

		aux.attach_st_ops_member_off = op * sizeof(void (*)(void));
		for (int k = 0; k < KP(NR_KFUNCS); k++)
			printf("C %s %s %d\n", kp(kfunc_name)[k], kp(op_name)[op], verifier_allows(&prog, ids[k]));
	}
	/* A member index out of range, and a data member: nothing allowed. */
	aux.attach_st_ops_member_off = (KP(NR_OPS) + 3) * sizeof(void (*)(void));
	for (int k = 0; k < KP(NR_KFUNCS); k++)
		if (verifier_allows(&prog, ids[k]))
			printf("X out-of-range op allows %s\n", kp(kfunc_name)[k]);
	/* Ids that are not this policy's: the filter must answer 0 (not its business). */
	if (FILTER(&prog, 77777) != 0)
		printf("X filter refuses a foreign id\n");

	/* Struct_ops of another interface, then every other program type. */
	aux.attach_btf_id = STRUCT_BTF_ID + 1;
	for (int k = 0; k < KP(NR_KFUNCS); k++)
		printf("P %s struct_ops %d\n", kp(kfunc_name)[k], verifier_allows(&prog, ids[k]));
	for (int t = BPF_PROG_TYPE_TRACING; t < KFP_NR_PROG_TYPES; t++) {
		prog.type = (enum bpf_prog_type)t;
		for (int k = 0; k < KP(NR_KFUNCS); k++)
			printf("P %s %s %d\n", kp(kfunc_name)[k], prog_type_names[t], verifier_allows(&prog, ids[k]));
	}

	/* Run-time guards: one callback, then each callback nested inside another. */
	for (int a = 0; a < KP(NR_CALLBACKS); a++) {
		unsigned int oa = kp(callbacks)[a];
		u32 cur = 0;

		if (!kp(enter)(&cur, kp(op_ctx)[oa]))
			printf("X cannot enter %s\n", kp(op_name)[oa]);
		for (int k = 0; k < KP(NR_KFUNCS); k++)
			printf("G %s %s %d\n", kp(kfunc_name)[k], kp(op_name)[oa],
			       kp(allowed)(cur, kp(kfunc_ctx)[k]) ? 1 : 0);
		for (int b = 0; b < KP(NR_CALLBACKS); b++) {
			unsigned int ob = kp(callbacks)[b];
			u32 inner = cur;
			int ok = kp(enter)(&inner, kp(op_ctx)[ob]);

			printf("N %s %s %d", kp(op_name)[oa], kp(op_name)[ob], ok);
			if (ok) {
				printf(" ");
				for (int k = 0; k < KP(NR_KFUNCS); k++)
					printf("%d", kp(allowed)(inner, kp(kfunc_ctx)[k]) ? 1 : 0);
				kp(leave)(&inner, kp(op_ctx)[ob]);
				if (inner != cur)
					printf(" X leave did not restore");
			}
			printf("\n");
		}
		kp(leave)(&cur, kp(op_ctx)[oa]);
	}

	/* Verifier-side instance check: one op calling one kfunc. */
	for (int c = 0; c < KP(NR_CALLBACKS); c++) {
		unsigned int op = kp(callbacks)[c];
		for (int k = 0; k < KP(NR_KFUNCS); k++) {
			u64 impl[(KP(NR_OPS) + 63) / 64 + 1];
			u64 calls[KP(NR_OPS)][KP(KFUNC_WORDS)];
			struct kp(path) path;
			int v;

			memset(impl, 0, sizeof(impl));
			memset(calls, 0, sizeof(calls));
			impl[op / 64] |= 1ull << (op % 64);
			calls[op][k / 64] |= 1ull << (k % 64);
			v = kp(check_instance)(impl, (const u64 (*)[KP(KFUNC_WORDS)])calls, &path);
			printf("I %s %s %d", kp(kfunc_name)[k], kp(op_name)[op], v);
			for (unsigned int i = 0; v && i < path.len; i++)
				printf(" %s", path.kind[i] == KP(NODE_OP) ? kp(op_name)[path.node[i]] : kp(kfunc_name)[path.node[i]]);
			printf("\n");
		}
	}

	/* Whole instance: every callback implemented, each calling every kfunc it may call. */
	{
		u64 impl[(KP(NR_OPS) + 63) / 64 + 1];
		u64 calls[KP(NR_OPS)][KP(KFUNC_WORDS)];
		struct kp(path) path;
		int v;

		memset(impl, 0, sizeof(impl));
		memset(calls, 0, sizeof(calls));
		for (int c = 0; c < KP(NR_CALLBACKS); c++) {
			unsigned int op = kp(callbacks)[c];

			impl[op / 64] |= 1ull << (op % 64);
			for (int k = 0; k < KP(NR_KFUNCS); k++)
				if (kp(ctx_allows)(kp(kfunc_ctx)[k], kp(op_ctx)[op]))
					calls[op][k / 64] |= 1ull << (k % 64);
		}
		v = kp(check_instance)(impl, (const u64 (*)[KP(KFUNC_WORDS)])calls, &path);
		printf("A %d\n", v);
		/* Members the policy does not declare (data, or callbacks it leaves out) add nothing. */
		for (unsigned int op = 0; op < KP(NR_OPS); op++)
			impl[op / 64] |= 1ull << (op % 64);
		v = kp(check_instance)(impl, (const u64 (*)[KP(KFUNC_WORDS)])calls, &path);
		printf("A %d\n", v);
	}

	/* Implementations. */
	for (int c = 0; c < KP(NR_CALLBACKS); c++) {
		unsigned int op = kp(callbacks)[c];
		for (int k = 0; k < KP(NR_KFUNCS); k++) {
			int i = kp(impl_lookup)(op, k);
			if (i >= 0)
				printf("M %s %s %s\n", kp(kfunc_name)[k], kp(op_name)[op], IMPL_NAME(i));
		}
	}
	return 0;
}

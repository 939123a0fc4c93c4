// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Cost per decision of a generated kfpolicy filter, against a model of the hand-written
 * approach, in userspace (Tests/Harness/kfpolicy_userspace.h lays out .BTF_ids as the kernel
 * does). Built by scripts/bench.sh with a prelude from bench/prelude.py.
 *
 * The hand-written model is what a subsystem writes without kfpolicy (sched_ext's own
 * verifier-time filter in later kernels has this shape): the kfuncs grouped into id sets, one
 * per context class (kfuncs allowed in the same contexts), each a sorted set8 searched in turn
 * the way btf_id_set8_contains() searches (binary search), then one lookup in a per-op table
 * of allowed groups. It must give the generated filter's answers; the program checks that on
 * every (callback, kfunc) pair before timing. Our own code; it copies no kernel code.
 */
#include "kfpolicy_userspace.h"
#include "prelude.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

int register_btf_kfunc_id_set(enum bpf_prog_type type, const struct btf_kfunc_id_set *s)
{
	(void)type;
	(void)s;
	return 0;
}

/* ---- The hand-written model ---- */

static struct btf_id_set8 *groups[KP(NR_KFUNCS) + 1];
static u32 group_word[KP(NR_KFUNCS) + 1];
static unsigned int ngroups;
#define GROUP_WORDS ((KP(NR_KFUNCS) + 31) / 32 + 1)
static u32 op_groups[KP(NR_OPS)][GROUP_WORDS];

/* As btf_id_set8_contains(): a binary search over the sorted pairs. */
static bool set8_contains(const struct btf_id_set8 *set, u32 id)
{
	u32 lo = 0, hi = set->cnt;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (set->pairs[mid].id == id)
			return true;
		if (set->pairs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int handwritten_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	unsigned int g, op;

	for (g = 0; g < ngroups; g++)
		if (set8_contains(groups[g], kfunc_id))
			break;
	if (g == ngroups)
		return 0;
	if (prog->type != BPF_PROG_TYPE_STRUCT_OPS)
		return 0;
	if (prog->aux->attach_btf_id != STRUCT_BTF_ID)
		return -EACCES;
	op = prog->aux->attach_st_ops_member_off / sizeof(void (*)(void));
	if (op >= KP(NR_OPS))
		return -EACCES;
	return (op_groups[op][g / 32] >> (g % 32)) & 1 ? 0 : -EACCES;
}

/* Groups in the order their first kfunc is declared; per op, the groups whose word it allows. */
static void build_model(void)
{
	for (int k = 0; k < KP(NR_KFUNCS); k++) {
		unsigned int g;

		for (g = 0; g < ngroups && group_word[g] != kp(kfunc_ctx)[k]; g++)
			;
		if (g == ngroups) {
			groups[g] = calloc(1, sizeof(struct btf_id_set8) + 8 * KP(NR_KFUNCS));
			group_word[g] = kp(kfunc_ctx)[k];
			ngroups++;
		}
		groups[g]->pairs[groups[g]->cnt++].id = kfunc_ids[k];
	}
	for (unsigned int g = 0; g < ngroups; g++) {
		qsort(groups[g]->pairs, groups[g]->cnt, 8, kfp_cmp_pair);
		for (unsigned int op = 0; op < KP(NR_OPS); op++)
			if (kp(ctx_allows)(group_word[g], kp(op_ctx)[op]))
				op_groups[op][g / 32] |= 1u << (g % 32);
	}
}

/* ---- Timing ---- */

typedef int (*filter_fn)(const struct bpf_prog *, u32);

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define NQ 4096
static struct bpf_prog_aux auxes[NQ];
static struct bpf_prog progs[NQ];
static u32 qids[NQ];

/* Best of 7 runs of `rounds` passes over the NQ queries, in ns per decision. */
static double time_filter(filter_fn volatile f, int rounds)
{
	double best = 1e30;
	volatile int sink = 0;

	for (int run = 0; run < 7; run++) {
		double t0 = now_ns();

		for (int r = 0; r < rounds; r++)
			for (int q = 0; q < NQ; q++)
				sink += f(&progs[q], qids[q]);
		double t = (now_ns() - t0) / ((double)rounds * NQ);

		if (t < best)
			best = t;
	}
	(void)sink;
	return best;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 2000;
	unsigned int disagree = 0, checked = 0;
	u64 seed = 0x6b66706f6c696379ull;

	build_model();
	/* The model must answer as the generated filter on every (callback, kfunc) pair. */
	for (int c = 0; c < KP(NR_CALLBACKS); c++)
		for (int k = 0; k < KP(NR_KFUNCS); k++) {
			struct bpf_prog_aux aux = { .attach_btf_id = STRUCT_BTF_ID,
						    .attach_st_ops_member_off = kp(callbacks)[c] * sizeof(void (*)(void)) };
			struct bpf_prog prog = { .type = BPF_PROG_TYPE_STRUCT_OPS, .aux = &aux };

			disagree += (FILTER(&prog, kfunc_ids[k]) == 0) != (handwritten_filter(&prog, kfunc_ids[k]) == 0);
			checked++;
		}
	if (disagree) {
		fprintf(stderr, "filter_bench: the model disagrees with the generated filter on %u of %u pairs\n", disagree, checked);
		return 1;
	}
	/* Queries: struct_ops programs of this interface, a random callback and kfunc each. */
	for (int q = 0; q < NQ; q++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		auxes[q].attach_btf_id = STRUCT_BTF_ID;
		auxes[q].attach_st_ops_member_off = kp(callbacks)[(seed >> 33) % KP(NR_CALLBACKS)] * sizeof(void (*)(void));
		progs[q].type = BPF_PROG_TYPE_STRUCT_OPS;
		progs[q].aux = &auxes[q];
		qids[q] = kfunc_ids[(seed >> 17) % KP(NR_KFUNCS)];
	}
	double gen = time_filter(FILTER, rounds);
	double hand = time_filter(handwritten_filter, rounds);

	printf("kfuncs %d callbacks %d groups %u checked %u gen_ns %.2f hand_ns %.2f ratio %.2f\n", KP(NR_KFUNCS),
	       KP(NR_CALLBACKS), ngroups, checked, gen, hand, gen / hand);
	return 0;
}

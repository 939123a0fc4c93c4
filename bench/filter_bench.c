// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Cost per decision of the generated sched_ext filter (Generated/scx_kfpolicy.h) against a
 * model of the filter mainline writes by hand (scx_kfunc_context_filter, kernel/sched/ext/ext.c
 * at 3bd46666), in userspace: Tests/Harness/kfpolicy_userspace.h lays out .BTF_ids as the
 * kernel does and searches a set as btf_id_set8_contains() does (bsearch over sorted pairs).
 * Built and run by scripts/bench.sh with a prelude from bench/prelude.py.
 *
 * The model is our own code, written from the facts in docs/kernel/sched_ext-mainline.md: it
 * tests the kfunc against each of mainline's ten sets, then decides by program type, by struct
 * and by one allow table indexed by the member's byte offset (the cid form shares the cpu
 * form's layout and table). It uses the header's sets, which hold mainline's kfuncs.
 *
 * Before timing, the two must reach the same verdict on every (struct, member, sleepable or
 * not, kfunc) and for TRACING and SYSCALL programs. A verdict is what a program sees: the kfunc
 * is in a set registered for the program's hook, the filter allows it, and a KF_SLEEPABLE kfunc
 * needs a sleepable program (the verifier's own rule; mainline's filter leaves it to that).
 */
#include "kfpolicy_userspace.h"

/* The two structs as mainline lays them out (CONFIG_EXT_GROUP_SCHED on). */
#define SCX_SHARED_MIDDLE(select, set_mask, dump_c, grp)                                   \
	void (*select)(void), (*enqueue)(void), (*dequeue)(void), (*dispatch)(void);        \
	void (*tick)(void), (*runnable)(void), (*running)(void), (*stopping)(void);         \
	void (*quiescent)(void), (*yield)(void), (*core_sched_before)(void);                \
	void (*set_weight)(void), (*set_mask)(void), (*update_idle)(void);                  \
	void (*init_task)(void), (*exit_task)(void), (*enable)(void), (*disable)(void);     \
	void (*dump)(void), (*dump_c)(void), (*dump_task)(void);                            \
	void (*grp##_init)(void), (*grp##_exit)(void), (*grp##_prep_move)(void);            \
	void (*grp##_move)(void), (*grp##_cancel_move)(void), (*grp##_set_weight)(void);    \
	void (*grp##_set_bandwidth)(void), (*grp##_set_idle)(void);                         \
	void (*sub_attach)(void), (*sub_detach)(void), (*sub_caps_updated)(void);           \
	void (*sub_ecaps_updated)(void)
#define SCX_DATA                                                                            \
	u32 dispatch_max_batch;                                                             \
	u64 flags;                                                                          \
	u32 timeout_ms, exit_dump_len;                                                      \
	u64 hotplug_seq;                                                                    \
	u32 cid_shard_size, rescue_bandwidth_ppt, rescue_quantum_us;                        \
	u64 sub_cgroup_id;                                                                  \
	char name[128];                                                                     \
	void *priv

struct sched_ext_ops {
	SCX_SHARED_MIDDLE(select_cpu, set_cpumask, dump_cpu, cgroup);
	void (*cpu_online)(void), (*cpu_offline)(void), (*init_cids)(void), (*init)(void), (*exit)(void);
	SCX_DATA;
	void (*cpu_acquire)(void), (*cpu_release)(void);
};

struct sched_ext_ops_cid {
	SCX_SHARED_MIDDLE(select_cid, set_cmask, dump_cid, cpuctl);
	void (*cid_online)(void), (*cid_offline)(void), (*init_cids)(void), (*init)(void), (*exit)(void);
	SCX_DATA;
};

#include "prelude.h"
#include <time.h>

/* What the generated header registers, recorded by register_btf_kfunc_id_set(). */
static struct {
	enum bpf_prog_type type;
	const struct btf_id_set8 *set;
} regs[64];
static unsigned int nregs;

int register_btf_kfunc_id_set(enum bpf_prog_type type, const struct btf_kfunc_id_set *s)
{
	regs[nregs].type = type;
	regs[nregs++].set = s->set;
	return 0;
}

static bool gen_registered(enum bpf_prog_type type, u32 id)
{
	for (unsigned int i = 0; i < nregs; i++)
		if (regs[i].type == type && btf_id_set8_contains(regs[i].set, id))
			return true;
	return false;
}

/* ---- The model of mainline's filter ---- */

static const char model_cpu_ops, model_cid_ops; /* stand-ins for the two bpf_struct_ops */
#define MODEL_CPU_OPS ((const struct bpf_struct_ops *)&model_cpu_ops)
#define MODEL_CID_OPS ((const struct bpf_struct_ops *)&model_cid_ops)

enum { UNLOCKED = 1, INIT_CIDS = 2, CPU_RELEASE = 4, DISPATCH = 8, ENQUEUE = 16, SELECT_CPU = 32 };
#define OPI(m) (offsetof(struct sched_ext_ops, m) / sizeof(void (*)(void)))
#define NR_OPS (sizeof(struct sched_ext_ops) / sizeof(void (*)(void)))

static const u32 allow[NR_OPS] = {
	[OPI(select_cpu)] = SELECT_CPU | ENQUEUE, [OPI(enqueue)] = SELECT_CPU | ENQUEUE,
	[OPI(dispatch)] = ENQUEUE | DISPATCH, [OPI(cpu_release)] = CPU_RELEASE,
	[OPI(init_task)] = UNLOCKED, [OPI(dump)] = UNLOCKED, [OPI(cgroup_init)] = UNLOCKED,
	[OPI(cgroup_exit)] = UNLOCKED, [OPI(cgroup_prep_move)] = UNLOCKED,
	[OPI(cgroup_cancel_move)] = UNLOCKED, [OPI(cgroup_set_weight)] = UNLOCKED,
	[OPI(cgroup_set_bandwidth)] = UNLOCKED, [OPI(cgroup_set_idle)] = UNLOCKED,
	[OPI(sub_attach)] = UNLOCKED, [OPI(sub_detach)] = UNLOCKED,
	[OPI(sub_ecaps_updated)] = ENQUEUE | DISPATCH, [OPI(cpu_online)] = UNLOCKED,
	[OPI(cpu_offline)] = UNLOCKED, [OPI(init_cids)] = UNLOCKED | INIT_CIDS,
	[OPI(init)] = UNLOCKED, [OPI(exit)] = UNLOCKED,
};

/* Members bpf_scx_check_member lets be sleepable programs (cpu-form offsets). */
static bool model_may_sleep(u32 op)
{
	static const u32 ops[] = {
		OPI(init_task), OPI(cgroup_init), OPI(cgroup_exit), OPI(cgroup_prep_move),
		OPI(cgroup_set_bandwidth), OPI(sub_attach), OPI(sub_detach), OPI(cpu_online),
		OPI(cpu_offline), OPI(init_cids), OPI(init), OPI(exit),
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i] == op)
			return true;
	return false;
}

static int model_filter(const struct bpf_prog *prog, u32 id)
{
	bool unlocked = btf_id_set8_contains(&scx_kfunc_ids_unlocked, id);
	bool init_cids = btf_id_set8_contains(&scx_kfunc_ids_init_cids, id);
	bool select_cpu = btf_id_set8_contains(&scx_kfunc_ids_select_cpu, id);
	bool enqueue = btf_id_set8_contains(&scx_kfunc_ids_enqueue_dispatch, id);
	bool dispatch = btf_id_set8_contains(&scx_kfunc_ids_dispatch, id);
	bool cpu_release = btf_id_set8_contains(&scx_kfunc_ids_cpu_release, id);
	bool idle = btf_id_set8_contains(&scx_kfunc_ids_idle, id);
	bool any = btf_id_set8_contains(&scx_kfunc_ids_any, id);
	bool cpu_only = btf_id_set8_contains(&scx_kfunc_ids_cpu_only, id);
	bool cid = btf_id_set8_contains(&scx_kfunc_ids_cid, id);
	u32 flags;

	if (!unlocked && !init_cids && !select_cpu && !enqueue && !dispatch && !cpu_release &&
	    !idle && !any && !cid)
		return 0;
	if (prog->type == BPF_PROG_TYPE_SYSCALL)
		return unlocked || select_cpu || idle || any || cid ? 0 : -EACCES;
	if (prog->type != BPF_PROG_TYPE_STRUCT_OPS)
		return idle || any || cid ? 0 : -EACCES;
	if (!prog->aux->st_ops)
		return 0;
	if (prog->aux->st_ops != MODEL_CPU_OPS && prog->aux->st_ops != MODEL_CID_OPS)
		return -EACCES;
	if (prog->aux->st_ops == MODEL_CID_OPS && cpu_only)
		return -EACCES;
	if (idle || any || cid)
		return 0;
	flags = allow[prog->aux->attach_st_ops_member_off / sizeof(void (*)(void))];
	if (((flags & UNLOCKED) && unlocked) || ((flags & INIT_CIDS) && init_cids) ||
	    ((flags & CPU_RELEASE) && cpu_release) || ((flags & DISPATCH) && dispatch) ||
	    ((flags & ENQUEUE) && enqueue) || ((flags & SELECT_CPU) && select_cpu))
		return 0;
	return -EACCES;
}

static bool model_registered(enum bpf_prog_type type, u32 id)
{
	bool governed = btf_id_set8_contains(&scx_kfunc_ids_idle, id) ||
			btf_id_set8_contains(&scx_kfunc_ids_any, id) ||
			btf_id_set8_contains(&scx_kfunc_ids_cid, id);
	bool unlocked = btf_id_set8_contains(&scx_kfunc_ids_unlocked, id) ||
			btf_id_set8_contains(&scx_kfunc_ids_select_cpu, id);

	switch (type) {
	case BPF_PROG_TYPE_STRUCT_OPS:
		return governed || unlocked || btf_id_set8_contains(&scx_kfunc_ids_init_cids, id) ||
		       btf_id_set8_contains(&scx_kfunc_ids_enqueue_dispatch, id) ||
		       btf_id_set8_contains(&scx_kfunc_ids_dispatch, id) ||
		       btf_id_set8_contains(&scx_kfunc_ids_cpu_release, id);
	case BPF_PROG_TYPE_SYSCALL:
		return governed || unlocked;
	case BPF_PROG_TYPE_TRACING:
		return governed;
	default:
		return false;
	}
}

/* ---- Agreement ---- */

static u32 kf_flags(u32 id)
{
	for (unsigned int i = 0; i < nregs; i++) {
		const struct btf_id_set8 *s = regs[i].set;

		for (u32 j = 0; j < s->cnt; j++)
			if (s->pairs[j].id == id)
				return s->pairs[j].flags;
	}
	return 0;
}

static bool verdict(bool registered, int filter, const struct bpf_prog *prog, u32 id)
{
	return registered && filter == 0 && (!(kf_flags(id) & KF_SLEEPABLE) || prog->sleepable);
}

static const u32 cpu_offs[] = {
	OPI(select_cpu), OPI(enqueue), OPI(dequeue), OPI(dispatch), OPI(tick), OPI(runnable),
	OPI(running), OPI(stopping), OPI(quiescent), OPI(yield), OPI(core_sched_before),
	OPI(set_weight), OPI(set_cpumask), OPI(update_idle), OPI(init_task), OPI(exit_task),
	OPI(enable), OPI(disable), OPI(dump), OPI(dump_cpu), OPI(dump_task), OPI(cgroup_init),
	OPI(cgroup_exit), OPI(cgroup_prep_move), OPI(cgroup_move), OPI(cgroup_cancel_move),
	OPI(cgroup_set_weight), OPI(cgroup_set_bandwidth), OPI(cgroup_set_idle), OPI(sub_attach),
	OPI(sub_detach), OPI(cpu_online), OPI(cpu_offline), OPI(init_cids), OPI(init), OPI(exit),
	OPI(cpu_acquire), OPI(cpu_release),
};
/* The cid form: every member up to priv, at the offset of its cpu-form sibling. */
#define CID(m) (offsetof(struct sched_ext_ops_cid, m) / sizeof(void (*)(void)))
static const u32 cid_offs[] = {
	CID(select_cid), CID(enqueue), CID(dequeue), CID(dispatch), CID(tick), CID(runnable),
	CID(running), CID(stopping), CID(quiescent), CID(yield), CID(core_sched_before),
	CID(set_weight), CID(set_cmask), CID(update_idle), CID(init_task), CID(exit_task),
	CID(enable), CID(disable), CID(dump), CID(dump_cid), CID(dump_task), CID(cpuctl_init),
	CID(cpuctl_exit), CID(cpuctl_prep_move), CID(cpuctl_move), CID(cpuctl_cancel_move),
	CID(cpuctl_set_weight), CID(cpuctl_set_bandwidth), CID(cpuctl_set_idle), CID(sub_attach),
	CID(sub_detach), CID(sub_caps_updated), CID(sub_ecaps_updated), CID(cid_online),
	CID(cid_offline), CID(init_cids), CID(init), CID(exit),
};

static void struct_ops_prog(struct bpf_prog *prog, struct bpf_prog_aux *aux, int form, u32 op)
{
	aux->attach_btf_id = scx_struct_ids[form];
	aux->st_ops = form ? MODEL_CID_OPS : MODEL_CPU_OPS;
	aux->attach_st_ops_member_off = op * sizeof(void (*)(void));
	prog->type = BPF_PROG_TYPE_STRUCT_OPS;
	prog->aux = aux;
}

/* Every decision, both ways; returns the number compared, or -1 after printing a disagreement. */
static int compare_all(void)
{
	static const enum bpf_prog_type others[] = { BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_SYSCALL };
	struct bpf_prog_aux aux = { 0 };
	struct bpf_prog prog = { 0 };
	int n = 0;

	for (unsigned int k = 0; k < ARRAY_SIZE(kfuncs); k++) {
		u32 id = kfuncs[k].id;

		for (int form = 0; form < 2; form++) {
			unsigned int nops = form ? ARRAY_SIZE(cid_offs) : ARRAY_SIZE(cpu_offs);

			for (unsigned int o = 0; o < nops; o++) {
				u32 op = form ? cid_offs[o] : cpu_offs[o];

				for (int sl = 0; sl <= (int)model_may_sleep(op); sl++) {
					struct_ops_prog(&prog, &aux, form, op);
					prog.sleepable = sl;
					bool g = verdict(gen_registered(prog.type, id), scx_kfunc_filter(&prog, id), &prog, id);
					bool m = verdict(model_registered(prog.type, id), model_filter(&prog, id), &prog, id);

					if (g != m) {
						fprintf(stderr, "filter_bench: %s from op %u of the %s form%s: generated %d, mainline %d\n",
							kfuncs[k].name, op, form ? "cid" : "cpu", sl ? " (sleepable)" : "", g, m);
						return -1;
					}
					n++;
				}
			}
		}
		for (unsigned int t = 0; t < ARRAY_SIZE(others); t++) {
			prog = (struct bpf_prog){ .type = others[t], .aux = &aux };
			bool g = verdict(gen_registered(prog.type, id), scx_kfunc_filter(&prog, id), &prog, id);
			bool m = verdict(model_registered(prog.type, id), model_filter(&prog, id), &prog, id);

			if (g != m) {
				fprintf(stderr, "filter_bench: %s from program type %d: generated %d, mainline %d\n",
					kfuncs[k].name, others[t], g, m);
				return -1;
			}
			n++;
		}
	}
	return n;
}

/* ---- Timing ---- */

typedef int (*filter_fn)(const struct bpf_prog *, u32);

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define NQ 4096
static struct bpf_prog_aux auxes[NQ];
static struct bpf_prog progs[NQ];
static u32 qids[NQ];

/* One run: `rounds` passes over the NQ queries, in ns per decision. */
static double time_run(filter_fn volatile f, int rounds)
{
	volatile int sink = 0;
	double t0 = now_ns();

	for (int r = 0; r < rounds; r++)
		for (int q = 0; q < NQ; q++)
			sink += f(&progs[q], qids[q]);
	(void)sink;
	return (now_ns() - t0) / ((double)rounds * NQ);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	u64 seed = 0x6b66706f6c696379ull;
	int checked;

	if (scx_register_kfunc_sets())
		return 1;
	checked = compare_all();
	if (checked < 0)
		return 1;
	/*
	 * Queries as the verifier makes them: struct_ops programs of either form at a random
	 * member (14 in 16), TRACING and SYSCALL programs (1 in 16 each); a random kfunc of the
	 * header, or one of another subsystem (1 in 8).
	 */
	for (int q = 0; q < NQ; q++) {
		u32 r;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r = seed >> 33;
		if (r % 16 < 14) {
			int form = r % 2;

			struct_ops_prog(&progs[q], &auxes[q], form, form ? cid_offs[(r >> 4) % ARRAY_SIZE(cid_offs)]
									: cpu_offs[(r >> 4) % ARRAY_SIZE(cpu_offs)]);
		} else {
			progs[q].type = r % 16 == 14 ? BPF_PROG_TYPE_TRACING : BPF_PROG_TYPE_SYSCALL;
			progs[q].aux = &auxes[q];
		}
		qids[q] = (r >> 12) % 8 ? kfuncs[(r >> 15) % ARRAY_SIZE(kfuncs)].id : 77;
	}
	/* Best of 21 short runs each, interleaved, so both meet the same phases of the machine. */
	double gen = 1e30, hand = 1e30;

	for (int run = 0; run < 21; run++) {
		double g = time_run(scx_kfunc_filter, rounds), h = time_run(model_filter, rounds);

		gen = g < gen ? g : gen;
		hand = h < hand ? h : hand;
	}

	printf("kfuncs %zu checked %d gen_ns %.2f mainline_ns %.2f ratio %.2f\n", ARRAY_SIZE(kfuncs), checked,
	       gen, hand, gen / hand);
	return 0;
}

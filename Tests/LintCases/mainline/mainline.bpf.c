/* A scheduler for mainline sched_ext (Policies/scx.policy): the kfuncs of 7.x, the ___v2
 * compat wrappers, the generic kfuncs a scheduler uses, a timer armed from ops.init. The right
 * calls must not be reported; each wrong one is, with its chain. */
#include "compat_v2.h"

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ	0
#define HOT_DSQ		1

struct timer_slot {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct timer_slot);
} timers SEC(".maps");

private(ML) struct bpf_cpumask __kptr *hot_cpus;

static bool is_hot(s32 cpu)
{
	const struct cpumask *hot;
	bool ret = false;

	bpf_rcu_read_lock();
	hot = (const struct cpumask *)hot_cpus;
	if (hot)
		ret = bpf_cpumask_test_cpu(cpu, hot);
	bpf_rcu_read_unlock();
	return ret;
}

/* Moves one task to the local DSQ: only ops.dispatch may. */
static bool refill(u64 dsq_id)
{
	return scx_dsq_move_to_local(dsq_id);
}

s32 BPF_STRUCT_OPS(ml_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	s32 cpu = scx_bpf_select_cpu_and(p, prev_cpu, wake_flags, p->cpus_ptr, 0);

	if (cpu >= 0) {
		scx_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
		return cpu;
	}
	return prev_cpu;
}

void BPF_STRUCT_OPS(ml_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 dsq = is_hot(scx_bpf_task_cpu(p)) ? HOT_DSQ : SHARED_DSQ;

	/* Right: ops.enqueue may insert and may run the built-in selection. */
	if (!scx_dsq_insert(p, dsq, SCX_SLICE_DFL, enq_flags))
		scx_bpf_error("insert refused");
	/* Wrong: moving to the local DSQ belongs to ops.dispatch. */
	if (dsq == HOT_DSQ && scx_bpf_dsq_nr_queued(HOT_DSQ) > 8)
		refill(HOT_DSQ);
	// EXPECT-ERROR@move_v2: 'scx_bpf_dsq_move_to_local___v2' is not allowed in ops.enqueue (allowed in: dispatch); called as 'scx_bpf_dsq_move_to_local___v2___compat'
	// EXPECT-CHAIN: mainline_ops.enqueue -> ml_enqueue -> refill -> scx_dsq_move_to_local -> scx_bpf_dsq_move_to_local___v2___compat
	/* Not reported: the ___v1 fallback, dead where the kernel has the ___v2 kfunc (mainline). */
}

void BPF_STRUCT_OPS(ml_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;

	/* Right: the dispatch path. */
	p = scx_bpf_dsq_peek(HOT_DSQ);
	if (p && is_hot(cpu) && refill(HOT_DSQ))
		return;
	if (!refill(SHARED_DSQ) && prev)
		scx_bpf_task_set_slice(prev, SCX_SLICE_DFL);
}

void BPF_STRUCT_OPS(ml_tick, struct task_struct *p)
{
	bool is_idle;

	/* Wrong: the built-in CPU selection needs ops.select_cpu or ops.enqueue. */
	if (scx_bpf_dsq_nr_queued(SHARED_DSQ) > 0)
		scx_bpf_select_cpu_and(p, scx_bpf_task_cpu(p), 0, p->cpus_ptr, 0); // EXPECT-ERROR: 'scx_bpf_select_cpu_and' is not allowed in ops.tick
	// EXPECT-CHAIN: mainline_ops.tick -> ml_tick -> scx_bpf_select_cpu_and
	/* Right: kicking a CPU is allowed everywhere. */
	scx_bpf_kick_cpu(scx_bpf_task_cpu(p), 0);
	(void)is_idle;
}

static int timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	/* Right: a timer callback armed from ops.init runs with its contexts. */
	scx_bpf_dsq_nr_queued(SHARED_DSQ);
	bpf_timer_start(timer, 1000000, 0);
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ml_init)
{
	struct bpf_cpumask *mask;
	struct timer_slot *slot;
	u32 key = 0;
	s32 ret;

	ret = scx_bpf_create_dsq(SHARED_DSQ, -1) ?: scx_bpf_create_dsq(HOT_DSQ, -1);
	if (ret)
		return ret;
	mask = bpf_cpumask_create();
	if (!mask)
		return -ENOMEM;
	bpf_cpumask_set_cpu(0, mask);
	mask = bpf_kptr_xchg(&hot_cpus, mask);
	if (mask)
		bpf_cpumask_release(mask);
	slot = bpf_map_lookup_elem(&timers, &key);
	if (!slot)
		return -ENOENT;
	bpf_timer_init(&slot->timer, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&slot->timer, timer_fn);
	return bpf_timer_start(&slot->timer, 1000000, 0);
}

void BPF_STRUCT_OPS(ml_running, struct task_struct *p)
{
	/* Wrong: ops.running may not insert into a DSQ, in either form. */
	scx_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, 0);
	// EXPECT-ERROR@insert_v2: 'scx_bpf_dsq_insert___v2' is not allowed in ops.running (allowed in: select_cpu, enqueue, dispatch); called as 'scx_bpf_dsq_insert___v2___compat'
	// EXPECT-CHAIN: mainline_ops.running -> ml_running -> scx_dsq_insert -> scx_bpf_dsq_insert___v2___compat
}

void BPF_STRUCT_OPS(ml_dump, struct scx_dump_ctx *dctx)
{
	scx_bpf_dump("shared %d", scx_bpf_dsq_nr_queued(SHARED_DSQ));
}

SCX_OPS_DEFINE(mainline_ops,
	       .select_cpu	= (void *)ml_select_cpu,
	       .enqueue		= (void *)ml_enqueue,
	       .dispatch	= (void *)ml_dispatch,
	       .tick		= (void *)ml_tick,
	       .running		= (void *)ml_running,
	       .init		= (void *)ml_init,
	       .dump		= (void *)ml_dump,
	       .name		= "mainline");

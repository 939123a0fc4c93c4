/* Constant arguments of static functions, as the verifier sees them: a static subprogram is
 * checked with its caller's values, so a branch a constant flag rules out is never explored.
 * ops.enqueue may not call scx_bpf_select_cpu_dfl (6.12: only ops.select_cpu may). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile bool direct_dispatch = true;

/* Right: from ops.enqueue (from_enqueue == true) the built-in selection is never reached. */
static s32 pick_cpu(struct task_struct *p, s32 prev_cpu, u64 wake_flags, bool from_enqueue)
{
	bool is_idle = false;

	if (from_enqueue)
		return scx_bpf_test_and_clear_cpu_idle(prev_cpu) ? prev_cpu : -EBUSY;
	return scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle); // SITE: select_dfl
	// EXPECT-ERROR@select_dfl: 'scx_bpf_select_cpu_dfl' is not allowed in ops.enqueue (allowed in: select_cpu)
	// EXPECT-CHAIN: flags_ops.enqueue -> fl_enqueue -> pick_for_enqueue -> pick_cpu -> scx_bpf_select_cpu_dfl
}

/* The flag passed on through another static function keeps its value. */
static s32 pick_via(struct task_struct *p, s32 prev_cpu, bool from_enqueue)
{
	return pick_cpu(p, prev_cpu, 0, from_enqueue);
}

/* Wrong: a flag the loader sets is not known before loading, so both branches are explored. */
static s32 pick_for_enqueue(struct task_struct *p, s32 prev_cpu)
{
	return pick_cpu(p, prev_cpu, 0, !direct_dispatch);
}

/* A parameter the function changes no longer holds what the caller passed. */
static s32 pick_reset(struct task_struct *p, s32 prev_cpu, bool from_enqueue)
{
	bool is_idle;

	from_enqueue = prev_cpu < 0;
	if (from_enqueue)
		return -EBUSY;
	return scx_bpf_select_cpu_dfl(p, prev_cpu, 0, &is_idle); // EXPECT-ERROR: 'scx_bpf_select_cpu_dfl' is not allowed in ops.enqueue (allowed in: select_cpu)
	// EXPECT-CHAIN: flags_ops.enqueue -> fl_enqueue -> pick_reset -> scx_bpf_select_cpu_dfl
}

s32 BPF_STRUCT_OPS(fl_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	s32 cpu = pick_cpu(p, prev_cpu, wake_flags, false);

	return cpu >= 0 ? cpu : prev_cpu;
}

void BPF_STRUCT_OPS(fl_enqueue, struct task_struct *p, u64 enq_flags)
{
	s32 cpu = pick_cpu(p, scx_bpf_task_cpu(p), 0, true);

	if (cpu < 0)
		cpu = pick_via(p, scx_bpf_task_cpu(p), 1);
	if (cpu < 0)
		cpu = pick_for_enqueue(p, scx_bpf_task_cpu(p));
	if (cpu < 0)
		cpu = pick_reset(p, scx_bpf_task_cpu(p), true);
	scx_bpf_dispatch___compat(p, cpu >= 0 ? SCX_DSQ_LOCAL_ON | cpu : SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(flags_ops,
	       .select_cpu	= (void *)fl_select_cpu,
	       .enqueue		= (void *)fl_enqueue,
	       .name		= "flags");

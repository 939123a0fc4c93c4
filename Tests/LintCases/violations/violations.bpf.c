/* A scheduler with seeded violations: each wrong kfunc call is marked with the error kfpolicy
 * lint must report and the call chain it must give. Calls that are right stay unmarked and must
 * not be reported. */
#include "common.h"

char _license[] SEC("license") = "GPL";

s32 BPF_STRUCT_OPS(bad_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	/* A dispatch-only kfunc straight in ops.select_cpu. */
	scx_bpf_dispatch_cancel(); // EXPECT-ERROR: 'scx_bpf_dispatch_cancel' is not allowed in ops.select_cpu (allowed in: dispatch)
	// EXPECT-CHAIN: bad_ops.select_cpu -> bad_select_cpu -> scx_bpf_dispatch_cancel
	return cpu;
}

void BPF_STRUCT_OPS(bad_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, USER_DSQ, SCX_SLICE_DFL, enq_flags);
	/* ops.enqueue -> balance_queues -> pull_user_dsq -> scx_bpf_consume, in the header. */
	balance_queues(scx_bpf_task_cpu(p));
	// EXPECT-ERROR@pull_consume: 'scx_bpf_consume' is not allowed in ops.enqueue (allowed in: dispatch)
	// EXPECT-CHAIN: bad_ops.enqueue -> bad_enqueue -> balance_queues -> pull_user_dsq -> scx_bpf_consume
	/* A select_cpu-only kfunc in ops.enqueue. */
	scx_bpf_select_cpu_dfl(p, 0, 0, NULL); // EXPECT-ERROR: 'scx_bpf_select_cpu_dfl' is not allowed in ops.enqueue (allowed in: select_cpu)
	// EXPECT-CHAIN: bad_ops.enqueue -> bad_enqueue -> scx_bpf_select_cpu_dfl
}

void BPF_STRUCT_OPS(bad_dispatch, s32 cpu, struct task_struct *prev)
{
	/* All right here: dispatch may consume, cancel and kick. */
	if (PULL_OR_KICK(cpu))
		CANCEL_LAST();
	balance_queues(cpu);
}

void BPF_STRUCT_OPS(bad_running, struct task_struct *p)
{
	/* A macro that calls a helper that calls a dispatch-only kfunc. */
	PULL_OR_KICK(scx_bpf_task_cpu(p));
	// EXPECT-ERROR@pull_consume: 'scx_bpf_consume' is not allowed in ops.running (allowed in: dispatch)
	// EXPECT-CHAIN: bad_ops.running -> bad_running -> [PULL_OR_KICK] -> pull_user_dsq -> scx_bpf_consume
}

void BPF_STRUCT_OPS(bad_stopping, struct task_struct *p, bool runnable)
{
	/* A macro that expands to a dispatch-only kfunc. */
	CANCEL_LAST(); // EXPECT-ERROR: 'scx_bpf_dispatch_cancel' is not allowed in ops.stopping (allowed in: dispatch)
	// EXPECT-CHAIN: bad_ops.stopping -> bad_stopping -> [CANCEL_LAST] -> scx_bpf_dispatch_cancel
}

void BPF_STRUCT_OPS(bad_tick, struct task_struct *p)
{
	/* Two macros deep: MAYBE_REENQ -> REENQ_NOW -> scx_bpf_reenqueue_local (cpu_release only). */
	MAYBE_REENQ(p->scx.slice == 0); // EXPECT-ERROR: 'scx_bpf_reenqueue_local' is not allowed in ops.tick (allowed in: cpu_release)
	// EXPECT-CHAIN: bad_ops.tick -> bad_tick -> [MAYBE_REENQ] -> [REENQ_NOW] -> scx_bpf_reenqueue_local
}

void BPF_STRUCT_OPS(bad_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	MAYBE_REENQ(true);
}

/* Unlocked, so scx_bpf_task_cgroup (rq-locked contexts only) is wrong here. */
s32 BPF_STRUCT_OPS_SLEEPABLE(bad_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct cgroup *cg = scx_bpf_task_cgroup(p); // EXPECT-ERROR: 'scx_bpf_task_cgroup' is not allowed in ops.init_task (allowed in: select_cpu, enqueue, dequeue, dispatch
	// EXPECT-CHAIN: bad_ops.init_task -> bad_init_task -> scx_bpf_task_cgroup

	return cg ? 0 : -1;
}

/* A cleanup function that calls a dispatch-only kfunc when the variable it guards goes out of
 * scope: it runs as part of the callback that declares the variable. */
static void cancel_batch(int *batch)
{
	if (*batch == 0)
		scx_bpf_dispatch_cancel(); // EXPECT-ERROR: 'scx_bpf_dispatch_cancel' is not allowed in ops.quiescent (allowed in: dispatch)
	// EXPECT-CHAIN: bad_ops.quiescent -> bad_quiescent -> cancel_batch -> scx_bpf_dispatch_cancel
}

void BPF_STRUCT_OPS(bad_quiescent, struct task_struct *p, u64 deq_flags)
{
	int batch __attribute__((cleanup(cancel_batch))) = 0;

	batch += p->scx.slice == 0;
}

SCX_OPS_DEFINE(bad_ops,
	       .select_cpu		= (void *)bad_select_cpu,
	       .enqueue			= (void *)bad_enqueue,
	       .dispatch		= (void *)bad_dispatch,
	       .running			= (void *)bad_running,
	       .stopping		= (void *)bad_stopping,
	       .quiescent		= (void *)bad_quiescent,
	       .tick			= (void *)bad_tick,
	       .cpu_release		= (void *)bad_cpu_release,
	       .init_task		= (void *)bad_init_task,
	       .name			= "bad");

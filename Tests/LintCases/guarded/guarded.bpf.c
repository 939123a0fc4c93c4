/* Calls guarded by bpf_ksym_exists() and compat checks. On the target kernel (6.12 here) a
 * weak kfunc it lacks resolves to 0, and the verifier drops the branch that needs it; a kfunc
 * it has leaves the guard true, and the guarded call is checked like any other. */
#include <scx/compat.bpf.h>

char _license[] SEC("license") = "GPL";

#define Q_DSQ 3

void BPF_STRUCT_OPS(gd_enqueue, struct task_struct *p, u64 enq_flags)
{
	/* Right: scx_bpf_dsq_insert does not exist on 6.12, the compat branch is taken. */
	scx_bpf_dsq_insert_any(p, Q_DSQ, SCX_SLICE_DFL, enq_flags);
	/* Right: guards of kfuncs 6.12 lacks; their branches are dead there. */
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local))
		scx_bpf_dsq_move_to_local(Q_DSQ);
	if (__COMPAT_HAS_SELECT_CPU_AND && scx_bpf_now() > 0)
		scx_bpf_select_cpu_and(p, 0, 0, p->cpus_ptr, 0);
	/* Wrong: 6.12 has scx_bpf_dispatch_cancel, so the guard holds and the call is checked. */
	if (bpf_ksym_exists(scx_bpf_dispatch_cancel))
		scx_bpf_dispatch_cancel(); // EXPECT-ERROR: 'scx_bpf_dispatch_cancel' is not allowed in ops.enqueue (allowed in: dispatch)
	// EXPECT-CHAIN: guarded_ops.enqueue -> gd_enqueue -> scx_bpf_dispatch_cancel
	/* Wrong: the fallback of the wrapper is what 6.12 runs, and ops.enqueue may not consume. */
	scx_bpf_dsq_move_to_local_any(Q_DSQ); // EXPECT-ERROR: 'scx_bpf_consume' is not allowed in ops.enqueue (allowed in: dispatch); called as 'scx_bpf_consume___compat'
	// EXPECT-CHAIN: guarded_ops.enqueue -> gd_enqueue -> [scx_bpf_dsq_move_to_local_any] -> scx_bpf_consume___compat
}

void BPF_STRUCT_OPS(gd_dispatch, s32 cpu, struct task_struct *prev)
{
	/* Right in ops.dispatch. */
	if (!scx_bpf_dsq_move_to_local_any(Q_DSQ))
		scx_bpf_kick_cpu(cpu, 0);
}

s32 BPF_STRUCT_OPS(gd_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle;

	/* Right: the compat function's 6.12 path is scx_bpf_select_cpu_dfl, allowed here. */
	return scx_select_cpu_any(p, prev_cpu, wake_flags, &is_idle);
}

void BPF_STRUCT_OPS(gd_running, struct task_struct *p)
{
	bool is_idle;

	/* Wrong: on 6.12 the compat function falls back to scx_bpf_select_cpu_dfl. */
	scx_select_cpu_any(p, scx_bpf_task_cpu(p), 0, &is_idle);
	// EXPECT-ERROR@select_fallback: 'scx_bpf_select_cpu_dfl' is not allowed in ops.running (allowed in: select_cpu)
	// EXPECT-CHAIN: guarded_ops.running -> gd_running -> scx_select_cpu_any -> scx_bpf_select_cpu_dfl
}

s32 BPF_STRUCT_OPS_SLEEPABLE(gd_init)
{
	return scx_bpf_create_dsq(Q_DSQ, -1);
}

SCX_OPS_DEFINE(guarded_ops,
	       .select_cpu	= (void *)gd_select_cpu,
	       .enqueue		= (void *)gd_enqueue,
	       .dispatch	= (void *)gd_dispatch,
	       .running		= (void *)gd_running,
	       .init		= (void *)gd_init,
	       .name		= "guarded");

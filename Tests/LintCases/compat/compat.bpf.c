/* A scheduler written against the 6.13 names through compat wrappers (libbpf flavours chosen
 * with bpf_ksym_exists). 6.12 lacks the new names, so libbpf resolves them to 0 and the verifier
 * drops the branches that call them: they are not reported. The old flavours are checked like
 * the kfuncs they bind to, even where bpf_ksym_exists guards them (6.12 has them). */
#include "compat.bpf.h"

char _license[] SEC("license") = "GPL";

#define MY_DSQ 9

void scx_bpf_dispatch_cancel___compat(void) __ksym __weak;

void BPF_STRUCT_OPS(c_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dsq_insert(p, MY_DSQ, SCX_SLICE_DFL, enq_flags);
	/* Wrong even though the call is guarded: the guard only says the kernel has the kfunc. */
	if (bpf_ksym_exists(scx_bpf_dispatch_cancel___compat))
		scx_bpf_dispatch_cancel___compat(); // EXPECT-ERROR: 'scx_bpf_dispatch_cancel' is not allowed in ops.enqueue (allowed in: dispatch); called as 'scx_bpf_dispatch_cancel___compat'
	// EXPECT-CHAIN: compat_ops.enqueue -> c_enqueue -> scx_bpf_dispatch_cancel___compat
	/* Wrong: the wrapper picks scx_bpf_consume on 6.12, which ops.enqueue may not call. */
	scx_bpf_dsq_move_to_local(MY_DSQ);
	// EXPECT-ERROR@-1: 'scx_bpf_consume' is not allowed in ops.enqueue (allowed in: dispatch); called as 'scx_bpf_consume___compat'
	// EXPECT-CHAIN: compat_ops.enqueue -> c_enqueue -> [scx_bpf_dsq_move_to_local] -> scx_bpf_consume___compat
}

void BPF_STRUCT_OPS(c_dispatch, s32 cpu, struct task_struct *prev)
{
	/* Right: the old flavour is allowed in ops.dispatch (the new one does not exist on 6.12). */
	if (!scx_bpf_dsq_move_to_local(MY_DSQ))
		scx_bpf_kick_cpu(cpu, 0);
	if (!bpf_ksym_exists(scx_bpf_dispatch_cancel___compat))
		return;
	scx_bpf_dispatch_cancel___compat();
}

s32 BPF_STRUCT_OPS_SLEEPABLE(c_init)
{
	if (__COMPAT_scx_bpf_nr_cpu_ids() > 1024)
		return -1;
	return scx_bpf_create_dsq(MY_DSQ, -1);
}

SCX_OPS_DEFINE(compat_ops,
	       .enqueue			= (void *)c_enqueue,
	       .dispatch		= (void *)c_dispatch,
	       .init			= (void *)c_init,
	       .name			= "compat");

/* Sleepable and non-sleepable programs: scx_bpf_create_dsq needs a sleepable program bound to
 * a callback the policy lets be sleepable; a sleepable program may only be bound to such a
 * callback. */
#include "scx_common.bpf.h"

char _license[] SEC("license") = "GPL";

static s32 make_dsqs(s32 nr)
{
	s32 i, ret = 0;

	for (i = 0; i < nr && i < 8; i++) {
		ret = scx_bpf_create_dsq(100 + i, -1); // SITE: make_dsqs_create
		if (ret)
			break;
	}
	return ret;
}

/* Right: a sleepable program for ops.init calls a helper that creates DSQs. */
s32 BPF_STRUCT_OPS_SLEEPABLE(sl_init)
{
	return make_dsqs(4);
}

/* Right: ops.cpu_online may be sleepable. */
void BPF_STRUCT_OPS_SLEEPABLE(sl_cpu_online, s32 cpu)
{
	scx_bpf_create_dsq(200 + cpu, -1);
}

/* Wrong: ops.cpu_offline may be sleepable, but this program is not. */
void BPF_STRUCT_OPS(sl_cpu_offline, s32 cpu)
{
	scx_bpf_destroy_dsq(200 + cpu);
	make_dsqs(1);
	// EXPECT-ERROR@make_dsqs_create: 'scx_bpf_create_dsq' needs a sleepable program, and 'sl_cpu_offline' (SEC("struct_ops/sl_cpu_offline")), bound to ops.cpu_offline, is not sleepable
	// EXPECT-CHAIN: sl_ops.cpu_offline -> sl_cpu_offline -> make_dsqs -> scx_bpf_create_dsq
}

/* Wrong: ops.dump runs unlocked but may not be sleepable, so the kfunc is not allowed at all. */
void BPF_STRUCT_OPS(sl_dump, struct scx_dump_ctx *dctx)
{
	scx_bpf_create_dsq(300, -1); // EXPECT-ERROR: 'scx_bpf_create_dsq' is not allowed in ops.dump (allowed in: init_task, cgroup_init, cgroup_exit, cgroup_prep_move, cpu_online, cpu_offline, init, exit; syscall programs)
	// EXPECT-CHAIN: sl_ops.dump -> sl_dump -> scx_bpf_create_dsq
}

/* Wrong: a sleepable program bound to ops.running, which may not sleep. */
void BPF_STRUCT_OPS_SLEEPABLE(sl_running, struct task_struct *p)
{
	p->scx.slice = SCX_SLICE_DFL;
}

SCX_OPS_DEFINE(sl_ops,
	       .running			= (void *)sl_running, // EXPECT-ERROR: 'sl_running' is a sleepable program (SEC("struct_ops.s/sl_running")) but ops.running may not be sleepable
	       .dump			= (void *)sl_dump,
	       .cpu_online		= (void *)sl_cpu_online,
	       .cpu_offline		= (void *)sl_cpu_offline,
	       .init			= (void *)sl_init,
	       .name			= "sleepable");

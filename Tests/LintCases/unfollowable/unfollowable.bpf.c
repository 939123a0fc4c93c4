/* Uses of kfuncs that kfpolicy lint cannot follow to a callback: each is reported as a warning
 * saying what is not checked, never passed over in silence. Callbacks a program hands to
 * bpf_loop or a timer are part of that program, and followed. */
#include "scx_common.bpf.h"

char _license[] SEC("license") = "GPL";

#define LOOP_DSQ 11

struct timer_wrap { struct bpf_timer timer; };
struct timer_wrap kick_timer;

/* A kfunc of a kernel newer than any policy: declared strong, so the program needs it. */
void scx_bpf_future_kfunc(s32 cpu) __ksym;

/* Defined in a file not given to lint. */
void remote_balance(s32 cpu);
void remote_exit(struct scx_exit_info *ei);

/* Runs from a timer that ops.init arms: checked as part of ops.init, where kicking is allowed. */
static long kick_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	scx_bpf_kick_cpu(0, SCX_KICK_PREEMPT);
	return 0;
}

/* Called by bpf_loop from ops.enqueue, so it runs as part of ops.enqueue. */
static long drain_one(u32 idx, void *data)
{
	return scx_bpf_consume(LOOP_DSQ); // EXPECT-ERROR: 'scx_bpf_consume' is not allowed in ops.enqueue (allowed in: dispatch)
	// EXPECT-CHAIN: uf_ops.enqueue -> uf_enqueue -> drain_one -> scx_bpf_consume
}

void BPF_STRUCT_OPS(uf_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, LOOP_DSQ, SCX_SLICE_DFL, enq_flags);
	bpf_loop(4, drain_one, NULL, 0);
	remote_balance(scx_bpf_task_cpu(p)); // EXPECT-WARNING: cannot follow the call to 'remote_balance' from ops.enqueue: no file given defines it
}

void BPF_STRUCT_OPS(uf_tick, struct task_struct *p)
{
	void (*kick)(s32, u64) = scx_bpf_kick_cpu; // EXPECT-WARNING: the address of kfunc 'scx_bpf_kick_cpu' is taken here in 'uf_tick'

	kick(scx_bpf_task_cpu(p), 0);
	scx_bpf_future_kfunc(0); // EXPECT-WARNING: kfunc 'scx_bpf_future_kfunc' is not in policy 'scx', so its calls are not checked
}

s32 BPF_STRUCT_OPS_SLEEPABLE(uf_init)
{
	bpf_timer_init(&kick_timer.timer, &kick_timer, 1);
	bpf_timer_set_callback(&kick_timer.timer, kick_timer_fn);
	bpf_timer_start(&kick_timer.timer, 1000000, 0);
	return scx_bpf_create_dsq(LOOP_DSQ, -1);
}

/* A struct_ops program that no map binds. */
void BPF_STRUCT_OPS(uf_orphan, struct task_struct *p) // EXPECT-WARNING: struct_ops program 'uf_orphan' is bound by no struct_ops map in the files given
{
	scx_bpf_consume(LOOP_DSQ);
}

void BPF_STRUCT_OPS(uf_set_bandwidth, struct cgroup *cgrp, u64 period_us, u64 quota_us, u64 burst_us)
{
	scx_bpf_kick_cpu(0, 0);
}

SCX_OPS_DEFINE(uf_ops,
	       .enqueue			= (void *)uf_enqueue,
	       .tick			= (void *)uf_tick,
	       .init			= (void *)uf_init,
	       .exit			= (void *)remote_exit, // EXPECT-WARNING: uf_ops.exit is bound to 'remote_exit', which no file given defines
	       .cgroup_set_bandwidth	= (void *)uf_set_bandwidth, // EXPECT-WARNING: 'cgroup_set_bandwidth' is not a callback of policy 'scx'
	       .name			= "unfollowable");

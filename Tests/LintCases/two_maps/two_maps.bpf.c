/* One object with two struct_ops maps of struct sched_ext_ops (a fast and a safe variant of a
 * scheduler, user space attaches one), sharing helpers. shared_refill is bound in both maps:
 * as ops.dispatch it is right, as ops.cpu_acquire it is not, and only that binding is reported. */
#include "scx_common.bpf.h"

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 3

static __noinline bool refill(s32 cpu)
{
	if (scx_bpf_dsq_nr_queued(SHARED_DSQ) == 0)
		return false;
	return scx_bpf_consume(SHARED_DSQ); // SITE: refill_consume
}

static __always_inline void queue_shared(struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(fast_enqueue, struct task_struct *p, u64 enq_flags)
{
	if (enq_flags & SCX_ENQ_PREEMPT)
		scx_bpf_dispatch(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, enq_flags);
	else
		queue_shared(p, enq_flags);
}

void BPF_STRUCT_OPS(safe_enqueue, struct task_struct *p, u64 enq_flags)
{
	queue_shared(p, enq_flags);
	refill(scx_bpf_task_cpu(p));
	// EXPECT-ERROR@refill_consume: 'scx_bpf_consume' is not allowed in ops.enqueue (allowed in: dispatch)
	// EXPECT-CHAIN: safe_ops.enqueue -> safe_enqueue -> refill -> scx_bpf_consume
}

void BPF_STRUCT_OPS(shared_refill, s32 cpu, struct task_struct *prev)
{
	if (!refill(cpu))
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	// EXPECT-ERROR@refill_consume: 'scx_bpf_consume' is not allowed in ops.cpu_acquire (allowed in: dispatch)
	// EXPECT-CHAIN: safe_ops.cpu_acquire -> shared_refill -> refill -> scx_bpf_consume
}

s32 BPF_STRUCT_OPS_SLEEPABLE(shared_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SCX_OPS_DEFINE(fast_ops,
	       .enqueue			= (void *)fast_enqueue,
	       .dispatch		= (void *)shared_refill,
	       .init			= (void *)shared_init,
	       .name			= "fast");

SCX_OPS_DEFINE(safe_ops,
	       .enqueue			= (void *)safe_enqueue,
	       .dispatch		= (void *)shared_refill,
	       .cpu_acquire		= (void *)shared_refill,
	       .init			= (void *)shared_init,
	       .name			= "safe");

/* Shared state and helpers of the vtime scheduler (several files, like a real scheduler). */
#ifndef VTIME_H
#define VTIME_H

#include "scx_common.bpf.h"

#define FALLBACK_DSQ 1
#define CGROUP_DSQ_BASE 1000
#define MAX_CPUS 64

struct task_ctx { u64 deadline; s32 last_cpu; bool direct; };

/* Defined in helpers.bpf.c. */
s32 pick_idle_cpu(struct task_struct *p, s32 prev_cpu, bool *is_idle);
void note_dispatch(s32 cpu, u64 nr);

/* Queue a task on a CPU's local DSQ or the fallback DSQ; enqueue, select_cpu and dispatch may
 * all use it because scx_bpf_dispatch is allowed in each. */
static __always_inline void queue_task(struct task_struct *p, s32 cpu, u64 enq_flags)
{
	if (cpu >= 0)
		scx_bpf_dispatch(p, SCX_DSQ_LOCAL_ON | cpu, SCX_SLICE_DFL, enq_flags);
	else
		scx_bpf_dispatch_vtime(p, FALLBACK_DSQ, SCX_SLICE_DFL, p->scx.dsq_vtime, enq_flags);
}

/* Refill this CPU's local DSQ: only ops.dispatch calls it. */
static __always_inline bool refill_local(s32 cpu)
{
	if (scx_bpf_consume(CGROUP_DSQ_BASE + cpu))
		return true;
	return scx_bpf_consume(FALLBACK_DSQ);
}

#define QUEUE_DIRECT(p, enq_flags) queue_task((p), -1, (enq_flags))
#define KICK_IF_IDLE(cpu)							\
	do {									\
		if (scx_bpf_test_and_clear_cpu_idle(cpu))			\
			scx_bpf_kick_cpu((cpu), SCX_KICK_IDLE);			\
	} while (0)

#endif

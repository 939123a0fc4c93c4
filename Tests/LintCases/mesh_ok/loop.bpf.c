/* mesh: ops.tick walks the CPUs with bpf_loop and preempts long runners. */
#include "mesh.h"

static long check_cpu(u32 idx, void *data)
{
	struct task_struct *cur = data;

	if (idx == scx_bpf_task_cpu(cur))
		return 0;
	if (scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL_ON | idx) > 4)
		scx_bpf_kick_cpu(idx, SCX_KICK_PREEMPT);
	return 0;
}

void BPF_STRUCT_OPS(mesh_tick, struct task_struct *p)
{
	bpf_loop(NR_DOMS, check_cpu, p, 0);
}

/* mesh: work stealing between domain DSQs, from ops.dispatch. */
#include "mesh.h"

/* Move the first task of another domain that may run on @cpu to its local DSQ. */
static bool steal_one(u32 dom, s32 cpu)
{
	struct task_struct *p;

	bpf_for_each(scx_dsq, p, DOM_DSQ(dom), 0) {
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		if (scx_bpf_dsq_move_any(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL_ON | cpu, 0))
			return true;
	}
	return false;
}

bool steal_from_domains(s32 cpu)
{
	u32 d;

	bpf_for(d, 0, NR_DOMS) {
		if (d != dom_of_cpu(cpu) && scx_bpf_dsq_nr_queued(DOM_DSQ(d)) > 1 && steal_one(d, cpu))
			return true;
	}
	return scx_bpf_dsq_move_to_local_any(SHARED_DSQ);
}

/* Helpers of the vtime scheduler compiled as their own file and linked into the scheduler:
 * global (not static) BPF-to-BPF functions. */
#include "vtime.h"

static u64 nr_dispatched[MAX_CPUS];

__noinline s32 pick_idle_cpu(struct task_struct *p, s32 prev_cpu, bool *is_idle)
{
	const struct cpumask *idle;
	s32 cpu;

	if (scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
		*is_idle = true;
		return prev_cpu;
	}
	idle = scx_bpf_get_idle_cpumask();
	cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
	scx_bpf_put_idle_cpumask(idle);
	*is_idle = cpu >= 0;
	return cpu >= 0 ? cpu : scx_bpf_pick_any_cpu(p->cpus_ptr, 0);
}

__noinline void note_dispatch(s32 cpu, u64 nr)
{
	if (cpu >= 0 && cpu < MAX_CPUS)
		nr_dispatched[cpu] += nr;
	if (nr > 32)
		scx_bpf_error("dispatched %llu tasks at once on cpu %d", nr, cpu);
}

/* mesh: CPU domains and kicking idle CPUs. */
#include "mesh.h"

private(DOMS) struct bpf_cpumask __kptr *dom_masks[NR_DOMS];

s32 dom_of_cpu(s32 cpu)
{
	if (cpu < 0 || cpu >= MAX_CPUS)
		return -1;
	return cpu % NR_DOMS;
}

/* Rebuild the CPU mask of a domain from the CPUs that are online. */
int refresh_dom_mask(u32 dom)
{
	struct bpf_cpumask *mask, *old;
	const struct cpumask *online;
	s32 cpu;

	if (dom >= NR_DOMS)
		return -EINVAL;
	mask = bpf_cpumask_create();
	if (!mask)
		return -ENOMEM;
	online = scx_bpf_get_online_cpumask();
	bpf_for(cpu, 0, scx_nr_cpus()) {
		if (dom_of_cpu(cpu) == dom && bpf_cpumask_test_cpu(cpu, online))
			bpf_cpumask_set_cpu(cpu, mask);
	}
	scx_bpf_put_cpumask(online);
	old = bpf_kptr_xchg(&dom_masks[dom], mask);
	if (old)
		bpf_cpumask_release(old);
	return 0;
}

/* Wake an idle CPU of @dom, if it has one. */
void kick_idle_domain(u32 dom)
{
	struct bpf_cpumask *mask;
	const struct cpumask *idle;
	s32 cpu = -1;

	if (dom >= NR_DOMS)
		return;
	bpf_rcu_read_lock();
	mask = dom_masks[dom];
	if (mask) {
		idle = scx_bpf_get_idle_cpumask();
		if (!bpf_cpumask_empty(idle))
			cpu = scx_bpf_pick_idle_cpu((const struct cpumask *)mask, 0);
		scx_bpf_put_idle_cpumask(idle);
	}
	bpf_rcu_read_unlock();
	if (cpu >= 0) {
		stat_inc(STAT_KICK);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	}
}

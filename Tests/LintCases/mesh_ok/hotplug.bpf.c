/* mesh: CPUs coming and going rebuild their domain's mask (sleepable callbacks). */
#include "mesh.h"

void BPF_STRUCT_OPS_SLEEPABLE(mesh_cpu_online, s32 cpu)
{
	s32 dom = dom_of_cpu(cpu);

	if (dom >= 0 && refresh_dom_mask(dom))
		scx_bpf_error("cannot rebuild domain %d", dom);
}

void BPF_STRUCT_OPS_SLEEPABLE(mesh_cpu_offline, s32 cpu)
{
	s32 dom = dom_of_cpu(cpu);

	if (dom < 0)
		return;
	kick_idle_domain(dom);
	if (refresh_dom_mask(dom))
		scx_bpf_error("cannot rebuild domain %d", dom);
}

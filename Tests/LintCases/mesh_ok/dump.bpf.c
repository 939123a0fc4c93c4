/* mesh: what the scheduler adds to a debug dump. */
#include "mesh.h"

void dump_domains(void)
{
	u32 d;

	bpf_for(d, 0, NR_DOMS)
		scx_bpf_dump("dom %u: %d queued", d, scx_bpf_dsq_nr_queued(DOM_DSQ(d)));
}

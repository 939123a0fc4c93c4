// EXPECT-WARNING: no struct_ops map of struct sched_ext_ops and no program was found, so nothing was checked
/* A file of helpers given alone: it has no map and no program, so nothing is checked. */
#include "scx_common.bpf.h"

static __always_inline void helper_kick(s32 cpu)
{
	scx_bpf_kick_cpu(cpu, 0);
}

void exported_kick(s32 cpu)
{
	helper_kick(cpu);
}

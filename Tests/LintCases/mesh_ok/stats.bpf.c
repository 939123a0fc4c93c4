/* mesh: counters the loader reads. */
#include "mesh.h"

u64 stats[MESH_NR_STATS];

void stat_inc(enum mesh_stat idx)
{
	if (idx < MESH_NR_STATS)
		__sync_fetch_and_add(&stats[idx], 1);
}

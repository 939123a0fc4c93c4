/* mesh: cgroup weights. */
#include "mesh.h"

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, u32);
} cgrp_weight SEC(".maps");

s32 BPF_STRUCT_OPS_SLEEPABLE(mesh_cgroup_init, struct cgroup *cgrp, struct scx_cgroup_init_args *args)
{
	u32 *w = bpf_cgrp_storage_get(&cgrp_weight, cgrp, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct cgroup *parent;

	if (!w)
		return -ENOMEM;
	*w = args->weight;
	parent = bpf_cgroup_ancestor(cgrp, cgrp->level - 1);
	if (parent)
		bpf_cgroup_release(parent);
	return 0;
}

void BPF_STRUCT_OPS(mesh_cgroup_set_weight, struct cgroup *cgrp, u32 weight)
{
	u32 *w = bpf_cgrp_storage_get(&cgrp_weight, cgrp, 0, 0);

	if (w)
		*w = weight;
}

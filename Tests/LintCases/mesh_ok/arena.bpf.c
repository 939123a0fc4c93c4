/* mesh: per-task slots in a BPF arena, allocated from sleepable callbacks. */
#include "mesh.h"
#include <scx/arena.bpf.h>

struct task_slot { u64 runs; u64 pid; };
struct task_slot __arena *slots;

int arena_init(void)
{
	slots = bpf_arena_alloc_pages(&arena, NULL, 4, NUMA_NO_NODE, 0);
	return slots ? 0 : -ENOMEM;
}

u64 arena_task_slot(struct task_struct *p)
{
	struct task_slot __arena *s;

	if (!slots)
		return 0;
	s = &slots[p->pid % 256];
	s->pid = p->pid;
	return (u64)s;
}

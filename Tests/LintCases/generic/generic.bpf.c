/* Generic BPF kfuncs (cpumasks, RCU, tasks, iterators, arenas) and compiler builtins: known to
 * lint from the policy's generic sets, so their calls are checked, not reported as unknown. */
#include <scx/common.bpf.h>
#include <scx/arena.bpf.h>

char _license[] SEC("license") = "GPL";

#define G_DSQ 7

u64 nr_enqueued, nr_seen;
struct pair { u64 a, b; };
struct pair __arena *page;

void BPF_STRUCT_OPS(ge_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct bpf_cpumask *mask;
	struct task_struct *q;
	u32 i;

	/* Right: builtins and generic kfuncs. */
	__sync_fetch_and_add(&nr_enqueued, 1);
	__atomic_store_n(&nr_seen, __builtin_popcountll(enq_flags), __ATOMIC_RELAXED);
	mask = bpf_cpumask_create();
	if (mask) {
		bpf_cpumask_set_cpu(scx_bpf_task_cpu(p), mask);
		bpf_cpumask_release(mask);
	}
	bpf_rcu_read_lock();
	q = bpf_task_from_pid(1);
	if (q)
		bpf_task_release(q);
	bpf_rcu_read_unlock();
	bpf_for(i, 0, 4)
		nr_seen += i;
	/* Wrong: arena pages are allocated by a sleepable kfunc on 6.12, and ops.enqueue may not sleep. */
	page = bpf_arena_alloc_pages(&arena, NULL, 1, NUMA_NO_NODE, 0); // EXPECT-ERROR: 'bpf_arena_alloc_pages' is not allowed in ops.enqueue (allowed in: init_task, cgroup_init, cgroup_exit, cgroup_prep_move, cpu_online, cpu_offline, init, exit; every program type)
	// EXPECT-CHAIN: generic_ops.enqueue -> ge_enqueue -> bpf_arena_alloc_pages
	scx_bpf_dispatch___compat(p, G_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(ge_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;

	/* Right: the DSQ iterator and moving from it in ops.dispatch. */
	bpf_for_each(scx_dsq, p, G_DSQ, 0) {
		if (scx_bpf_dispatch_from_dsq___compat(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0))
			break;
	}
}

void BPF_STRUCT_OPS(ge_running, struct task_struct *p)
{
	char comm[16];
	struct task_struct *q;

	/* Wrong: moving tasks between DSQs is for ops.dispatch (and unlocked callbacks). */
	bpf_for_each(scx_dsq, q, G_DSQ, 0)
		scx_bpf_dispatch_from_dsq___compat(BPF_FOR_EACH_ITER, q, SCX_DSQ_GLOBAL, 0); // EXPECT-ERROR: 'scx_bpf_dispatch_from_dsq' is not allowed in ops.running
		// EXPECT-CHAIN: generic_ops.running -> ge_running -> scx_bpf_dispatch_from_dsq___compat
	/* Wrong: reading user memory may fault, so it needs a sleepable program; ops.running is not. */
	bpf_copy_from_user_str(comm, sizeof(comm), (void *)0x1000, 0); // EXPECT-ERROR: 'bpf_copy_from_user_str' is not allowed in ops.running (allowed in: init_task
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ge_init)
{
	/* Right: sleepable. */
	page = bpf_arena_alloc_pages(&arena, NULL, 1, NUMA_NO_NODE, 0);
	return scx_bpf_create_dsq(G_DSQ, -1);
}

SCX_OPS_DEFINE(generic_ops,
	       .enqueue		= (void *)ge_enqueue,
	       .dispatch	= (void *)ge_dispatch,
	       .running		= (void *)ge_running,
	       .init		= (void *)ge_init,
	       .name		= "generic");

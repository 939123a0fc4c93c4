/* Subprograms and callbacks belong to the program that runs or hands them over: the verifier
 * checks a bpf_loop callback, a timer callback or a red-black tree comparison as part of that
 * program, so its kfunc calls are judged against the callback the program implements. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define A_DSQ 5

struct kick_timer { struct bpf_timer timer; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct kick_timer);
} timers SEC(".maps");

/* Wrong: set up from ops.init, whose contexts do not include dispatch. */
static int drain_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	scx_bpf_consume___compat(A_DSQ); // EXPECT-ERROR: 'scx_bpf_consume' is not allowed in ops.init (allowed in: dispatch); called as 'scx_bpf_consume___compat'
	// EXPECT-CHAIN: async_ops.init -> as_init -> arm_timer -> drain_timer_fn -> scx_bpf_consume___compat
	scx_bpf_kick_cpu(0, SCX_KICK_IDLE);
	return 0;
}

static int arm_timer(void)
{
	u32 key = 0;
	struct kick_timer *kt = bpf_map_lookup_elem(&timers, &key);

	if (!kt)
		return -ESRCH;
	bpf_timer_init(&kt->timer, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&kt->timer, drain_timer_fn);
	return bpf_timer_start(&kt->timer, 1000000, 0);
}

/* Right: bpf_loop from ops.dispatch runs its callback inside ops.dispatch. */
static long pull_one(u32 idx, void *data)
{
	return scx_bpf_consume___compat(A_DSQ + idx) ? 1 : 0;
}

/* Wrong: the same callback handed over from ops.tick. */
static long pull_from_tick(u32 idx, void *data)
{
	return scx_bpf_consume___compat(A_DSQ); // EXPECT-ERROR: 'scx_bpf_consume' is not allowed in ops.tick (allowed in: dispatch); called as 'scx_bpf_consume___compat'
	// EXPECT-CHAIN: async_ops.tick -> as_tick -> pull_from_tick -> scx_bpf_consume___compat
}

/* Compared in an rbtree insertion from ops.enqueue: part of that program. */
struct rb_item { struct bpf_rb_node rb; u64 key; };

static bool node_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	scx_bpf_dispatch_cancel(); // EXPECT-ERROR: 'scx_bpf_dispatch_cancel' is not allowed in ops.enqueue (allowed in: dispatch)
	// EXPECT-CHAIN: async_ops.enqueue -> as_enqueue -> node_less -> scx_bpf_dispatch_cancel
	return container_of(a, struct rb_item, rb)->key < container_of(b, struct rb_item, rb)->key;
}

int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
			bool (less)(struct bpf_rb_node *a, const struct bpf_rb_node *b), void *meta, __u64 off) __ksym;
struct bpf_spin_lock glock SEC(".data.glock");
struct bpf_rb_root groot __contains(rb_item, rb) SEC(".data.glock");

void BPF_STRUCT_OPS(as_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct rb_item *n = bpf_obj_new(typeof(*n));

	if (n) {
		n->key = p->pid;
		bpf_spin_lock(&glock);
		bpf_rbtree_add_impl(&groot, &n->rb, node_less, NULL, 0);
		bpf_spin_unlock(&glock);
	}
	scx_bpf_dispatch___compat(p, A_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(as_dispatch, s32 cpu, struct task_struct *prev)
{
	bpf_loop(4, pull_one, NULL, 0);
}

void BPF_STRUCT_OPS(as_tick, struct task_struct *p)
{
	bpf_loop(1, pull_from_tick, NULL, 0);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(as_init)
{
	s32 ret = scx_bpf_create_dsq(A_DSQ, -1);

	return ret ?: arm_timer();
}

SCX_OPS_DEFINE(async_ops,
	       .enqueue		= (void *)as_enqueue,
	       .dispatch	= (void *)as_dispatch,
	       .tick		= (void *)as_tick,
	       .init		= (void *)as_init,
	       .name		= "async");

/* mesh: the operations table and the scheduling callbacks. */
#include "mesh.h"

char _license[] SEC("license") = "GPL";

const volatile u64 slice_ns = SCX_SLICE_DFL;
const volatile bool smt_enabled = true;
u64 vtime_now;
UEI_DEFINE(uei);

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctx_stor SEC(".maps");

struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctx_stor, p, 0, 0);
}

/*
 * Find an idle CPU for @p. From ops.select_cpu the built-in selection may run; from
 * ops.enqueue it may not (the kernel refuses it there), so the caller says where it is and the
 * enqueue path only tests the previous CPU.
 */
static s32 pick_idle_cpu(struct task_struct *p, s32 prev_cpu, u64 wake_flags, bool from_enqueue)
{
	bool is_idle = false;
	s32 cpu;

	if (from_enqueue) {
		if (scx_bpf_test_and_clear_cpu_idle(prev_cpu))
			return prev_cpu;
		return -EBUSY;
	}
	cpu = scx_select_cpu_any(p, prev_cpu, wake_flags, &is_idle);
	return is_idle ? cpu : -EBUSY;
}

s32 BPF_STRUCT_OPS(mesh_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	s32 cpu = pick_idle_cpu(p, prev_cpu, wake_flags, false);

	if (cpu >= 0) {
		stat_inc(STAT_DIRECT);
		scx_bpf_dsq_insert_any(p, SCX_DSQ_LOCAL, slice_ns, 0);
		return cpu;
	}
	return prev_cpu;
}

void BPF_STRUCT_OPS(mesh_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 cpu;

	if (!tctx) {
		scx_bpf_error("no task ctx for %d", p->pid);
		return;
	}
	cpu = pick_idle_cpu(p, scx_bpf_task_cpu(p), 0, true);
	if (cpu >= 0) {
		scx_bpf_dsq_insert_any(p, SCX_DSQ_LOCAL_ON | cpu, slice_ns, enq_flags);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return;
	}
	if (vtime_before(tctx->vtime, vtime_now - slice_ns))
		tctx->vtime = vtime_now - slice_ns;
	stat_inc(STAT_SHARED);
	scx_bpf_dsq_insert_vtime_any(p, DOM_DSQ(tctx->dom), slice_ns, tctx->vtime, enq_flags);
	kick_idle_domain(tctx->dom);
}

void BPF_STRUCT_OPS(mesh_dispatch, s32 cpu, struct task_struct *prev)
{
	s32 dom = dom_of_cpu(cpu);

	if (dom >= 0 && scx_bpf_dsq_move_to_local_any(DOM_DSQ(dom)))
		return;
	if (steal_from_domains(cpu))
		stat_inc(STAT_STEAL);
}

void BPF_STRUCT_OPS(mesh_running, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (!tctx)
		return;
	tctx->last_run_at = scx_clock_now();
	if (vtime_before(vtime_now, tctx->vtime))
		WRITE_ONCE(vtime_now, tctx->vtime);
}

void BPF_STRUCT_OPS(mesh_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (tctx)
		tctx->vtime += (scx_clock_now() - tctx->last_run_at) * 100 / (tctx->weight ?: 100);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(mesh_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctx_stor, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!tctx)
		return -ENOMEM;
	tctx->dom = dom_of_cpu(scx_bpf_task_cpu(p));
	tctx->vtime = vtime_now;
	tctx->weight = 100;
	return arena_task_slot(p) ? 0 : -ENOMEM;
}

void BPF_STRUCT_OPS(mesh_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	bpf_task_storage_delete(&task_ctx_stor, p);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(mesh_init)
{
	s32 ret;
	u32 d;

	ret = scx_bpf_create_dsq(SHARED_DSQ, -1);
	if (ret)
		return ret;
	bpf_for(d, 0, NR_DOMS) {
		ret = scx_bpf_create_dsq(DOM_DSQ(d), -1);
		if (ret)
			return ret;
		ret = refresh_dom_mask(d);
		if (ret)
			return ret;
	}
	ret = arena_init();
	return ret ?: start_rebalance_timer();
}

void BPF_STRUCT_OPS(mesh_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

void BPF_STRUCT_OPS(mesh_dump, struct scx_dump_ctx *dctx)
{
	dump_domains();
}

SCX_OPS_DEFINE(mesh_ops,
	       .select_cpu		= (void *)mesh_select_cpu,
	       .enqueue			= (void *)mesh_enqueue,
	       .dispatch		= (void *)mesh_dispatch,
	       .tick			= (void *)mesh_tick,
	       .running			= (void *)mesh_running,
	       .stopping		= (void *)mesh_stopping,
	       .init_task		= (void *)mesh_init_task,
	       .exit_task		= (void *)mesh_exit_task,
	       .cgroup_init		= (void *)mesh_cgroup_init,
	       .cgroup_set_weight	= (void *)mesh_cgroup_set_weight,
	       .dump			= (void *)mesh_dump,
	       .cpu_online		= (void *)mesh_cpu_online,
	       .cpu_offline		= (void *)mesh_cpu_offline,
	       .init			= (void *)mesh_init,
	       .exit			= (void *)mesh_exit,
	       .flags			= SCX_OPS_ENQ_LAST,
	       .name			= "mesh");

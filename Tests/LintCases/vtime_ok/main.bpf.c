/* A correct multi-file vtime scheduler: callbacks call shared helpers and macros that call
 * kfuncs, helpers live in another file, ops.tick loops with bpf_loop, ops.dispatch walks a DSQ
 * with an iterator, cgroups get DSQs from a sleepable callback. kfpolicy lint must report nothing. */
#include "vtime.h"

char _license[] SEC("license") = "GPL";

struct kick_ctx { s32 nr_cpus; };

s32 BPF_STRUCT_OPS(vt_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu = pick_idle_cpu(p, prev_cpu, &is_idle);

	if (is_idle)
		queue_task(p, cpu, 0);
	return cpu;
}

void BPF_STRUCT_OPS(vt_enqueue, struct task_struct *p, u64 enq_flags)
{
	bool is_idle = false;
	s32 cpu;

	if (is_migration_disabled(p)) {
		QUEUE_DIRECT(p, enq_flags);
		return;
	}
	cpu = pick_idle_cpu(p, scx_bpf_task_cpu(p), &is_idle);
	queue_task(p, is_idle ? cpu : -1, enq_flags);
	if (is_idle)
		KICK_IF_IDLE(cpu);
}

void BPF_STRUCT_OPS(vt_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;
	u64 nr = 0;

	if (refill_local(cpu)) {
		note_dispatch(cpu, 1);
		return;
	}
	bpf_for_each_dsq(p, FALLBACK_DSQ) {
		if (nr >= scx_bpf_dispatch_nr_slots())
			break;
		scx_bpf_dispatch_from_dsq_set_slice(&DSQ_ITER, SCX_SLICE_DFL);
		if (scx_bpf_dispatch_from_dsq(&DSQ_ITER, p, SCX_DSQ_LOCAL, 0))
			nr++;
	}
	note_dispatch(cpu, nr);
}

static long kick_one(u32 idx, struct kick_ctx *ctx)
{
	if (scx_bpf_dsq_nr_queued(FALLBACK_DSQ) > 0)
		KICK_IF_IDLE((s32)idx);
	return idx + 1 >= (u32)ctx->nr_cpus;
}

void BPF_STRUCT_OPS(vt_tick, struct task_struct *p)
{
	struct kick_ctx kc = { .nr_cpus = scx_bpf_nr_cpu_ids() };

	bpf_loop(MAX_CPUS, kick_one, &kc, 0);
}

void BPF_STRUCT_OPS(vt_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	scx_bpf_reenqueue_local();
}

s32 BPF_STRUCT_OPS_SLEEPABLE(vt_cgroup_init, struct cgroup *cgrp, struct scx_cgroup_init_args *args)
{
	return scx_bpf_create_dsq(CGROUP_DSQ_BASE + cgrp->id, -1);
}

void BPF_STRUCT_OPS(vt_cgroup_exit, struct cgroup *cgrp)
{
	scx_bpf_destroy_dsq(CGROUP_DSQ_BASE + cgrp->id);
}

void BPF_STRUCT_OPS(vt_dump, struct scx_dump_ctx *dctx)
{
	scx_bpf_dump("fallback queue: %d", scx_bpf_dsq_nr_queued(FALLBACK_DSQ));
}

s32 BPF_STRUCT_OPS_SLEEPABLE(vt_init)
{
	s32 ret = scx_bpf_create_dsq(FALLBACK_DSQ, -1);

	if (ret)
		scx_bpf_error("cannot create the fallback DSQ: %d", ret);
	return ret;
}

SEC(".struct_ops.link")
struct sched_ext_ops vtime_ops = {
	.select_cpu = (void *)vt_select_cpu,
	.enqueue = (void *)vt_enqueue,
	.dispatch = (void *)vt_dispatch,
	.tick = (void *)vt_tick,
	.cpu_release = (void *)vt_cpu_release,
	.cgroup_init = (void *)vt_cgroup_init,
	.cgroup_exit = (void *)vt_cgroup_exit,
	.dump = (void *)vt_dump,
	.init = (void *)vt_init,
	.timeout_ms = 5000,
	.name = "vtime",
};

/* Compatibility wrappers written for kfpolicy's lint corpus in the style of sched_ext's own:
 * one scheduler object that loads on Linux 6.12 and on later kernels, which renamed the
 * dispatch kfuncs and added others. Each wrapper tests at run time which kfunc the kernel has
 * (libbpf resolves a missing weak kfunc to 0; the verifier then drops the dead branch). */
#ifndef LINT_SCX_COMPAT_BPF_H
#define LINT_SCX_COMPAT_BPF_H

#include "common.bpf.h"

#define __COMPAT_HAS_DSQ_INSERT		bpf_ksym_exists(scx_bpf_dsq_insert)
#define __COMPAT_HAS_SELECT_CPU_AND	bpf_ksym_exists(scx_bpf_select_cpu_and)

#define scx_bpf_dsq_insert_any(p, dsq_id, slice, enq_flags)			\
	(__COMPAT_HAS_DSQ_INSERT ?						\
	 scx_bpf_dsq_insert((p), (dsq_id), (slice), (enq_flags)) :		\
	 scx_bpf_dispatch___compat((p), (dsq_id), (slice), (enq_flags)))

#define scx_bpf_dsq_insert_vtime_any(p, dsq_id, slice, vtime, enq_flags)	\
	(bpf_ksym_exists(scx_bpf_dsq_insert_vtime) ?				\
	 scx_bpf_dsq_insert_vtime((p), (dsq_id), (slice), (vtime), (enq_flags)) :	\
	 scx_bpf_dispatch_vtime___compat((p), (dsq_id), (slice), (vtime), (enq_flags)))

#define scx_bpf_dsq_move_to_local_any(dsq_id)					\
	(bpf_ksym_exists(scx_bpf_dsq_move_to_local) ?				\
	 scx_bpf_dsq_move_to_local((dsq_id)) : scx_bpf_consume___compat((dsq_id)))

#define scx_bpf_dsq_move_any(it__iter, p, dsq_id, enq_flags)			\
	(bpf_ksym_exists(scx_bpf_dsq_move) ?					\
	 scx_bpf_dsq_move((it__iter), (p), (dsq_id), (enq_flags)) :		\
	 scx_bpf_dispatch_from_dsq___compat((it__iter), (p), (dsq_id), (enq_flags)))

/* The time of the last clock update, where the kernel has a kfunc for it. */
static inline u64 scx_clock_now(void)
{
	if (bpf_ksym_exists(scx_bpf_now))
		return scx_bpf_now();
	return bpf_ktime_get_ns();
}

/* Default idle-CPU selection: restricted to a mask where the kernel can do that. */
static inline s32 scx_select_cpu_any(struct task_struct *p, s32 prev_cpu, u64 wake_flags, bool *is_idle)
{
	s32 cpu;

	if (__COMPAT_HAS_SELECT_CPU_AND) {
		cpu = scx_bpf_select_cpu_and(p, prev_cpu, wake_flags, p->cpus_ptr, 0);
		*is_idle = cpu >= 0;
		return *is_idle ? cpu : prev_cpu;
	}
	return scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, is_idle); // SITE: select_fallback
}

static inline u32 scx_nr_cpus(void)
{
	return bpf_ksym_exists(scx_bpf_nr_cpu_ids) ? scx_bpf_nr_cpu_ids() : MAX_CPUS;
}

#endif

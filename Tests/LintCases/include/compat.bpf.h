/* Compatibility wrappers in the style of sched_ext's compat.bpf.h, written for kfpolicy's
 * tests: Linux 6.13 renamed the dispatch kfuncs, so a scheduler declares both names as weak
 * libbpf flavours and picks the one the running kernel has. */
#ifndef LINT_COMPAT_BPF_H
#define LINT_COMPAT_BPF_H

#include "scx_common.bpf.h"

void scx_bpf_dsq_insert___new(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym __weak;
void scx_bpf_dispatch___compat(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym __weak;
bool scx_bpf_dsq_move_to_local___new(u64 dsq_id) __ksym __weak;
bool scx_bpf_consume___compat(u64 dsq_id) __ksym __weak;

#define scx_bpf_dsq_insert(p, dsq_id, slice, enq_flags)				\
	(bpf_ksym_exists(scx_bpf_dsq_insert___new) ?				\
	 scx_bpf_dsq_insert___new((p), (dsq_id), (slice), (enq_flags)) :	\
	 scx_bpf_dispatch___compat((p), (dsq_id), (slice), (enq_flags)))

#define scx_bpf_dsq_move_to_local(dsq_id)					\
	(bpf_ksym_exists(scx_bpf_dsq_move_to_local___new) ?			\
	 scx_bpf_dsq_move_to_local___new((dsq_id)) :				\
	 scx_bpf_consume___compat((dsq_id)))

/* Older kernels lack scx_bpf_nr_cpu_ids; fall back to a constant. */
#define __COMPAT_scx_bpf_nr_cpu_ids()						\
	(bpf_ksym_exists(scx_bpf_nr_cpu_ids) ? scx_bpf_nr_cpu_ids() : 64)

#endif

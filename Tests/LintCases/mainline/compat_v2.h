/* Written for kfpolicy's lint corpus in the style of sched_ext's compat header for kernels
 * after 6.18. A kfunc that changed its signature keeps its old name and gets a new one with a
 * ___v2 suffix in the kernel. A program declares the new one with a second flavour
 * (___v2___compat): libbpf drops what follows the last "___", so the name binds to the kernel's
 * ___v2 kfunc. The old one is declared ___v1, which binds to the plain name. */
#ifndef LINT_COMPAT_V2_H
#define LINT_COMPAT_V2_H

#include <scx/compat.bpf.h>

bool scx_bpf_dsq_insert___v2___compat(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym __weak;
void scx_bpf_dsq_insert___v1(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym __weak;
bool scx_bpf_dsq_move_to_local___v2___compat(u64 dsq_id, u64 enq_flags) __ksym __weak;
struct task_struct *scx_bpf_dsq_peek(u64 dsq_id) __ksym __weak;
void scx_bpf_task_set_slice(struct task_struct *p, u64 slice) __ksym __weak;

/* Insert p; false when the kernel refused (only the ___v2 form can say so). */
static inline bool scx_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_insert___v2___compat))
		return scx_bpf_dsq_insert___v2___compat(p, dsq_id, slice, enq_flags); // SITE: insert_v2
	scx_bpf_dsq_insert___v1(p, dsq_id, slice, enq_flags);
	return true;
}

static inline bool scx_dsq_move_to_local(u64 dsq_id)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local___v2___compat))
		return scx_bpf_dsq_move_to_local___v2___compat(dsq_id, 0); // SITE: move_v2
	return scx_bpf_dsq_move_to_local(dsq_id);
}

#endif

/* Findings silenced one at a time by a comment that says why, and suppressions that are
 * themselves wrong: one without a reason, one that silences nothing, one naming no diagnostic. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* Provided by a library object linked in after linting. */
void lib_account(struct task_struct *p);
void lib_trace(s32 cpu);
void lib_note(s32 cpu);

void BPF_STRUCT_OPS(su_enqueue, struct task_struct *p, u64 enq_flags)
{
	// kfpolicy: allow KFP706 lib_account only updates a map and calls no kfunc
	lib_account(p);
	lib_trace(scx_bpf_task_cpu(p)); /* kfpolicy: allow unresolved-call */ // SITE: reasonless
	// EXPECT-WARNING@reasonless: a suppression must say which finding it silences and why
	scx_bpf_dispatch___compat(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags); // kfpolicy: allow KFP701 nothing to silence here
	// EXPECT-WARNING@-1: this suppression silences nothing: no KFP701 finding is reported on this line or the next
	lib_note(0); // kfpolicy: allow KFP799 a typo in the id
	// EXPECT-WARNING@-1: this suppression silences nothing: 'KFP799' names no kfpolicy lint diagnostic
	// EXPECT-WARNING@-2: cannot follow the call to 'lib_note' from ops.enqueue
	/* Wrong, and silenced: the comment above it names the error and why it is accepted. */
	// kfpolicy: allow KFP701 the kernel this scheduler ships for backports consume to enqueue
	scx_bpf_consume___compat(SCX_DSQ_GLOBAL);
}

SCX_OPS_DEFINE(suppress_ops,
	       .enqueue		= (void *)su_enqueue,
	       .name		= "suppress");

/* A program clang cannot compile: the error is reported, and the exit status says so. */
#include "scx_common.bpf.h"

void BPF_STRUCT_OPS(br_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, NO_SUCH_DSQ, SCX_SLICE_DFL, enq_flags); // EXPECT-ERROR: use of undeclared identifier 'NO_SUCH_DSQ'
}

SCX_OPS_DEFINE(br_ops, .enqueue = (void *)br_enqueue, .name = "broken");

/* Programs of other types next to the scheduler: a SYSCALL program, a tracing program, and a
 * struct_ops map of another interface. Each kfunc is judged for the program type that calls it. */
#include "scx_common.bpf.h"

char _license[] SEC("license") = "GPL";

#define OP_DSQ 21

/* Right: scx_kfunc_ids_unlocked is registered for SYSCALL programs. */
SEC("syscall")
int setup_dsqs(void *ctx)
{
	return scx_bpf_create_dsq(OP_DSQ, -1);
}

/* Wrong: scx_bpf_consume is in a set registered for struct_ops only. */
SEC("syscall")
int drain_from_user(void *ctx)
{
	return scx_bpf_consume(OP_DSQ); // EXPECT-ERROR: 'scx_bpf_consume' is not allowed in syscall programs (allowed in: dispatch)
	// EXPECT-CHAIN: syscall -> drain_from_user -> scx_bpf_consume
}

/* Right: scx_kfunc_ids_any is registered for TRACING programs. */
SEC("tp_btf/sched_wakeup")
int on_wakeup(unsigned long long *ctx)
{
	scx_bpf_kick_cpu(0, SCX_KICK_IDLE);
	return 0;
}

/* Wrong: a tcp_congestion_ops program may call no sched_ext kfunc. */
SEC("struct_ops/cc_ssthresh")
u32 cc_ssthresh(struct sock *sk)
{
	scx_bpf_kick_cpu(0, 0); // EXPECT-ERROR: 'scx_bpf_kick_cpu' is not allowed in struct_ops programs of struct tcp_congestion_ops
	// EXPECT-CHAIN: cc_ops.ssthresh -> cc_ssthresh -> scx_bpf_kick_cpu
	return 2;
}

void BPF_STRUCT_OPS(op_dispatch, s32 cpu, struct task_struct *prev)
{
	scx_bpf_consume(OP_DSQ);
}

SEC(".struct_ops")
struct tcp_congestion_ops cc_ops = {
	.ssthresh = (void *)cc_ssthresh,
	.name = "lintcc",
};

SCX_OPS_DEFINE(op_ops,
	       .dispatch		= (void *)op_dispatch,
	       .name			= "others");

/* mesh: helpers on tasks found by pid. */
#include "mesh.h"

/* Kick the CPU a task runs on, by pid (from the loader's syscall program). */
void wake_remote(s32 pid)
{
	struct task_struct *p = bpf_task_from_pid(pid);

	if (!p)
		return;
	if (scx_bpf_task_running(p))
		scx_bpf_kick_cpu(scx_bpf_task_cpu(p), SCX_KICK_PREEMPT);
	bpf_task_release(p);
}

SEC("syscall")
int mesh_wake(void *ctx)
{
	wake_remote(1);
	return 0;
}

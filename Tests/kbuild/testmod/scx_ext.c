// SPDX-License-Identifier: GPL-2.0
/*
 * Generated/scx-6.12_kfpolicy.h compiled the way kernel/sched/ext.c would include it: after a
 * struct sched_ext_ops with Linux 6.12's member order (callbacks first, data members
 * after), so every op index the header computes with offsetof() is the one 6.12 uses.
 * The callback signatures are placeholders: only the members' order and kinds matter.
 *
 * Nothing here is registered (sched_ext is not a module and Debian's 6.12 is built
 * without CONFIG_SCHED_CLASS_EXT), so the scx kfunc names stay unresolved in
 * .BTF_ids: resolve_btfids warns about them and leaves their ids 0.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/types.h>

struct sched_ext_ops {
	void (*select_cpu)(void);
	void (*enqueue)(void);
	void (*dequeue)(void);
	void (*dispatch)(void);
	void (*tick)(void);
	void (*runnable)(void);
	void (*running)(void);
	void (*stopping)(void);
	void (*quiescent)(void);
	void (*yield)(void);
	void (*core_sched_before)(void);
	void (*set_weight)(void);
	void (*set_cpumask)(void);
	void (*update_idle)(void);
	void (*cpu_acquire)(void);
	void (*cpu_release)(void);
	void (*init_task)(void);
	void (*exit_task)(void);
	void (*enable)(void);
	void (*disable)(void);
	void (*dump)(void);
	void (*dump_cpu)(void);
	void (*dump_task)(void);
	void (*cgroup_init)(void);
	void (*cgroup_exit)(void);
	void (*cgroup_prep_move)(void);
	void (*cgroup_move)(void);
	void (*cgroup_cancel_move)(void);
	void (*cgroup_set_weight)(void);
	void (*cpu_online)(void);
	void (*cpu_offline)(void);
	void (*init)(void);
	void (*exit)(void);
	u32 dispatch_max_batch;
	u64 flags;
	u32 timeout_ms;
	u32 exit_dump_len;
	u64 hotplug_seq;
	char name[128];
};

#include "scx-6.12_kfpolicy.h"

/* ext.c defines its ops objects; one here puts the type in BTF, so BTF_ID(struct, sched_ext_ops) resolves. */
static struct sched_ext_ops kfp_scx_layout __used;

/*
 * Calls of every function of the header, so that warnings which need code generation (frame
 * size, array bounds) are checked as well. Never called.
 */
static int __used kfp_scx_instantiate(const struct bpf_prog *prog, u32 kfunc_id, const struct btf_type *t,
				      const struct btf_member *member)
{
	struct scx_running cur = { 0 }, saved;
	int ret = scx_kfunc_filter(prog, kfunc_id) + scx_check_member(t, member, prog);

	if (scx_enter(&cur, scx_op_contexts(SCX_OP(cpu_release)), &saved)) {
		ret += scx_allowed(&cur, SCX_KFUNC_BPF_REENQUEUE_LOCAL);
		scx_leave(&cur, &saved);
	}
	return ret + scx_register_kfunc_sets();
}

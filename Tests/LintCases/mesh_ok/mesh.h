/* mesh: a multi-file sched_ext scheduler written for kfpolicy's lint corpus. Tasks are queued
 * by virtual time on one shared DSQ per NUMA-less "domain", idle CPUs are found with the
 * built-in idle tracking, a timer rebalances, cgroups get their weight, and statistics live in
 * an arena. It uses the compat wrappers so that one object loads on Linux 6.12 and later. */
#ifndef MESH_H
#define MESH_H

#include <scx/common.bpf.h>
#include <scx/compat.bpf.h>

#define SHARED_DSQ	0
#define NR_DOMS		4
#define DOM_DSQ(d)	((u64)(d) + 1)

/* Per-task state in task-local storage. */
struct task_ctx {
	u64	vtime;
	u64	last_run_at;
	u32	dom;
	u32	weight;
	bool	kicked;
};

enum mesh_stat { STAT_DIRECT, STAT_SHARED, STAT_KICK, STAT_STEAL, MESH_NR_STATS };

extern const volatile u64 slice_ns;
extern const volatile bool smt_enabled;
extern u64 vtime_now;

struct task_ctx *lookup_task_ctx(struct task_struct *p);
void stat_inc(enum mesh_stat idx);
s32 dom_of_cpu(s32 cpu);
bool steal_from_domains(s32 cpu);
int refresh_dom_mask(u32 dom);
void kick_idle_domain(u32 dom);
int start_rebalance_timer(void);
int arena_init(void);
u64 arena_task_slot(struct task_struct *p);
void dump_domains(void);
void wake_remote(s32 pid);

/* Callbacks defined in cgroup.bpf.c, bound in main.bpf.c's operations table. */
s32 mesh_cgroup_init(unsigned long long *ctx);
void mesh_cgroup_set_weight(unsigned long long *ctx);
/* Defined in loop.bpf.c and hotplug.bpf.c. */
void mesh_tick(unsigned long long *ctx);
void mesh_cpu_online(unsigned long long *ctx);
void mesh_cpu_offline(unsigned long long *ctx);

#endif

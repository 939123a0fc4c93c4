/* The pieces of a sched_ext BPF scheduler's common header that kfpolicy lint looks at, written
 * for kfpolicy's tests in the style of real schedulers: section and kfunc attributes, the
 * struct_ops program macros, BPF helpers, the 6.12 kfunc declarations and a few helper macros.
 * No kernel or libbpf header is needed. */
#ifndef LINT_SCX_COMMON_BPF_H
#define LINT_SCX_COMMON_BPF_H

#include "vmlinux_min.h"

/* Attributes. */
#define SEC(name) __attribute__((section(name), used))
#define __ksym __attribute__((section(".ksyms")))
#define __weak __attribute__((weak))
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

/* BPF helpers are calls through constant function pointers (helper ids), never kfuncs. */
static void *(* const bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
static u64 (* const bpf_ktime_get_ns)(void) = (void *) 5;
static u32 (* const bpf_get_smp_processor_id)(void) = (void *) 8;
static long (* const bpf_timer_init)(struct bpf_timer *timer, void *map, u64 flags) = (void *) 169;
static long (* const bpf_timer_set_callback)(struct bpf_timer *timer, void *fn) = (void *) 170;
static long (* const bpf_timer_start)(struct bpf_timer *timer, u64 nsecs, u64 flags) = (void *) 171;
static long (* const bpf_loop)(u32 nr_loops, void *fn, void *ctx, u64 flags) = (void *) 181;

/* True when the running kernel has the (weak) kfunc; the call it guards is still compiled. */
#define bpf_ksym_exists(sym) ({ _Static_assert(!__builtin_constant_p(!!(sym)), #sym " must be __weak"); !!(sym); })

/*
 * A struct_ops program. The outer function, in section struct_ops/NAME (struct_ops.s/NAME when
 * sleepable), receives the raw argument array and passes its members to NAME_body, whose
 * parameters and body follow the macro.
 */
#define KF_CAT(a, b) KF_CAT_(a, b)
#define KF_CAT_(a, b) a##b
#define KF_NTH(_0, _1, _2, _3, _4, _5, _6, N, ...) N
#define KF_COUNT(args...) KF_NTH(_, ##args, 6, 5, 4, 3, 2, 1, 0)
#define KF_CTX_0
#define KF_CTX_1 , (void *)ctx[0]
#define KF_CTX_2 KF_CTX_1, (void *)ctx[1]
#define KF_CTX_3 KF_CTX_2, (void *)ctx[2]
#define KF_CTX_4 KF_CTX_3, (void *)ctx[3]
#define KF_CTX_5 KF_CTX_4, (void *)ctx[4]
#define KF_CTX_6 KF_CTX_5, (void *)ctx[5]
#define KF_PROG(name, args...)							\
	name(unsigned long long *ctx);						\
	static __always_inline typeof(name(0)) name##_body(unsigned long long *ctx, ##args); \
	typeof(name(0)) name(unsigned long long *ctx)				\
	{									\
		_Pragma("GCC diagnostic push")					\
		_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")		\
		return name##_body(ctx KF_CAT(KF_CTX_, KF_COUNT(args)));	\
		_Pragma("GCC diagnostic pop")					\
	}									\
	static __always_inline typeof(name(0)) name##_body(unsigned long long *ctx, ##args)

#define BPF_STRUCT_OPS(name, args...) SEC("struct_ops/" #name) KF_PROG(name, ##args)
#define BPF_STRUCT_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) KF_PROG(name, ##args)

/* The scheduler's operations table, in the section libbpf attaches as a link. */
#define SCX_OPS_DEFINE(__name, ...)						\
	SEC(".struct_ops.link") struct sched_ext_ops __name = { __VA_ARGS__ }

/* DSQ ids and defaults. */
#define SCX_DSQ_GLOBAL (1ULL << 63)
#define SCX_DSQ_LOCAL ((1ULL << 63) | 2)
#define SCX_DSQ_LOCAL_ON ((1ULL << 63) | (1ULL << 62))
#define SCX_SLICE_DFL 20000000ULL
#define SCX_ENQ_PREEMPT (1ULL << 32)
#define SCX_KICK_IDLE 1
#define SCX_KICK_PREEMPT 2

/* kfuncs of Linux 6.12's sched_ext. */
s32 scx_bpf_create_dsq(u64 dsq_id, s32 node) __ksym;
s32 scx_bpf_select_cpu_dfl(struct task_struct *p, s32 prev_cpu, u64 wake_flags, bool *is_idle) __ksym;
void scx_bpf_dispatch(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym;
void scx_bpf_dispatch_vtime(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime, u64 enq_flags) __ksym;
u32 scx_bpf_dispatch_nr_slots(void) __ksym;
void scx_bpf_dispatch_cancel(void) __ksym;
bool scx_bpf_consume(u64 dsq_id) __ksym;
void scx_bpf_reenqueue_local(void) __ksym;
void scx_bpf_kick_cpu(s32 cpu, u64 flags) __ksym;
s32 scx_bpf_dsq_nr_queued(u64 dsq_id) __ksym;
void scx_bpf_destroy_dsq(u64 dsq_id) __ksym;
void scx_bpf_exit_bstr(s64 exit_code, char *fmt, unsigned long long *data, u32 data__sz) __ksym __weak;
void scx_bpf_error_bstr(char *fmt, unsigned long long *data, u32 data_len) __ksym;
u32 scx_bpf_nr_cpu_ids(void) __ksym __weak;
const struct cpumask *scx_bpf_get_idle_cpumask(void) __ksym;
void scx_bpf_put_idle_cpumask(const struct cpumask *cpumask) __ksym;
bool scx_bpf_test_and_clear_cpu_idle(s32 cpu) __ksym;
s32 scx_bpf_pick_idle_cpu(const struct cpumask *cpus_allowed, u64 flags) __ksym;
s32 scx_bpf_pick_any_cpu(const struct cpumask *cpus_allowed, u64 flags) __ksym;
bool scx_bpf_task_running(const struct task_struct *p) __ksym;
s32 scx_bpf_task_cpu(const struct task_struct *p) __ksym;
struct cgroup *scx_bpf_task_cgroup(struct task_struct *p) __ksym;
void scx_bpf_dump_bstr(char *fmt, unsigned long long *data, u32 data_len) __ksym __weak;

/* The DSQ iterator kfuncs and a loop over a DSQ built on them. */
struct bpf_iter_scx_dsq { u64 opaque[6]; };
int bpf_iter_scx_dsq_new(struct bpf_iter_scx_dsq *it, u64 dsq_id, u64 flags) __ksym __weak;
struct task_struct *bpf_iter_scx_dsq_next(struct bpf_iter_scx_dsq *it) __ksym __weak;
void bpf_iter_scx_dsq_destroy(struct bpf_iter_scx_dsq *it) __ksym __weak;
void scx_bpf_dispatch_from_dsq_set_slice(struct bpf_iter_scx_dsq *it__iter, u64 slice) __ksym __weak;
bool scx_bpf_dispatch_from_dsq(struct bpf_iter_scx_dsq *it__iter, struct task_struct *p, u64 dsq_id, u64 enq_flags) __ksym __weak;
#define bpf_for_each_dsq(p, dsq_id)						\
	for (struct bpf_iter_scx_dsq DSQ_ITER __attribute__((cleanup(bpf_iter_scx_dsq_destroy))),	\
	     *___p = (bpf_iter_scx_dsq_new(&DSQ_ITER, (dsq_id), 0), (void *)0);	\
	     (p = bpf_iter_scx_dsq_next(&DSQ_ITER)); (void)___p)

/* Report an error and unload the scheduler: formats through scx_bpf_error_bstr. */
#define scx_bpf_error(fmt, args...)						\
	({									\
		static char ___fmt[] = fmt;					\
		unsigned long long ___param[] = { 0, ##args };			\
		scx_bpf_error_bstr(___fmt, ___param, sizeof(___param));		\
	})

/* Add a line to a debug dump: formats through scx_bpf_dump_bstr. */
#define scx_bpf_dump(fmt, args...)						\
	({									\
		static char ___fmt[] = fmt;					\
		unsigned long long ___param[] = { 0, ##args };			\
		scx_bpf_dump_bstr(___fmt, ___param, sizeof(___param));		\
	})

/* Exit info shared with user space. */
struct user_exit_info { int kind; s64 exit_code; char reason[128]; char msg[1024]; };
#define UEI_DEFINE(__name) struct user_exit_info __name SEC(".data")
#define UEI_RECORD(__uei, __ei) ({ (__uei).kind = (__ei)->kind; (__uei).exit_code = (__ei)->exit_code; })

static __always_inline bool is_migration_disabled(const struct task_struct *p)
{
	return p->nr_cpus_allowed == 1;
}

#endif

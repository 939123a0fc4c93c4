/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A userspace stand-in for the kernel declarations a kfpolicy header needs, so the test suite
 * can compile a generated header with cc and run its filter, guards and checks.
 *
 * The BTF macros lay out .BTF_ids as the kernel's do (set8: u32 cnt, u32 flags, then 8-byte
 * {id, flags} pairs), but in a writable section, and every id is the absolute symbol
 * __kfp_id_<name>, which the test defines. A constructor per set then does resolve_btfids'
 * job: it fills cnt and sorts the pairs by id, so the filter runs on the layout a kernel has.
 * This file is our own; it copies no kernel code.
 */
#ifndef KFPOLICY_USERSPACE_H
#define KFPOLICY_USERSPACE_H

#define KFPOLICY_USERSPACE_TEST 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int16_t s16;

enum bpf_prog_type {
	BPF_PROG_TYPE_UNSPEC,
	BPF_PROG_TYPE_STRUCT_OPS, BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_LSM,
	BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT,
	BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT,
	BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_NETFILTER,
	KFP_NR_PROG_TYPES
};

struct bpf_prog_aux {
	u32 attach_btf_id;
	u32 attach_st_ops_member_off;
};

struct bpf_prog {
	enum bpf_prog_type type;
	u32 expected_attach_type;
	struct bpf_prog_aux *aux;
};

struct btf_id_set8 {
	u32 cnt;
	u32 flags;
	struct {
		u32 id;
		u32 flags;
	} pairs[];
};

struct module;
#define THIS_MODULE ((struct module *)0)
typedef int (*btf_kfunc_filter_t)(const struct bpf_prog *prog, u32 kfunc_id);
struct btf_kfunc_id_set {
	struct module *owner;
	struct btf_id_set8 *set;
	btf_kfunc_filter_t filter;
};
int register_btf_kfunc_id_set(enum bpf_prog_type type, const struct btf_kfunc_id_set *s);

#define __bpf_kfunc

/* KF_ flags with the kernel's values (include/linux/btf.h, 6.12 and later). */
#define KF_ACQUIRE (1 << 0)
#define KF_RELEASE (1 << 1)
#define KF_RET_NULL (1 << 2)
#define KF_TRUSTED_ARGS (1 << 4)
#define KF_SLEEPABLE (1 << 5)
#define KF_DESTRUCTIVE (1 << 6)
#define KF_RCU (1 << 7)
#define KF_ITER_NEW (1 << 8)
#define KF_ITER_NEXT (1 << 9)
#define KF_ITER_DESTROY (1 << 10)
#define KF_RCU_PROTECTED (1 << 11)
#define KF_FASTCALL (1 << 12)
#define KF_ARENA_RET (1 << 13)
#define KF_ARENA_ARG1 (1 << 14)
#define KF_ARENA_ARG2 (1 << 15)
#define KF_IMPLICIT_ARGS (1 << 16)

#define KFP_STR_(...) #__VA_ARGS__
#define KFP_STR(...) KFP_STR_(__VA_ARGS__)

static inline int kfp_cmp_pair(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;
	return x < y ? -1 : x > y;
}

/* resolve_btfids' job for one set8: count the pairs and sort them by id. */
static inline void kfp_resolve_set8(struct btf_id_set8 *set, const char *end)
{
	set->cnt = (u32)((end - (const char *)set - 8) / 8);
	qsort(set->pairs, set->cnt, 8, kfp_cmp_pair);
}

#define KFP_SET8_START(name, setflags)                                               \
	asm(".pushsection .BTF_ids,\"aw\"\n.balign 4\n.globl " #name "\n" #name ":\n" \
	    ".long 0\n.long " #setflags "\n.popsection\n");                           \
	extern struct btf_id_set8 name;
#define BTF_SET8_START(name) KFP_SET8_START(name, 0)
#define BTF_KFUNCS_START(name) KFP_SET8_START(name, 1)
#define BTF_SET8_END(name)                                                          \
	asm(".pushsection .BTF_ids,\"aw\"\n.globl __kfp_end_" #name "\n__kfp_end_" #name \
	    ":\n.popsection\n");                                                       \
	extern const char __kfp_end_##name[];                                          \
	__attribute__((constructor)) static void __kfp_resolve_##name(void)            \
	{                                                                              \
		kfp_resolve_set8(&name, __kfp_end_##name);                             \
	}
#define BTF_KFUNCS_END(name) BTF_SET8_END(name)

#define KFP_ID_FLAGS_(name, flags, ...)                                             \
	asm(".pushsection .BTF_ids,\"aw\"\n.long __kfp_id_" #name "\n.long " KFP_STR(flags) \
	    "\n.popsection\n");
#define BTF_ID_FLAGS(prefix, name, ...) KFP_ID_FLAGS_(name, ##__VA_ARGS__, 0)

#define BTF_ID_LIST(name)                                                          \
	asm(".pushsection .BTF_ids,\"aw\"\n.balign 4\n.globl " #name "\n" #name ":\n.popsection\n"); \
	extern u32 name[];
#define BTF_ID(prefix, name) asm(".pushsection .BTF_ids,\"aw\"\n.long __kfp_id_" #name "\n.popsection\n");

#endif

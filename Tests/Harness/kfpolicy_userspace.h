/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A userspace stand-in for the kernel declarations a kfpolicy header needs, so the test suite
 * can compile a generated header with cc and run its filter, check_member, guards and checks.
 *
 * The BTF macros lay out .BTF_ids as the kernel's do (set8: u32 cnt, u32 flags, then 8-byte
 * {id, flags} pairs), but in a writable section, and every id is the absolute symbol
 * __kfp_id_<name>, which the test defines. A constructor per set then does resolve_btfids'
 * job: it fills cnt and sorts the pairs by id, so the filter runs on the layout a kernel has.
 * A struct's BTF is one btf_type with its members' bit offsets, enough for the 6.12 path.
 * This file is our own; it copies no kernel code.
 */
#ifndef KFPOLICY_USERSPACE_H
#define KFPOLICY_USERSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int16_t s16;

#define BIT(n) (1UL << (n))
#define BITS_PER_BYTE 8
#define U16_MAX ((u16)~0U)
#define U32_MAX ((u32)~0U)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
/* Decisions assume every Kconfig option on. */
#define IS_ENABLED(option) 1

#define BITS_PER_LONG 64
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[nr / BITS_PER_LONG] & (1UL << (nr % BITS_PER_LONG));
}
static inline void set_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}
static inline unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long i)
{
	while (i < size && !test_bit(i, addr))
		i++;
	return i;
}
#define for_each_set_bit(bit, addr, size) \
	for ((bit) = find_next_bit((addr), (size), 0); (bit) < (size); (bit) = find_next_bit((addr), (size), (bit) + 1))
static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}
static inline int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
}

enum bpf_prog_type {
	BPF_PROG_TYPE_UNSPEC,
	BPF_PROG_TYPE_STRUCT_OPS, BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_LSM,
	BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT,
	BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT,
	BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_NETFILTER,
	BPF_PROG_TYPE_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_PROG_TYPE_CGROUP_SYSCTL,
	KFP_NR_PROG_TYPES
};

/* BTF of one struct: its members' bit offsets, in declaration order. */
struct btf_member {
	u32 offset;
};
struct btf_type {
	u32 vlen;
	const struct btf_member *members;
};
struct btf {
	u32 struct_id;
	const struct btf_type *type;
};
static inline const struct btf_type *btf_type_by_id(const struct btf *btf, u32 id)
{
	return btf && id == btf->struct_id ? btf->type : NULL;
}
static inline bool btf_type_is_struct(const struct btf_type *t)
{
	return t != NULL;
}
static inline u16 btf_type_vlen(const struct btf_type *t)
{
	return (u16)t->vlen;
}
static inline const struct btf_member *btf_type_member(const struct btf_type *t)
{
	return t->members;
}
static inline u32 __btf_member_bit_offset(const struct btf_type *t, const struct btf_member *m)
{
	(void)t;
	return m->offset;
}

struct bpf_struct_ops;
struct bpf_prog_aux {
	u32 attach_btf_id;
	struct btf *attach_btf;
	u32 attach_st_ops_member_off;
	const struct bpf_struct_ops *st_ops;
};

struct bpf_prog {
	u16 sleepable:1;
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

static inline int kfp_cmp_pair(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * As the kernel searches a set: its bsearch() is out of line (lib/bsearch.c) and compares
 * through a function pointer; libc's may be inlined, which would flatter a filter that calls
 * it often (bench/filter_bench.c).
 */
__attribute__((noinline)) static void *kfp_bsearch(const void *key, const void *base, size_t num, size_t size,
						   int (*cmp)(const void *, const void *))
{
	const char *p = base;

	while (num > 0) {
		const char *pivot = p + (num >> 1) * size;
		int r = cmp(key, pivot);

		if (r == 0)
			return (void *)pivot;
		if (r > 0) {
			p = pivot + size;
			num--;
		}
		num >>= 1;
	}
	return NULL;
}

static inline void *btf_id_set8_contains(const struct btf_id_set8 *set, u32 id)
{
	int (*volatile cmp)(const void *, const void *) = kfp_cmp_pair;

	return kfp_bsearch(&id, set->pairs, set->cnt, sizeof(set->pairs[0]), cmp);
}

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
#define BTF_ID_LIST_SINGLE(name, prefix, typename) BTF_ID_LIST(name) BTF_ID(prefix, typename)

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types the case programs of scripts/e2e-kernel.sh use, instead of a whole
 * vmlinux.h: an object's BTF then holds only what its program needs, which keeps the objects
 * small and their loading fast in an emulated guest. libbpf matches a struct_ops map's
 * members with the kernel's by name, so tcp_congestion_ops lists only the members the cases
 * set (each data member the size the kernel's has).
 */
#ifndef KFP_E2E_KERNEL_TYPES_H
#define KFP_E2E_KERNEL_TYPES_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

struct sock;

struct tcp_congestion_ops {
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked);
	void (*set_state)(struct sock *sk, u8 new_state);
	void (*cwnd_event)(struct sock *sk, int ev);
	void (*in_ack_event)(struct sock *sk, u32 flags);
	void (*pkts_acked)(struct sock *sk, const void *sample);
	u32 (*min_tso_segs)(struct sock *sk);
	void (*cong_control)(struct sock *sk, u32 ack, int flag, const void *rs);
	u32 (*undo_cwnd)(struct sock *sk);
	u32 (*sndbuf_expand)(struct sock *sk);
	char name[16];
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
};

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * kfp_tcpmod: kfuncs for BPF congestion control algorithms, each allowed in some callbacks
 * of the kernel's struct tcp_congestion_ops as kfp_tcp.policy says. The kfunc set and its
 * filter come from the header kfpolicy generates from that policy; scripts/e2e-kernel.sh
 * loads this module into Linux 6.12 in qemu and BPF tcp_ca programs that call the kfuncs.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/init.h>
#include <linux/module.h>
#include <net/tcp.h>

#include "kfp_tcp_kfpolicy.h"

/* Glue: the name of the generated header this file uses. */
#define kt_register_kfunc_sets	kfp_tcp_register_kfunc_sets

static atomic64_t kfp_tcp_events = ATOMIC64_INIT(0);

__bpf_kfunc_start_defs();

__bpf_kfunc u32 kfp_tcp_seed(void)
{
	return (u32)atomic64_inc_return(&kfp_tcp_events);
}

__bpf_kfunc void kfp_tcp_note(u32 what)
{
	atomic64_add(what, &kfp_tcp_events);
}

__bpf_kfunc void kfp_tcp_forget(void)
{
	atomic64_set(&kfp_tcp_events, 0);
}

__bpf_kfunc void kfp_tcp_trace(u32 what)
{
	atomic64_add(what, &kfp_tcp_events);
}

__bpf_kfunc_end_defs();

static int __init kfp_tcpmod_init(void)
{
	return kt_register_kfunc_sets();
}

static void __exit kfp_tcpmod_exit(void)
{
}

module_init(kfp_tcpmod_init);
module_exit(kfp_tcpmod_exit);
MODULE_DESCRIPTION("kfpolicy test: kfuncs for BPF congestion control with a generated filter");
MODULE_LICENSE("GPL");

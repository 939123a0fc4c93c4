// SPDX-License-Identifier: GPL-2.0
/*
 * kfp_make_demo: the consumer in the Kbuild example. Its kfunc sets, context words and
 * verifier filter come from demo_kfpolicy.h, which Kbuild generates from demo.policy through
 * kfpolicy.kbuild. It exists to be built, not loaded. (A real subsystem also registers
 * struct demo_make_ops with register_bpf_struct_ops(), which puts the struct into BTF; this
 * one does not, so resolve_btfids warns that it cannot resolve demo_make_ops.)
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/init.h>
#include <linux/module.h>

/* The interface: callback members in the kernel's order, then data. */
struct demo_make_ops {
	int (*setup)(void);
	void (*enqueue)(u64 item);
	char name[16];
};

#include "demo_kfpolicy.h"

static atomic64_t demo_make_items = ATOMIC64_INIT(0);

__bpf_kfunc_start_defs();

__bpf_kfunc void demo_make_count(void)
{
	atomic64_inc(&demo_make_items);
}

__bpf_kfunc int demo_make_alloc(void)
{
	return 0;
}

__bpf_kfunc_end_defs();

static int __init demo_make_init(void)
{
	return demo_make_register_kfunc_sets();
}

static void __exit demo_make_exit(void)
{
}

module_init(demo_make_init);
module_exit(demo_make_exit);
MODULE_DESCRIPTION("kfpolicy Kbuild example (never load it)");
MODULE_LICENSE("GPL");

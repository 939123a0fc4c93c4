// SPDX-License-Identifier: GPL-2.0
/*
 * kfp_twosets: the module twosets.policy describes, written by hand because kfpolicy refuses
 * that policy (a second kfunc set for the struct_ops hook). scripts/e2e-kernel.sh expects
 * Linux 6.12 to refuse it as well.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/init.h>
#include <linux/module.h>

__bpf_kfunc_start_defs();

__bpf_kfunc u32 kfp_twosets_a(void)
{
	return 1;
}

__bpf_kfunc u32 kfp_twosets_b(void)
{
	return 2;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(kfp_twosets_ids_a)
BTF_ID_FLAGS(func, kfp_twosets_a)
BTF_KFUNCS_END(kfp_twosets_ids_a)

BTF_KFUNCS_START(kfp_twosets_ids_b)
BTF_ID_FLAGS(func, kfp_twosets_b)
BTF_KFUNCS_END(kfp_twosets_ids_b)

static const struct btf_kfunc_id_set kfp_twosets_set_a = {
	.owner = THIS_MODULE,
	.set = &kfp_twosets_ids_a,
};

static const struct btf_kfunc_id_set kfp_twosets_set_b = {
	.owner = THIS_MODULE,
	.set = &kfp_twosets_ids_b,
};

static int __init kfp_twosets_init(void)
{
	int ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &kfp_twosets_set_a);

	return ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &kfp_twosets_set_b);
}

static void __exit kfp_twosets_exit(void)
{
}

module_init(kfp_twosets_init);
module_exit(kfp_twosets_exit);
MODULE_DESCRIPTION("kfpolicy test: a module that registers two kfunc sets for one hook");
MODULE_LICENSE("GPL");

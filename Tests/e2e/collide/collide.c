// SPDX-License-Identifier: GPL-2.0
/*
 * kfp_collide: a struct_ops interface with no policy of its own, loaded beside kfp_testmod
 * by scripts/e2e-kernel.sh. Every module's split BTF numbers its types from the end of
 * vmlinux's, so type ids of different modules collide: ops.c, linked first so that its types
 * come first in the module's BTF, declares as many padding structs (collide_pad.h, written by
 * the script) as it takes for struct kfp_collide_ops to get the same id as struct
 * kfp_testmod_ops. Programs of this interface then call kfp_testmod's kfuncs,
 * which kfp_testmod's policy gives to no other interface.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/init.h>
#include <linux/module.h>

#include "collide.h"

static const struct bpf_func_proto *
kfp_collide_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

static bool kfp_collide_is_valid_access(int off, int size, enum bpf_access_type type,
					const struct bpf_prog *prog,
					struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_verifier_ops kfp_collide_verifier_ops = {
	.get_func_proto = kfp_collide_get_func_proto,
	.is_valid_access = kfp_collide_is_valid_access,
};

static int kfp_collide_st_init(struct btf *btf)
{
	return 0;
}

static int kfp_collide_init_member(const struct btf_type *t, const struct btf_member *member,
				   void *kdata, const void *udata)
{
	return 0;
}

static int kfp_collide_reg(void *kdata, struct bpf_link *link)
{
	return 0;
}

static void kfp_collide_unreg(void *kdata, struct bpf_link *link)
{
}

static struct bpf_struct_ops kfp_collide_bpf_ops = {
	.verifier_ops = &kfp_collide_verifier_ops,
	.init = kfp_collide_st_init,
	.init_member = kfp_collide_init_member,
	.reg = kfp_collide_reg,
	.unreg = kfp_collide_unreg,
	.cfi_stubs = &kfp_collide_cfi_stubs,
	.name = "kfp_collide_ops",
	.owner = THIS_MODULE,
};

static int __init kfp_collide_init(void)
{
	return register_bpf_struct_ops(&kfp_collide_bpf_ops, kfp_collide_ops);
}

static void __exit kfp_collide_exit(void)
{
}

module_init(kfp_collide_init);
module_exit(kfp_collide_exit);
MODULE_DESCRIPTION("kfpolicy test: a struct_ops interface whose BTF type id collides with kfp_testmod's");
MODULE_LICENSE("GPL");

/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A tiny consumer of the header that kfpolicy.mk generates: it is compiled to an object (not
 * linked), which is all the make example needs to show when the header is remade. The userspace
 * stand-in replaces the kernel headers; a kernel build includes the header the same way.
 */
#include "kfpolicy_userspace.h"

/* The interface: callback members in any order, as the kernel defines them. */
struct demo_make_ops {
	void (*enqueue)(u64 item);
	int (*setup)(void);
	char name[16];
};

#include "demo_kfpolicy.h"

/* May a program implementing member `op` of struct demo_make_ops call demo_make_count()? */
bool demo_make_count_allowed(u32 op)
{
	return op < DEMO_MAKE_KFP_NR_OPS &&
	       demo_make_kfp_ctx_allows(demo_make_kfp_kfunc_ctx[DEMO_MAKE_KFP_K_DEMO_MAKE_COUNT],
					demo_make_kfp_op_ctx[op]);
}

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

/* The contexts ops.setup runs in, as the generated callback table gives them. */
u32 demo_make_setup_contexts(void)
{
	return demo_make_op_contexts(DEMO_MAKE_OP(setup));
}

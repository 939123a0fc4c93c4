/* SPDX-License-Identifier: GPL-2.0 */
/* The interface of kfp_collide, defined in ops.c. */
#ifndef KFP_COLLIDE_H
#define KFP_COLLIDE_H

#include <linux/types.h>

struct kfp_collide_ops {
	int (*probe)(void);
	void (*poke)(u64 x);
	int (*prepare)(void);
	int (*queue)(void);
};

extern struct kfp_collide_ops kfp_collide_cfi_stubs;

#endif

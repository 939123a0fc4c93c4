// SPDX-License-Identifier: GPL-2.0
/*
 * The first object of kfp_collide: its types open the module's BTF, so the padding structs
 * of collide_pad.h (written by scripts/e2e-kernel.sh) set the BTF id of struct
 * kfp_collide_ops.
 */
#include "collide_pad.h"
#include "collide.h"

static int kfp_collide_stub_probe(void) { return 0; }
static void kfp_collide_stub_poke(u64 x) {}
static int kfp_collide_stub_prepare(void) { return 0; }
static int kfp_collide_stub_queue(void) { return 0; }

struct kfp_collide_ops kfp_collide_cfi_stubs = {
	.probe = kfp_collide_stub_probe,
	.poke = kfp_collide_stub_poke,
	.prepare = kfp_collide_stub_prepare,
	.queue = kfp_collide_stub_queue,
};

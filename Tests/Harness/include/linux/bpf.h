/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* The harness's <linux/bpf.h>: the userspace stand-in serves every kernel header a generated header includes. */
#include "../../kfpolicy_userspace.h"

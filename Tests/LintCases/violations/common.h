/* Helpers shared by the callbacks of the seeded-violation scheduler. The kfunc calls here are
 * fine or wrong depending on which callback reaches them; the expectations are written in
 * violations.bpf.c and point here through SITE markers. */
#ifndef VIOLATIONS_COMMON_H
#define VIOLATIONS_COMMON_H

#include "scx_common.bpf.h"

#define USER_DSQ 7

/* Pull work into the local DSQ: only legal from ops.dispatch. */
static __always_inline bool pull_user_dsq(void)
{
	return scx_bpf_consume(USER_DSQ); // SITE: pull_consume
}

/* Two levels deep: a helper that calls a helper. */
static __always_inline void balance_queues(s32 cpu)
{
	if (scx_bpf_dsq_nr_queued(USER_DSQ) > 4)
		pull_user_dsq(); // SITE: balance_pull
}

/* A macro that expands to a helper call, and one that expands to a kfunc call. */
#define PULL_OR_KICK(cpu) (pull_user_dsq() ? 0 : (scx_bpf_kick_cpu((cpu), 0), 1))
#define CANCEL_LAST() scx_bpf_dispatch_cancel()

/* Reached through two macros. */
#define REENQ_NOW() scx_bpf_reenqueue_local()
#define MAYBE_REENQ(cond) do { if (cond) REENQ_NOW(); } while (0)

#endif

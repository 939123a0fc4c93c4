/* mesh: a periodic timer that pulls domains back into balance. */
#include "mesh.h"

#define REBALANCE_NS	(10ULL * 1000 * 1000)

struct rebalance_timer { struct bpf_timer timer; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct rebalance_timer);
} rebalance SEC(".maps");

static int rebalance_fn(void *map, int *key, struct bpf_timer *timer)
{
	u32 d;

	bpf_for(d, 0, NR_DOMS) {
		if (scx_bpf_dsq_nr_queued(DOM_DSQ(d)) > 2)
			kick_idle_domain(d);
	}
	bpf_timer_start(timer, REBALANCE_NS, 0);
	return 0;
}

int start_rebalance_timer(void)
{
	u32 key = 0;
	struct bpf_timer *timer = bpf_map_lookup_elem(&rebalance, &key);

	if (!timer)
		return -ESRCH;
	bpf_timer_init(timer, &rebalance, CLOCK_MONOTONIC);
	bpf_timer_set_callback(timer, rebalance_fn);
	return bpf_timer_start(timer, REBALANCE_NS, 0);
}

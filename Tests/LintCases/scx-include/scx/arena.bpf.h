/* BPF arena support written for kfpolicy's lint corpus: pages of an arena map are shared with
 * user space and addressed through a separate address space. */
#ifndef LINT_SCX_ARENA_BPF_H
#define LINT_SCX_ARENA_BPF_H

#include "common.bpf.h"

#define __arena __attribute__((address_space(1)))
#define ARENA_PAGES	64

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ARENA_PAGES);
} arena SEC(".maps");

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt, int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;

#endif

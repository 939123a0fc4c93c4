// SPDX-License-Identifier: GPL-2.0
/*
 * btfcache: the kernel's BTF parsed once per process, for kfp-loader (and btfinfo, which links
 * the same libbpf). libbpf parses the kernel's BTF (5 MB, 130,000 types) for every object it
 * loads and finds names in it by scanning every type: in an emulated guest that was most of a
 * case's time (250 ms of 260). scripts/e2e-kernel.sh compiles libbpf's libbpf.c with
 *   -Dbtf__load_vmlinux_btf=kfp_btf__load_vmlinux_btf -Dbtf__free=kfp_btf__free
 *   -Dbtf__find_by_name_kind=kfp_btf__find_by_name_kind
 * so that libbpf.c's calls come here (libbpf's source is not changed): the BTF is parsed once
 * and kept (freeing it is skipped; libbpf only reads it, and module BTFs are split on top of
 * it), and names in it are found in a sorted index. A lookup answers as libbpf's does: the
 * lowest id with that name and kind, base types first.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct btf *kfp_btf__load_vmlinux_btf(void);
void kfp_btf__free(struct btf *btf);
__s32 kfp_btf__find_by_name_kind(const struct btf *btf, const char *name, __u32 kind);
/* libbpf's own lookup among a split BTF's own types (internal: not in its headers). */
__s32 btf__find_by_name_kind_own(const struct btf *btf, const char *name, __u32 kind);

struct named_type {
	const char *name;
	__u32 kind;
	__s32 id;
};

static struct btf *vmlinux_btf;
static struct named_type *vmlinux_index;
static __u32 vmlinux_index_len;

static int compare_named(const void *a, const void *b)
{
	const struct named_type *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

struct btf *kfp_btf__load_vmlinux_btf(void)
{
	__u32 id, n;

	if (vmlinux_btf)
		return vmlinux_btf;
	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf)
		return NULL;
	n = btf__type_cnt(vmlinux_btf);
	vmlinux_index = calloc(n, sizeof(*vmlinux_index));
	for (id = 1; vmlinux_index && id < n; id++) {
		const struct btf_type *t = btf__type_by_id(vmlinux_btf, id);
		const char *name = btf__name_by_offset(vmlinux_btf, t->name_off);

		if (name && name[0])
			vmlinux_index[vmlinux_index_len++] = (struct named_type){ name, btf_kind(t), (__s32)id };
	}
	qsort(vmlinux_index, vmlinux_index_len, sizeof(*vmlinux_index), compare_named);
	return vmlinux_btf;
}

void kfp_btf__free(struct btf *btf)
{
	if (btf != vmlinux_btf)
		btf__free(btf);
}

__s32 kfp_btf__find_by_name_kind(const struct btf *btf, const char *name, __u32 kind)
{
	struct named_type key = { name, kind, -1 }, *hit;
	__u32 lo = 0, hi = vmlinux_index_len;

	if (!vmlinux_index || strcmp(name, "void") == 0 ||
	    (btf != vmlinux_btf && btf__base_btf(btf) != vmlinux_btf))
		return btf__find_by_name_kind(btf, name, kind);
	while (lo < hi) { /* the first entry not below key: the lowest id of (name, kind) */
		__u32 mid = lo + (hi - lo) / 2;

		if (compare_named(&vmlinux_index[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	hit = lo < vmlinux_index_len ? &vmlinux_index[lo] : NULL;
	if (hit && strcmp(hit->name, name) == 0 && hit->kind == kind)
		return hit->id;
	return btf == vmlinux_btf ? -ENOENT : btf__find_by_name_kind_own(btf, name, kind);
}

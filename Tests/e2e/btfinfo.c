// SPDX-License-Identifier: GPL-2.0
/*
 * btfinfo: reads a kernel module's split BTF on top of vmlinux's, for scripts/e2e-kernel.sh.
 *   btfinfo MODULE.ko VMLINUX id STRUCT   prints the BTF type id of struct STRUCT
 *   btfinfo MODULE.ko VMLINUX header STRUCT...   prints these structs of the module as C, with
 *                                         what they need (BPF programs include it after vmlinux.h)
 * (Debian's bpftool 7.1 cannot read the split BTF of a 6.12 module; libbpf 1.5 can.)
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void print_c(void *ctx, const char *fmt, va_list args)
{
	vfprintf(stdout, fmt, args);
}

/* The id of the module's own struct NAME, or -1 (and a message). */
static int find_struct(const struct btf *btf, const struct btf *base, const char *file, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	if (id < (int)btf__type_cnt(base)) {
		fprintf(stderr, "btfinfo: %s has no struct %s of its own\n", file, name);
		return -1;
	}
	return id;
}

int main(int argc, char **argv)
{
	struct btf *base, *btf;
	int id, err = 0;

	if (argc < 5 || (strcmp(argv[3], "id") == 0 && argc != 5)) {
		fprintf(stderr, "usage: btfinfo MODULE.ko VMLINUX id STRUCT | header STRUCT...\n");
		return 2;
	}
	base = btf__parse(argv[2], NULL);
	if (!base) {
		fprintf(stderr, "btfinfo: cannot read the BTF of %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	btf = btf__parse_split(argv[1], base);
	if (!btf) {
		fprintf(stderr, "btfinfo: cannot read the BTF of %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (strcmp(argv[3], "id") == 0) {
		id = find_struct(btf, base, argv[1], argv[4]);
		if (id < 0)
			return 1;
		printf("%d\n", id);
	} else {
		struct btf_dump *d = btf_dump__new(btf, print_c, NULL, NULL);
		int i;

		for (i = 4; !err && i < argc; i++) {
			id = find_struct(btf, base, argv[1], argv[i]);
			err = id < 0 ? id : btf_dump__dump_type(d, id);
		}
		btf_dump__free(d);
	}
	btf__free(btf);
	btf__free(base);
	return err ? 1 : 0;
}

#!/usr/bin/env python3
"""Writes what bench/filter_bench.c needs besides the generated header: an absolute symbol
per BTF id the header names (kfuncs descending from 5000, so that resolving the sets really
reorders them; structs from 42 in the order of the header's id list), and the kfuncs in a table.

    bench/prelude.py GENERATED_HEADER > prelude.h
"""
import os
import re
import sys


def main():
    path = sys.argv[1]
    h = open(path).read()
    kfuncs = list(dict.fromkeys(re.findall(r"BTF_ID(?:_FLAGS)?\(func, (\w+)", h)))
    structs = re.findall(r"BTF_ID\(struct, (\w+)\)", h) + re.findall(r"BTF_ID_LIST_SINGLE\(\w+, struct, (\w+)\)", h)
    out = ["#ifndef PRELUDE_H", "#define PRELUDE_H"]
    for i, name in enumerate(kfuncs):
        out.append(f'asm(".globl __kfp_id_{name}\\n.set __kfp_id_{name}, {5000 - 7 * i}");')
    for i, name in enumerate(structs):
        out.append(f'asm(".globl __kfp_id_{name}\\n.set __kfp_id_{name}, {42 + i}");')
    out.append("static const struct { const char *name; u32 id; } kfuncs[] = {")
    out += [f'\t{{ "{name}", {5000 - 7 * i} }},' for i, name in enumerate(kfuncs)]
    out.append("};")
    out.append(f'#include "{os.path.basename(path)}"')
    out.append("#endif")
    print("\n".join(out))


if __name__ == "__main__":
    main()

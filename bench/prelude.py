#!/usr/bin/env python3
"""Writes the prelude a generated kfpolicy header needs in userspace (bench/filter_bench.c):
the policy's struct with one function pointer per callback, an absolute symbol per BTF id the
header names, and short macros for the generated names. Everything is read from the header.

    bench/prelude.py GENERATED_HEADER > prelude.h
"""
import os
import re
import sys


def main():
    path = sys.argv[1]
    h = open(path).read()
    p = re.search(r"enum (\w+)_kfp_op \{", h).group(1)
    P = p.upper()
    members = re.findall(rf"\b{P}_KFP_OP_\w+ = {P}_KFP_OP_IDX\((\w+)\)", h)
    kfuncs = re.findall(rf'\[{P}_KFP_K_\w+\] = "([^"]+)"', h)
    impls = [s for s in dict.fromkeys(re.findall(r"BTF_ID\(func, (\w+)\)", h)) if s not in kfuncs]
    struct = re.search(r"BTF_ID\(struct, (\w+)\)", h).group(1)
    n = len(kfuncs) + len(impls)
    out = ["#ifndef PRELUDE_H", "#define PRELUDE_H", f"struct {struct} {{"]
    out += [f"\tvoid (*{m})(void);" for m in members]
    out += ["\tchar name[128];", "};"]
    # Ids descending, so that resolving the sets (sorting by id) really reorders them.
    ids = {}
    for i, name in enumerate(kfuncs + impls):
        ids[name] = 100 + 7 * (n - i)
        out.append(f'asm(".globl __kfp_id_{name}\\n.set __kfp_id_{name}, {ids[name]}");')
    out.append(f'asm(".globl __kfp_id_{struct}\\n.set __kfp_id_{struct}, 42");')
    out.append("#define STRUCT_BTF_ID 42")
    out.append("static const u32 kfunc_ids[] = { " + "".join(f"{ids[k]}, " for k in kfuncs) + "0 };")
    out.append(f'#include "{os.path.basename(path)}"')
    out.append(f"#define KP(x) {P}_KFP_##x")
    out.append(f"#define kp(x) {p}_kfp_##x")
    out.append(f"#define FILTER {p}_kfunc_filter")
    out.append("#endif")
    print("\n".join(out))


if __name__ == "__main__":
    main()

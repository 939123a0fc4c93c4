#!/usr/bin/env bash
# Unpacks the few Linux 6.12 source files that `kfpolicy check --kernel-src` and
# `kfpolicy import` are tested against, and the kernel's checkpatch.pl and kernel-doc that
# every generated header is checked with, from Debian's linux-source-6.12 tarball, into a cache
# directory (default .build-kernel-src/linux-6.12, which git ignores). Prints the directory.
# Safe to run again and concurrently: it unpacks once, into a temporary directory renamed
# into place. Exits 3 (and prints nothing) when the tarball is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=${KFPOLICY_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
dest=${1:-.build-kernel-src/linux-6.12}
files=(
    Makefile kernel/sched/ext.c kernel/sched/ext.h include/linux/sched/ext.h
    net/ipv4/bpf_tcp_ca.c net/ipv4/tcp_cong.c include/net/tcp.h
    include/linux/btf.h include/linux/btf_ids.h
    scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch scripts/kernel-doc
)
# A cache from before a file was added to the list is unpacked again.
if [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "${files[*]}" ]; then echo "$dest"; exit 0; fi
[ -f "$tarball" ] || { echo "kernel-src: $tarball is missing (install linux-source-6.12)" >&2; exit 3; }
top=$(tar -tJf "$tarball" 2>/dev/null | head -1 | cut -d/ -f1 || true)
mkdir -p "$(dirname "$dest")"
tmp=$(mktemp -d "$(dirname "$dest")/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" "${files[@]/#/$top/}"
echo "${files[*]}" > "$tmp/$top/.complete"
if [ ! -f "$dest/.complete" ] || [ "$(cat "$dest/.complete")" != "${files[*]}" ]; then
    rm -rf "$dest"
    mv "$tmp/$top" "$dest" 2>/dev/null || [ -f "$dest/.complete" ]
fi
echo "$dest"

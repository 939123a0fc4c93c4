#!/usr/bin/env bash
# Builds the generated part of kfpolicy lint's corpus into a cache directory (default
# .build-lint-corpus, which git ignores) and prints the directory:
#   vmlinux.h   the C types of Debian's Linux 6.12 kernel, dumped by bpftool from the BTF of
#               the kernel image in /boot (linux-image-6.12-amd64): the image's payload is
#               decompressed (zstd, found by its magic number) and its .BTF section dumped as C
#   bpf/        libbpf's BPF-side headers from Linux 6.12's tools/lib/bpf (libbpf 1.5), with
#               bpf_helper_defs.h generated from the UAPI bpf.h by the kernel's
#               scripts/bpf_doc.py, as libbpf's own build does
# Safe to run again and concurrently: it builds once, into a temporary directory renamed into
# place. Exits 3 (printing nothing on stdout) when something it needs is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.build-lint-corpus}
image=${KFPOLICY_KERNEL_IMAGE:-$(ls /boot/vmlinuz-6.12.* 2>/dev/null | sort -V | tail -1)}
tarball=${KFPOLICY_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
missing() { echo "lint-corpus: $1 (./scripts/setup.sh installs it)" >&2; exit 3; }
[ -n "$image" ] && [ -f "$image" ] || missing "no /boot/vmlinuz-6.12.* kernel image (linux-image-6.12-amd64)"
[ -f "$tarball" ] || missing "$tarball is missing (linux-source-6.12)"
for tool in bpftool zstd python3; do command -v "$tool" >/dev/null || missing "$tool is not installed"; done

mkdir -p "$(dirname "$dest")"
tmp=$(mktemp -d "$(dirname "$dest")/.lint-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The kernel: try each zstd frame start in the image until one decompresses to an ELF file
# whose BTF bpftool can read.
python3 - "$image" "$tmp/offsets" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
magic, at, out = b"\x28\xb5\x2f\xfd", 0, []
while (at := data.find(magic, at)) >= 0:
    out.append(str(at))
    at += 1
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
found=""
while read -r offset; do
    tail -c +$((offset + 1)) "$image" | zstd -dcq 2>/dev/null >"$tmp/vmlinux" || true
    if head -c 4 "$tmp/vmlinux" | grep -q ELF && bpftool btf dump file "$tmp/vmlinux" format c >"$tmp/vmlinux.h" 2>/dev/null; then
        found=yes
        break
    fi
done <"$tmp/offsets"
rm -f "$tmp/vmlinux" "$tmp/offsets"
[ -n "$found" ] || { echo "lint-corpus: no BTF found in $image" >&2; exit 1; }

# libbpf's headers, and its helper definitions generated as its Makefile does.
top=$(tar -tJf "$tarball" 2>/dev/null | head -1 | cut -d/ -f1 || true)
files=(tools/lib/bpf/bpf_helpers.h tools/lib/bpf/bpf_tracing.h tools/lib/bpf/bpf_core_read.h
       tools/lib/bpf/bpf_endian.h scripts/bpf_doc.py include/uapi/linux/bpf.h)
tar -xJf "$tarball" -C "$tmp" "${files[@]/#/$top/}"
mkdir -p "$tmp/bpf"
cp "$tmp/$top"/tools/lib/bpf/bpf_{helpers,tracing,core_read,endian}.h "$tmp/bpf/"
python3 "$tmp/$top/scripts/bpf_doc.py" --header --file "$tmp/$top/include/uapi/linux/bpf.h" >"$tmp/bpf/bpf_helper_defs.h"
rm -rf "${tmp:?}/$top"

touch "$tmp/.complete"
if [ ! -f "$dest/.complete" ]; then
    rm -rf "$dest"
    mv "$tmp" "$dest" 2>/dev/null || [ -f "$dest/.complete" ]
fi
echo "$dest"

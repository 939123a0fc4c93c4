#!/usr/bin/env bash
# Installs what kfpolicy's build and tests need on a Debian machine, if it is missing.
# Safe to run again: it only calls apt-get when a package is absent.
set -euo pipefail

packages=(libclang-dev linux-source-6.12 linux-headers-6.12-amd64 linux-headers-amd64 graphviz make gcc
          time protobuf-compiler python3 # these three for scripts/bench.sh
          python3-jsonschema python3-rfc3987 # validating SARIF (scripts/validate-sarif.py)
          dpkg-dev binutils man-db zsh fish # make deb and scripts/test-install.sh
          # scripts/e2e-kernel.sh: the 6.12 kernel booted in qemu, BPF programs, libbpf's build
          linux-image-6.12-amd64 qemu-system-x86 clang busybox-static cpio xz-utils
          libelf-dev zlib1g-dev libzstd-dev
          # scripts/lint-corpus.sh: bpftool dumps the lint corpus's vmlinux.h from the 6.12
          # image's BTF; zstd decompresses the image
          bpftool zstd)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 2; }

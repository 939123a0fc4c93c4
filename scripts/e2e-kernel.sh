#!/usr/bin/env bash
# The real-kernel test: Debian's Linux 6.12, booted in qemu (TCG), loads the test modules built
# from the generated headers and BPF programs calling each kfunc from each caller, and every
# verdict of its verifier is compared with the one kfpolicy's model gives
# (`kfpolicy matrix --format json`; `kfpolicy explain` for raw_tracepoint programs). Prints a
# table, `kernel: <uname -r in the guest>` and last `real verifier: N/N cases as the policy
# decides`; exits 1 on any difference and 2 when
# something cannot be built or booted. Never loads anything into this machine's kernel.
#
# Build cache (ignored by git): .build-e2e/ (libbpf 1.5 from linux-source-6.12, the modules,
# the BPF objects, the initramfs). KFP_E2E_TIMEOUT: seconds the guest may run (default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
B=$root/.build-e2e
mkdir -p "$B"
die() { echo "e2e-kernel: error: $*" >&2; exit 2; }
step() { printf 'e2e-kernel: %-40s %s\n' "$1" "$(date +%T)" >&2; }
start=$(date +%s)

./scripts/setup.sh
for tool in qemu-system-x86_64 clang cpio gcc make python3 tar readelf strip; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup.sh installs it)"
done

# The 6.12 headers and the kernel image of the same version.
kdir=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kdir" ] || die "no /usr/src/linux-headers-6.12.*-amd64 (install linux-headers-6.12-amd64)"
kver=${kdir#/usr/src/linux-headers-}
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "no readable $kernel: install linux-image-$kver (the headers' version)"
[ -r "$kdir/vmlinux" ] || die "$kdir/vmlinux is missing: the module BTF needs it"
src_tar=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1)
[ -n "$src_tar" ] || die "no /usr/src/linux-source-6.12.tar.* (install linux-source-6.12)"

# libbpf >= 1.5, static, from the kernel source's tools/lib/bpf (Debian's 1.1 cannot load a
# module's struct_ops). libbpf.c is compiled so that three of its calls go to
# Tests/e2e/btfcache.c, which parses the kernel's BTF once per process (see there).
libbpf=$B/libbpf/usr
libbpf_flags="-Dbtf__load_vmlinux_btf=kfp_btf__load_vmlinux_btf -Dbtf__free=kfp_btf__free"
libbpf_flags+=" -Dbtf__find_by_name_kind=kfp_btf__find_by_name_kind"
if [ ! -f "$libbpf/lib64/libbpf.a" ] || [ "$(cat "$B/libbpf.flags" 2>/dev/null)" != "$libbpf_flags" ]; then
    rm -f "$B/libbpf.flags"
    step "building libbpf from $(basename "$src_tar")"
    rm -rf "$B/linux-src" "$B/libbpf" "$B/libbpf-obj"
    mkdir -p "$B/linux-src" "$B/libbpf-obj"
    tar -xf "$src_tar" -C "$B/linux-src" --strip-components=1 \
        linux-source-6.12/tools/lib/bpf linux-source-6.12/tools/include linux-source-6.12/tools/scripts \
        linux-source-6.12/tools/build linux-source-6.12/tools/arch/x86/include linux-source-6.12/scripts/bpf_doc.py
    # Through the environment: libbpf's Makefile does not pass command-line variables on.
    env "CFLAGS_libbpf.o=$libbpf_flags" make -s -C "$B/linux-src/tools/lib/bpf" BUILD_STATIC_ONLY=1 \
        OUTPUT="$B/libbpf-obj/" DESTDIR="$B/libbpf" prefix=/usr -j2 install >"$B/libbpf.log" 2>&1 ||
        { tail -n 30 "$B/libbpf.log" >&2; die "libbpf did not build (log: $B/libbpf.log)"; }
    echo "$libbpf_flags" >"$B/libbpf.flags"
fi
nm "$libbpf/lib64/libbpf.a" 2>/dev/null | grep 'U kfp_btf__load_vmlinux_btf' >/dev/null ||
    die "libbpf was built without the calls to Tests/e2e/btfcache.c"
grep -q 'LIBBPF_MINOR_VERSION [5-9]' "$libbpf/include/bpf/libbpf_version.h" ||
    die "libbpf in $libbpf is older than 1.5"

step "kfpolicy: headers and verdict matrices"
swift build --product kfpolicy >"$B/swift-build.log" 2>&1 ||
    { tail -n 30 "$B/swift-build.log" >&2; die "kfpolicy did not build"; }
k=$root/.build/debug/kfpolicy
mkdir -p "$B/gen/examples"
# (testmod.policy's nesting cycle is a warning, KFP503: its instances are checked at registration.)
{ $k gen -o "$B/gen" Tests/e2e/tcpmod/kfp_tcp.policy &&
  $k gen -o "$B/gen/examples" Policies/examples/testmod.policy &&
  $k matrix Policies/examples/testmod.policy --format json -o "$B/testmod.json" &&
  $k matrix Tests/e2e/tcpmod/kfp_tcp.policy --format json -o "$B/kfp_tcp.json"
} 2>"$B/kfpolicy.log" || { cat "$B/kfpolicy.log" >&2; die "kfpolicy failed on the test policies"; }
# Tests/e2e/twosets: a module registering two kfunc sets for one hook. Its policy's verdict
# (refused with KFP410, or not) is what the guest's insmod must give.
twosets_json=$($k check Tests/e2e/twosets/twosets.policy --diagnostics-format json 2>/dev/null || true)
twosets_ids=$(python3 -c 'import json, sys
print(",".join(d["id"] for d in json.loads(sys.argv[1]) if d["severity"] == "error"))' "$twosets_json") ||
    die "kfpolicy check gave no diagnostics for Tests/e2e/twosets/twosets.policy"

# Copies a folder's files into the build folder, touching only those that changed (Kbuild
# then rebuilds only what it must).
sync_dir() {
    mkdir -p "$2"
    for f in "$1"/*; do cmp -s "$f" "$2/$(basename "$f")" || cp "$f" "$2/"; done
}
build_module() { # DIR NAME
    make -s -C "$kdir" M="$1" KFP_GENERATED="$B/gen" KFP_WITH_SCX=n modules >"$B/kbuild-$2.log" 2>&1 ||
        { tail -n 30 "$B/kbuild-$2.log" >&2; die "module $2 did not build"; }
}
btfinfo=$B/btfinfo
gcc -O2 -Wall -Werror -I"$libbpf/include" Tests/e2e/btfinfo.c Tests/e2e/btfcache.c "$libbpf/lib64/libbpf.a" \
    -lelf -lz -lzstd -o "$btfinfo"

step "modules (Kbuild against $kver)"
sync_dir Tests/kbuild/testmod "$B/mod/testmod"
sync_dir Tests/e2e/tcpmod "$B/mod/tcpmod"
sync_dir Tests/e2e/collide "$B/mod/collide"
sync_dir Tests/e2e/twosets "$B/mod/twosets"
build_module "$B/mod/testmod" kfp_testmod
build_module "$B/mod/tcpmod" kfp_tcpmod
build_module "$B/mod/twosets" kfp_twosets
# kfp_collide gets as many padding structs as make its struct's BTF id that of kfp_testmod_ops.
want=$("$btfinfo" "$B/mod/testmod/kfp_testmod.ko" "$kdir/vmlinux" id kfp_testmod_ops)
pad() { # N: writes collide_pad.h with N padding structs (only if it changes)
    { echo "/* Written by scripts/e2e-kernel.sh: $1 padding structs. */"
      for ((i = 0; i < $1; i++)); do echo "struct kfp_collide_pad_$i { int pad; } kfp_collide_pad_$i;"; done
    } >"$B/collide_pad.h"
    cmp -s "$B/collide_pad.h" "$B/mod/collide/collide_pad.h" || cp "$B/collide_pad.h" "$B/mod/collide/collide_pad.h"
}
collide_id() {
    build_module "$B/mod/collide" kfp_collide
    "$btfinfo" "$B/mod/collide/kfp_collide.ko" "$kdir/vmlinux" id kfp_collide_ops
}
[ -f "$B/mod/collide/collide_pad.h" ] || pad 0
got=$(collide_id)
if [ "$got" != "$want" ]; then
    pad 0
    base=$(collide_id)
    [ "$base" -le "$want" ] || die "struct kfp_collide_ops has id $base without padding, above kfp_testmod_ops' $want"
    pad $((want - base))
    got=$(collide_id)
fi
[ "$got" = "$want" ] || die "padding did not make the ids collide: kfp_collide_ops $got, kfp_testmod_ops $want"
echo "e2e-kernel: BTF ids at build: kfp_testmod_ops $want, kfp_collide_ops $got" >&2

step "BPF programs"
bpf=$B/bpf
mkdir -p "$bpf"
{ "$btfinfo" "$B/mod/testmod/kfp_testmod.ko" "$kdir/vmlinux" header kfp_testmod_ops kfp_testmod_buf
  "$btfinfo" "$B/mod/collide/kfp_collide.ko" "$kdir/vmlinux" header kfp_collide_ops
} >"$bpf/modules.h.new"
cmp -s "$bpf/modules.h.new" "$bpf/modules.h" || mv "$bpf/modules.h.new" "$bpf/modules.h"
# What the policy says of each kfunc from a raw_tracepoint program (explain: 0 allowed, 1 denied).
for kf in $(python3 -c 'import json, sys
print(" ".join(k["name"] for k in json.load(open(sys.argv[1]))["kfuncs"]))' "$B/testmod.json"); do
    rc=0; $k explain Policies/examples/testmod.policy "$kf" raw_tracepoint >/dev/null 2>&1 || rc=$?
    case $rc in 0) echo "$kf loads" ;; 1) echo "$kf refused_by_filter" ;; *) die "kfpolicy explain failed for $kf" ;; esac
done >"$B/testmod-rawtp.txt"
python3 Tests/e2e/e2e.py plan "$B/plan" testmod="$B/testmod.json" kfp_tcp="$B/kfp_tcp.json" \
    rawtp:testmod="$B/testmod-rawtp.txt"
cflags="-target bpf -O2 -g -Wall -Werror -I$root/Tests/e2e -I$bpf -I$libbpf/include"
export cflags
# One object per case, recompiled when its source or a shared header is newer.
find "$B/plan/bpf" -name '*.bpf.c' | sort | while read -r c; do
    o=$bpf/$(basename "$c" .bpf.c).o
    if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$bpf/modules.h" -nt "$o" ] ||
       [ Tests/e2e/kernel_types.h -nt "$o" ]; then
        echo "$c"
    fi
done | xargs -r -P 2 -I{} sh -c 'o=$0/$(basename {} .bpf.c).o
    clang $cflags -c {} -o "$o" || { rm -f "$o"; exit 255; }' "$bpf" ||
    die "a BPF program did not compile"

step "loader and initramfs"
ird=$B/initramfs
rm -rf "$ird"
mkdir -p "$ird"/{bin,dev,proc,sys,tmp,mods,cases}
gcc -static -O2 -Wall -Werror -I"$libbpf/include" Tests/e2e/loader.c Tests/e2e/btfcache.c "$libbpf/lib64/libbpf.a" \
    -lelf -lz -lzstd -o "$ird/kfp-loader" ||
    die "the loader did not build (it links libbpf, libelf, zlib and zstd statically)"
readelf -l /bin/busybox | grep INTERP >/dev/null && die "/bin/busybox is not statically linked (install busybox-static)"
cp /bin/busybox "$ird/bin/busybox"
cp Tests/e2e/init "$ird/init"
chmod +x "$ird/init"
modules="kfp_testmod kfp_collide kfp_tcpmod kfp_twosets"
echo "$modules" >"$ird/mods/order"
for m in $modules; do strip --strip-debug -o "$ird/mods/$m.ko" "$B/mod/${m#kfp_}/$m.ko"; done
cp "$B/plan/manifest" "$ird/cases/"
for c in "$B"/plan/bpf/*.bpf.c; do cp "$bpf/$(basename "$c" .bpf.c).o" "$ird/cases/"; done
(cd "$ird" && find . | sort | cpio -o -H newc --quiet) >"$B/initramfs.cpio"

step "booting $kver in qemu (TCG)"
boot_start=$(date +%s.%N)
timeout "${KFP_E2E_TIMEOUT:-120}" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 1G \
    -nographic -no-reboot -nic none -kernel "$kernel" -initrd "$B/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 loglevel=3 mitigations=off rdinit=/init" </dev/null >"$B/console.log" 2>&1 ||
    echo "e2e-kernel: qemu exited with status $? (timeout or crash; console: $B/console.log)" >&2
boot_end=$(date +%s.%N)
grep -q KFP-BOOTED "$B/console.log" || { tail -n 40 "$B/console.log" >&2; die "the guest did not boot"; }

awk -v b="$boot_start" -v e="$boot_end" -v w=$(($(date +%s) - start)) \
    'BEGIN { printf "e2e-kernel: boot and cases %.1f s, script so far %d s\n", e - b, w }' >&2
# The report's last line is `real verifier: N/N cases as the policy decides`.
python3 Tests/e2e/e2e.py report "$B/plan" "$B/console.log" modules="${modules// /,}" built_ids="$want/$got" \
    kfp_twosets_errors="$twosets_ids"

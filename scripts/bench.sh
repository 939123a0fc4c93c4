#!/usr/bin/env bash
# Benchmarks (figures, not tests). Builds kfpolicy in release mode and prints, on this machine:
#  1. `kfpolicy gen Policies/scx.policy` end to end, with and without libclang validation,
#     against the same binary's `--version` (the floor a process start reaches);
#  2. gen of synthetic policies of 1k and 10k kfuncs (scripts/synth-policy.py: callbacks, groups,
#     sets and nesting in proportion; a whole kernel has a few thousand kfuncs): wall time and CPU
#     time (user + system, what one thread costs whatever else the machine runs), peak memory,
#     growth from one size to the next, against the aim of 10,000 kfuncs in under 0.5 s; and
#     protoc compiling a .proto of the same line count and size to C++, as a ratio;
#  3. the generated sched_ext filter's cost per decision against a model of mainline's
#     hand-written scx_kfunc_context_filter (bench/filter_bench.c), as a ratio.
# Needs python3, cc, /usr/bin/time and protoc (scripts/setup.sh installs them).
# KFPOLICY_BENCH_SCRATCH picks the build directory (default .build); KFPOLICY_BENCH_SIZES the
# synthetic sizes (default "1000 10000").
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${KFPOLICY_BENCH_SCRATCH:-.build}"
sizes="${KFPOLICY_BENCH_SIZES:-1000 10000}"
for tool in python3 cc protoc /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run scripts/setup.sh" >&2; exit 2; }
done
swift build -c release --product kfpolicy --scratch-path "$scratch" >&2
k="$scratch/release/kfpolicy"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "## kfpolicy benchmarks"
echo
echo "$(uname -m), $(nproc) cores, $(swift --version 2>/dev/null | head -1), $(protoc --version)"
echo

# 1. scx.policy end to end, each run into a fresh directory (so each run writes its outputs).
echo "### gen Policies/scx.policy (median of 20 runs)"
echo
echo "| command | median ms | min ms | peak MB | vs --version |"
echo "|---|---:|---:|---:|---:|"
read -r vmed vmin vmem < <(python3 bench/measure.py 20 "$k" --version)
echo "| kfpolicy --version | $vmed | $vmin | $vmem | 1.00 |"
row() { # label, then the command
    local label="$1"; shift
    read -r med min mem < <(python3 bench/measure.py 20 "$@")
    echo "| $label | $med | $min | $mem | $(python3 -c "print(f'{$med / $vmed:.2f}')") |"
}
novalidate=()
if grep -q -- "--no-validate" < <("$k" gen --help 2>&1); then
    row "kfpolicy gen (libclang validation)" "$k" gen Policies/scx.policy -o "$tmp/scx{i}"
    novalidate=(--no-validate)
    row "kfpolicy gen --no-validate" "$k" gen --no-validate Policies/scx.policy -o "$tmp/scxn{i}"
else
    row "kfpolicy gen (this build has no libclang validation)" "$k" gen Policies/scx.policy -o "$tmp/scx{i}"
fi
echo

# 2. Synthetic policies, and protoc on a .proto of the same shape.
echo "### Synthetic policies: gen --ignore-kernel-limits ${novalidate[*]} vs protoc --cpp_out (best of 5)"
echo
echo "Aim: 10,000 kfuncs parsed, checked and generated in under 0.5 s on one thread (kfpolicy is"
echo "single-threaded; CPU s is user + system time, which other load on the machine does not inflate)."
echo
echo "| kfuncs | lines | policy MB | .proto MB | header MB | kfpolicy s | kfpolicy CPU s | peak MB | growth | protoc s | protoc peak MB | kfpolicy / protoc |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
best() { # runs "$@" RUNS times (default 5) under /usr/bin/time; prints the best "seconds cpu-seconds peak-KB"
    local b="" c="" m=0
    for _ in $(seq "${RUNS:-5}"); do
        /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
        read -r s u sy kb < "$tmp/time"
        cpu=$(python3 -c "print(f'{$u + $sy:.2f}')")
        if [ -z "$b" ] || python3 -c "import sys; sys.exit(0 if $s < $b else 1)"; then b="$s"; fi
        if [ -z "$c" ] || python3 -c "import sys; sys.exit(0 if $cpu < $c else 1)"; then c="$cpu"; fi
        [ "$kb" -gt "$m" ] && m="$kb"
    done
    echo "$b $c $m"
}
prev=""
for n in $sizes; do
    python3 scripts/synth-policy.py "$n" "$tmp/synth$n.policy"
    python3 scripts/synth-policy.py "$n" "$tmp/synth$n.proto" --proto
    lines=$(wc -l < "$tmp/synth$n.policy")
    [ "$lines" -eq "$(wc -l < "$tmp/synth$n.proto")" ] || { echo "bench: .proto line count differs" >&2; exit 1; }
    read -r ks kcpu kkb < <(best "$k" gen --ignore-kernel-limits "${novalidate[@]}" "$tmp/synth$n.policy" -o "$tmp/out$n")
    mkdir -p "$tmp/proto$n"
    read -r ps _ pkb < <(best protoc -I "$tmp" --cpp_out="$tmp/proto$n" "$tmp/synth$n.proto")
    growth="-"
    [ -n "$prev" ] && growth="$(python3 -c "print(f'{$ks / $prev:.1f}x')")"
    prev="$ks"
    python3 - "$n" "$lines" "$tmp/synth$n.policy" "$tmp/synth$n.proto" "$tmp/out$n/synth${n}_kfpolicy.h" "$ks" "$kcpu" "$kkb" "$growth" "$ps" "$pkb" <<'PY'
import os, sys
n, lines, pol, proto, hdr, ks, kcpu, kkb, growth, ps, pkb = sys.argv[1:]
mb = lambda p: os.path.getsize(p) / 1e6
ratio = float(ks) / max(float(ps), 0.005)
print(f"| {int(n):,} | {int(lines):,} | {mb(pol):.1f} | {mb(proto):.1f} | {mb(hdr):.1f} | {float(ks):.2f} | {float(kcpu):.2f} | {int(kkb) / 1024:.0f} | {growth} | {float(ps):.2f} | {int(pkb) / 1024:.0f} | {ratio:.2f} |")
PY
done
echo

# 3. The generated sched_ext filter against a model of mainline's hand-written one.
echo "### Filter cost per decision: generated vs mainline's hand-written sched_ext filter"
echo "(userspace, cc -O2, best of 21 interleaved runs, thread CPU time; after checking that both"
echo "reach the same verdict on every struct, member, kfunc and program type)"
echo
echo "| kfuncs | decisions compared | generated ns | mainline model ns | generated / mainline |"
echo "|---:|---:|---:|---:|---:|"
mkdir -p "$tmp/fb"
cp Generated/scx_kfpolicy.h "$tmp/fb/"
python3 bench/prelude.py "$tmp/fb/scx_kfpolicy.h" > "$tmp/fb/prelude.h"
cc -std=gnu11 -O2 -Wall -Wextra -Wno-unused-function -I "$tmp/fb" -I Tests/Harness/include -I Tests/Harness \
    bench/filter_bench.c -o "$tmp/fb/bench"
read -r _ nk _ nc _ gns _ hns _ ratio < <("$tmp/fb/bench")
echo "| $nk | $nc | $gns | $hns | $ratio |"

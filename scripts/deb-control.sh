#!/usr/bin/env bash
# Writes the DEBIAN/control file of the kfpolicy package to standard output.
# Usage: deb-control.sh STAGE, where STAGE/debian/kfpolicy holds the files `make install
# PREFIX=/usr` laid out (the layout dpkg-shlibdeps expects).
#
# Depends comes from dpkg-shlibdeps, which finds the package of each library the binary links
# (dpkg -S) and the lowest version its symbols need. As a check, every library the binary
# needs (as ldd resolves it) must belong to a package named there: a libclang that Depends missed would leave an
# installed kfpolicy that cannot start.
set -euo pipefail
stage=$1
bin=$stage/debian/kfpolicy/usr/bin/kfpolicy
[ -x "$bin" ] || { echo "deb-control: $bin is missing" >&2; exit 2; }

version=$("$bin" --version)
arch=$(dpkg --print-architecture)
# dpkg-shlibdeps finds the package's root by its DEBIAN directory.
mkdir -p "$stage/debian/kfpolicy/DEBIAN"
printf 'Source: kfpolicy\n\nPackage: kfpolicy\nArchitecture: any\n' > "$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O debian/kfpolicy/usr/bin/kfpolicy | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb-control: dpkg-shlibdeps found no dependency" >&2; exit 1; }

# The package that owns a library, asked by the path ldd gives and by its real path, each also
# with /usr toggled (with merged /usr, dpkg knows a file under one of the two names).
owner_of() {
    local p real
    real=$(readlink -f "$1")
    for p in "$1" "$real" "/usr$1" "/usr$real" "${1#/usr}" "${real#/usr}"; do
        dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1 && return 0
    done
    return 1
}

names=" $(echo "$depends" | tr ',|' '\n\n' | sed 's/(.*//; s/ //g' | tr '\n' ' ') "
while read -r lib; do
    owner=$(owner_of "$lib") || true
    [ -n "$owner" ] || { echo "deb-control: no package owns $lib" >&2; exit 1; }
    case "$names" in
        *" $owner "*) ;;
        *) echo "deb-control: $lib belongs to $owner, which Depends ($depends) does not name" >&2; exit 1 ;;
    esac
done < <(for needed in $(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    # The library the loader picks for each name the binary needs (not their own needs).
    ldd "$bin" | awk -v n="$needed" '$1 == n && $2 == "=>" { print $3 } $1 ~ "/" n "$" { print $1 }'
done)

# libclang finds the compiler's own headers (stddef.h, stdbool.h, ...) in the matching
# libclang-common-N-dev; lint needs them for programs that include them.
recommends=graphviz
clang_runtime=$(echo "$names" | tr ' ' '\n' | grep -E '^libclang1-[0-9]+$' | head -1) || true
[ -z "$clang_runtime" ] || recommends="$recommends, libclang-common-${clang_runtime#libclang1-}-dev"

size=$(du -sk --apparent-size --exclude=DEBIAN "$stage/debian/kfpolicy" | cut -f1)
cat <<CONTROL
Package: kfpolicy
Version: $version
Architecture: $arch
Maintainer: kfpolicy developers <kfpolicy@example.invalid>
Installed-Size: $size
Depends: $depends
Recommends: $recommends
Section: devel
Priority: optional
Description: compiler for BPF kfunc policies of struct_ops interfaces
 kfpolicy reads a policy that says which kfuncs each struct_ops callback (a
 sched_ext scheduler's ops.enqueue, a TCP congestion control's cong_avoid) may
 call, checks it, explains every decision, and generates the kernel C header
 with the kfunc sets, the verifier filter and the nesting checks. It lints BPF
 programs against a policy, shows the semantic diff of a policy change (also as
 SARIF or GitHub annotations), draws the nesting graph (with graphviz) and
 serves editors through a Language Server (kfpolicy lsp).
CONTROL

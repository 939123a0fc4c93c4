#!/usr/bin/env bash
# Installs kfpolicy as a user would and runs it with no Swift toolchain in reach:
#  1. make deb; apt-get install ./kfpolicy_*.deb; run /usr/bin/kfpolicy under `env -i` with
#     PATH=/usr/bin:/bin; check its Depends, man page and completions; remove the package.
#  2. make install PREFIX=$tmp; run $tmp/bin/kfpolicy the same way; make uninstall.
# Run as root (apt-get). Everything it installs is removed again, also when a check fails.
set -euo pipefail
# (With pipefail, `cmd | grep -q` fails when grep exits before cmd has written everything: grep
# reads here-strings and process substitutions instead.)
cd "$(dirname "$0")/.."
top=$PWD
tmp=$(mktemp -d -t kfpolicy-install-test.XXXXXX)
installed_deb=0
cleanup() {
    if [ "$installed_deb" = 1 ]; then apt-get remove -y -qq kfpolicy >/dev/null 2>&1 || true; fi
    rm -rf "$tmp"
    rm -f "$top"/kfpolicy_*.deb
}
trap cleanup EXIT
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
# A clean environment: no Swift toolchain on PATH, no library path.
clean() { env -i PATH=/usr/bin:/bin HOME="$tmp" "$@"; }

[ "$(id -u)" -eq 0 ] || fail "run as root (apt-get install)"
clean sh -c 'command -v swift' >/dev/null && fail "swift is on PATH=/usr/bin:/bin: the test would prove nothing"
dpkg-query -W -f='${Status}' kfpolicy 2>/dev/null | grep -q "install ok installed" \
    && fail "a kfpolicy package is installed already"

# --- the package ---------------------------------------------------------------------------
rm -f kfpolicy_*.deb
make deb
debs=(kfpolicy_*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ] || fail "make deb made ${debs[*]}"
deb=${debs[0]}
version=$(.build-install/release/kfpolicy --version)
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version $(dpkg-deb -f "$deb" Version), tool $version"
depends=$(dpkg-deb -f "$deb" Depends)
libclang=$(ldd .build-install/release/kfpolicy | sed -n 's/.*\(libclang[^ ]*\) => \(\/[^ ]*\) .*/\2/p')
[ -n "$libclang" ] || fail "the binary links no libclang"
owner=$(dpkg -S "$(readlink -f "$libclang")" | cut -d: -f1)
echo "$depends" | grep -Eq "(^|, )$owner( |,|$)" || fail "Depends ($depends) lacks $owner, the owner of $libclang"
grep -q graphviz <<< "$(dpkg-deb -f "$deb" Recommends)" || fail "graphviz is not recommended"
echo "test-install: $deb: Depends: $depends"

apt-get install -y -qq -o DPkg::Lock::Timeout=300 "./$deb" >/dev/null
installed_deb=1
[ -x /usr/bin/kfpolicy ] || fail "/usr/bin/kfpolicy not installed"
if ldd /usr/bin/kfpolicy | grep -E 'swift|Foundation|dispatch|/opt/'; then
    fail "/usr/bin/kfpolicy links a Swift runtime or toolchain path"
fi
if grep -q '/opt/swift' < <(strings /usr/bin/kfpolicy); then fail "/usr/bin/kfpolicy names the toolchain's path"; fi

# Run where the toolchain is out of reach, from a directory outside the checkout.
check_runs() { # BIN
    local bin=$1 out=$tmp/gen-$RANDOM
    [ "$(cd "$tmp" && clean "$bin" --version)" = "$version" ] || fail "$bin --version"
    clean "$bin" gen "$top/Policies/scx.policy" -o "$out" || fail "$bin gen"
    cmp "$out/scx_kfpolicy.h" "$top/Generated/scx_kfpolicy.h" || fail "$bin gen differs from Generated/scx_kfpolicy.h"
    # Policies by name come from the installed share/kfpolicy/policies (scx includes scx/common.policy).
    (cd "$tmp" && clean "$bin" check scx scx@6.12 scx_cid tcp_cong) || fail "$bin check scx scx@6.12 scx_cid tcp_cong"
    (cd "$tmp" && clean "$bin" gen scx@6.12 -o "$out") || fail "$bin gen scx@6.12"
    cmp "$out/scx-6.12_kfpolicy.h" "$top/Generated/scx-6.12_kfpolicy.h" \
        || fail "$bin gen scx@6.12 differs from Generated/"
    local r=0
    (cd "$top" && clean "$bin" lint --policy scx@6.12 --format github Tests/LintCases/two_maps/two_maps.bpf.c \
        -- -I Tests/LintCases/include > "$tmp/lint.out") || r=$?
    [ "$r" = 1 ] && grep -q "title=KFP701::'scx_bpf_consume' is not allowed in ops.enqueue" "$tmp/lint.out" \
        || fail "$bin lint --policy scx@6.12 (status $r): $(cat "$tmp/lint.out")"
    r=0
    (cd "$tmp" && clean "$bin" check no_such_policy 2> "$tmp/err") || r=$?
    [ "$r" = 2 ] && grep -q "share/kfpolicy/policies (installed with kfpolicy)" "$tmp/err" \
        || fail "$bin: unknown policy name: $(cat "$tmp/err")"
    grep -qx 'context x;' < <(printf 'policy a for struct b;\ncontext   x;\n' | clean "$bin" fmt -) || fail "$bin fmt -"
}
check_runs /usr/bin/kfpolicy

# The man page renders without warnings and documents the subcommands.
man_out=$(clean sh -c 'MANWIDTH=100 man -l /usr/share/man/man1/kfpolicy.1.gz' 2> "$tmp/man.err")
[ ! -s "$tmp/man.err" ] || fail "man page warnings: $(head -3 "$tmp/man.err")"
for word in "kfpolicy" "lint" "lsp" "--format"; do
    grep -q -- "$word" <<< "$man_out" || fail "man page lacks $word"
done
# (The renderer may hyphenate a long word: look for it in the page's source.)
grep -q 'KFPOLICY_POLICY_PATH' < <(zcat /usr/share/man/man1/kfpolicy.1.gz) || fail "man page lacks the policy search path"
# Completions: each shell completes the subcommand names.
bash_words=$(clean bash -c 'source /usr/share/bash-completion/completions/kfpolicy
    COMP_WORDS=(kfpolicy li); COMP_CWORD=1; COMP_LINE="kfpolicy li"; COMP_POINT=${#COMP_LINE}
    _kfpolicy kfpolicy li kfpolicy
    printf "%s\n" "${COMPREPLY[@]}"')
grep -qx lint <<< "$bash_words" || fail "bash completion of 'kfpolicy li': $bash_words"
clean zsh -n /usr/share/zsh/vendor-completions/_kfpolicy || fail "zsh completion does not parse"
grep -q "lsp" /usr/share/zsh/vendor-completions/_kfpolicy || fail "zsh completion lacks lsp"
fish_words=$(clean fish -c 'source /usr/share/fish/vendor_completions.d/kfpolicy.fish; complete -C "kfpolicy ls"')
grep -q "^lsp" <<< "$fish_words" || fail "fish completion of 'kfpolicy ls': $fish_words"

apt-get remove -y -qq -o DPkg::Lock::Timeout=300 kfpolicy >/dev/null
installed_deb=0
[ ! -e /usr/bin/kfpolicy ] || fail "apt-get remove left /usr/bin/kfpolicy"

# --- make install --------------------------------------------------------------------------
make install PREFIX="$tmp/prefix"
check_runs "$tmp/prefix/bin/kfpolicy"
[ -f "$tmp/prefix/share/man/man1/kfpolicy.1.gz" ] && [ -f "$tmp/prefix/share/zsh/site-functions/_kfpolicy" ] \
    && [ -f "$tmp/prefix/share/kfpolicy/policies/tcp_cong.policy" ] || fail "make install left out files"
make uninstall PREFIX="$tmp/prefix"
left=$(find "$tmp/prefix" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"

echo "test-install: the package and make install work without a Swift toolchain"

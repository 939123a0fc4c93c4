#!/usr/bin/env sh
# A git diff driver for *.policy files: `git diff` shows what a policy change means (widenings,
# narrowings, other changes) instead of changed lines. Git calls it with 7 arguments
# (path old-file old-hex old-mode new-file new-hex new-mode) and it hands them to
# `kfpolicy diff --git-driver`. Set it up once per clone (.gitattributes names the driver):
#
#   git config diff.kfpolicy.command scripts/git-diff-driver.sh
#
# It runs $KFPOLICY if set, else kfpolicy from PATH, else this checkout's release or debug
# build. `git diff --no-ext-diff` shows the plain text diff again.
set -eu
if [ "$#" -ne 7 ]; then
    echo "git-diff-driver.sh: expected the 7 arguments git passes a diff driver, got $#" >&2
    exit 2
fi
top=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
if [ -n "${KFPOLICY:-}" ]; then
    k=$KFPOLICY
elif command -v kfpolicy >/dev/null 2>&1; then
    k=kfpolicy
elif [ -x "$top/.build/release/kfpolicy" ]; then
    k=$top/.build/release/kfpolicy
elif [ -x "$top/.build/debug/kfpolicy" ]; then
    k=$top/.build/debug/kfpolicy
else
    # No kfpolicy: show the text diff rather than fail the whole `git diff`.
    echo "git-diff-driver.sh: kfpolicy not found (set KFPOLICY or run 'swift build'); showing a text diff of $1" >&2
    diff -u --label "a/$1" --label "b/$1" "$2" "$5" || true
    exit 0
fi
exec "$k" diff --git-driver "$@"

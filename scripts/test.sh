#!/usr/bin/env bash
# The test command: set up, build, run the unit and integration tests, and check that the
# committed policies are formatted and the committed outputs are fresh.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --product kfpolicy
swift test
k=.build/debug/kfpolicy
$k check Policies/*.policy Policies/examples/*.policy
$k fmt --check Policies/*.policy Policies/examples/*.policy Policies/examples/common/*.policy
$k gen --check Policies/*.policy --emit c swift
$k gen --check -o Generated/examples Policies/examples/*.policy --emit c swift
echo "test.sh: all tests passed"

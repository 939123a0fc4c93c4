#!/usr/bin/env bash
# The test command: set up, build, run the unit and integration tests, and check that the
# committed policies are formatted and the committed outputs are fresh.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --product kfpolicy
# The Linux 6.12 files that the kernel-source tests read (unpacked once into .build-kernel-src).
kernel_src=$(./scripts/kernel-src.sh)
swift test
k=.build/debug/kfpolicy
$k check Policies/*.policy Policies/examples/*.policy
$k check Policies/scx-6.12.policy Policies/tcp_cong.policy --kernel-src "$kernel_src"
$k fmt --check Policies/*.policy Policies/*/*.policy Policies/examples/common/*.policy
$k gen --check Policies/*.policy --emit c swift
$k gen --check -o Generated/examples Policies/examples/*.policy --emit c swift
# The generated C in a real kernel: Debian's 6.12 booted in qemu (about 4 minutes cold, 1 warm).
./scripts/e2e-kernel.sh
# The SwiftPM build-tool plugin, used by path from an example package with its own scratch path.
swift test --package-path examples/swiftpm --scratch-path examples/swiftpm/.build
# make deb, apt-get install, make install: run with no Swift toolchain in reach, then removed.
./scripts/test-install.sh
echo "test.sh: all tests passed"

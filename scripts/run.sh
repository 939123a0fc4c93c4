#!/usr/bin/env bash
# The main job: set up, build kfpolicy, and generate from Policies/scx.policy into Generated/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release --product kfpolicy
.build/release/kfpolicy gen Policies/scx.policy --emit c swift "$@"

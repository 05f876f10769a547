#!/usr/bin/env bash
# The main job: set up, build, and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
node tools/demo.mjs "$@"

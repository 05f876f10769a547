#!/usr/bin/env bash
# The whole test suite: set-up, lint, every package's tests and the integration tests.
# Ends with one line "N passed, N failed" counted from tap's result files.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

other=0
echo "== lint"
npx turbo run lint --output-logs=errors-only --continue || other=$((other + 1))
npx prettier --check . --log-level warn || other=$((other + 1))
echo "== test"
# Namespaces and scratch folders left by an earlier run whose test was killed by its timeout (a
# killed test cannot run its teardown): only lnt-* ones, over an hour old, with no process inside.
if [ "$(id -u)" -eq 0 ] && [ -d /run/netns ]; then
  find /run/netns -maxdepth 1 -name 'lnt-*' -mmin +60 -printf '%f\n' 2>/dev/null | while read -r ns; do
    [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && ip netns del "$ns" 2>/dev/null && echo "swept namespace $ns"
  done
fi
find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'lnt-*' -mmin +60 -exec rm -rf {} + 2>/dev/null
find packages test-integration -path '*/node_modules' -prune -o -type d -name .tap -print 2>/dev/null | xargs rm -rf
npx turbo run test --concurrency=2 --continue || other=$((other + 1))
node tools/test-summary.mjs --other-failures "$other"

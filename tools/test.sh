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
find packages test-integration -path '*/node_modules' -prune -o -type d -name .tap -print 2>/dev/null | xargs rm -rf
npx turbo run test --concurrency=2 --continue || other=$((other + 1))
node tools/test-summary.mjs --other-failures "$other"

#!/usr/bin/env bash
# Everything a fresh Debian bookworm machine with Node 20 needs before `npm test` or the demo:
# Debian tools used by the packages and their tests, npm packages from the lockfile, a build.
set -euo pipefail
cd "$(dirname "$0")/.."

export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

# Debian packages: command -> package. Installed only when missing.
declare -A APT=(
  [iptables]=iptables
  [ip]=iproute2
  [conntrack]=conntrack
  [etcd]=etcd-server
  [dnsperf]=dnsperf
  [iperf3]=iperf3
  [ping]=iputils-ping
  [openssl]=openssl
)
missing=()
for cmd in "${!APT[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${APT[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, cannot install ${missing[*]}; tests that need them will fail" >&2
  fi
fi

# npm packages, from the lockfile, only when node_modules is older than it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: build"
npx turbo run build --output-logs=errors-only

#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (Node 20 + npm, root, Debian
# packages reachable) and runs every test. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real parts the tests run against: strongSwan's charon (IKEv2 interop, with kernel-libipsec since
# this kernel has no ESP), tshark (captures), iproute2 (network namespaces), gcc + linux-libc-dev
# (the PF_KEY struct layout checks), scapy (independent MH packets), libssl-dev (the OpenSSL AEAD
# addon the ESP fast path builds), openssl (the benchmarks' anchor).
apt_packages=(strongswan-charon strongswan-swanctl libcharon-extra-plugins tshark iproute2 gcc libc6-dev
  linux-libc-dev python3 python3-scapy openssl libssl-dev)
if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "not root: Debian packages are not installed; tests that need them say so when they skip"
fi

export NX_DAEMON=false NX_NO_CLOUD=true NPM_CONFIG_LOGLEVEL=error
# npm ci refuses this lockfile on npm 11.19 (optional platform binaries are not recorded), so install from it instead.
npm install --no-audit --no-fund
npx --no nx sync:check
npx --no biome check .
npx --no nx run-many -t build typecheck --output-style=static
# Every package would publish: exports, README example, no deep imports, tarball contents, publint.
# A failure here fails the run, but the tests still run so one CI run shows everything.
status=0
node scripts/check-packages.mjs || status=$?

mkdir -p test-results
npx --no vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json || status=$?
node scripts/test-summary.mjs test-results/vitest.json
exit "$status"

#!/usr/bin/env bash
# bench/tls: full TLS handshakes per second through the router with 200 certificates installed,
# against the same router with one, same run (see bench/tls.measure.ts). Needs root: wrk runs in
# a private mount namespace whose /etc/hosts names the SNI hostnames.
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/tls.measure.ts

#!/usr/bin/env bash
# bench/router: the router against nginx (Dokku), Caddy, Traefik v3 (Coolify) and a minimal HAProxy, same dynos, same run (bench/router.measure.ts). Builds the peers itself (Traefik: scripts/build-traefik.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/router.measure.ts

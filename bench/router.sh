#!/usr/bin/env bash
# bench/router: the router against a minimal HAProxy and against the dyno itself, same run (bench/router.measure.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/router.measure.ts

#!/usr/bin/env bash
# bench/deploy: a preboot release change under steady load (bench/deploy.measure.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/deploy.measure.ts

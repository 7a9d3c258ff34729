#!/usr/bin/env bash
# bench/metrics: the router with the dyno manager following its requests, and the manager's CPU and memory with 30 dynos, each against metrics off (bench/metrics.measure.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/metrics.measure.ts

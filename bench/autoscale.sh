#!/usr/bin/env bash
# bench/autoscale: a load step from 50 to 400 concurrent requests against an autoscaled Performance app (see bench/autoscale.measure.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/autoscale.measure.ts

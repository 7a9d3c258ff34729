#!/usr/bin/env bash
# bench/scale: pulumi up scaling web dynos vs the Docker API, same run (see bench/scale.measure.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/scale.measure.ts

#!/usr/bin/env bash
# bench/fir: what Fir's emulation costs on an x86-64 engine, against native x86-64 in the same run
# (bench/fir.measure.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/fir.measure.ts

#!/usr/bin/env bash
# bench/cluster-scale: on a test Swarm of its own (test/support/test-cluster.ts); see bench/cluster-scale.measure.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/cluster-scale.measure.ts

#!/usr/bin/env bash
# bench/failover: on a test Swarm of its own (test/support/test-cluster.ts); see bench/failover.measure.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
npx vitest run --config bench/vitest.config.mts bench/failover.measure.ts

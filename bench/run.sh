#!/usr/bin/env bash
# Runs every benchmark. Each reports its target as a ratio against an anchor measured in the same
# run; none of them is a test, and none fails on speed.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
bash scripts/setup.sh
npx vitest bench --run bench/
for script in bench/*.sh; do
  [[ "$script" == bench/run.sh ]] && continue
  echo "== $script"
  bash "$script"
done

#!/usr/bin/env bash
# Runs the benchmarks on the lab's guest kernel: `npm run bench [-- SERVICES DESTS RUNS]`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
node dist/bench.mjs "$@"

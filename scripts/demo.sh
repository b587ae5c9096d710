#!/usr/bin/env bash
# Runs the demo: installs what the lab needs on first use, builds lvsd, then narrates layout L2 on a guest kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
node dist/demo.mjs

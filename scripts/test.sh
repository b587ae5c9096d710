#!/usr/bin/env bash
# Test entry (npm test, CI): setup, build, every vitest suite (unit and lab), then the closing "N passed, N failed, N skipped" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm run build

mkdir -p .lab
report=.lab/vitest.json
rm -f "$report"
status=0
# extra arguments (e.g. a folder or file filter) go to vitest
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@" || status=$?

if [[ -s $report ]]; then
  node scripts/summary.mjs "$report" || { ((status != 0)) || status=1; }
else
  echo "test: vitest wrote no report ($report): it crashed before finishing (exit status $status)" >&2
  ((status != 0)) || status=1
fi

# guests are killed by the lab module; a leftover one is a bug worth seeing
leftover=$(pgrep -f "linux.uml .*init=$PWD/.lab/runs/" || true)
if [[ -n $leftover ]]; then
  echo "test: warning: user-mode Linux guests still running from this checkout: $(echo $leftover)" >&2
fi
exit "$status"

#!/usr/bin/env bash
# The one test command (`npm test`): installs and starts every service the tests use
# (idempotent, cached under .cache/), runs the whole vitest suite, stops the services.
# A service that cannot start fails the run loudly; no suite is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CSFLE_CACHE="${CSFLE_CACHE:-$ROOT/.cache}"
mkdir -p "$CSFLE_CACHE/env" "$CSFLE_CACHE/logs"
rm -f "$CSFLE_CACHE"/env/*.env

[ -d node_modules ] || npm ci --no-audit --no-fund

SERVICES=${CSFLE_SERVICES:-$(ls scripts/services/*.sh 2>/dev/null | xargs -n1 basename 2>/dev/null | sed 's/\.sh$//' | grep -v '^_' || true)}

stop_all() {
  for s in $SERVICES; do bash "scripts/services/$s.sh" stop >/dev/null 2>&1 || true; done
}
trap stop_all EXIT

for s in $SERVICES; do
  echo "== starting service: $s"
  if ! bash "scripts/services/$s.sh" start; then
    echo "FATAL: service '$s' could not start; see $CSFLE_CACHE/logs/$s*.log" >&2
    tail -n 40 "$CSFLE_CACHE"/logs/"$s"*.log 2>/dev/null >&2 || true
    exit 1
  fi
done

# Every service writes KEY=VALUE lines to .cache/env/<service>.env; export them for the tests.
set -a
for f in "$CSFLE_CACHE"/env/*.env; do [ -f "$f" ] && . "$f"; done
set +a
export CSFLE_SERVICES_UP=1

npx tsc -p tsconfig.check.json
npm run build --silent

set +e
npx vitest run --reporter=default --reporter=json --outputFile="$CSFLE_CACHE/vitest.json" "$@"
rc=$?
set -e
node -e '
const r = require(process.argv[1]);
console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$CSFLE_CACHE/vitest.json" || true
exit $rc

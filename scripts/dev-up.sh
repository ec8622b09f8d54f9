#!/usr/bin/env bash
# Starts a Kafka broker and the schema registry (with its DEK registry) on localhost, for running
# the examples by hand. Progress goes to stderr; stdout gets only `export` lines, so
#
#   eval "$(bash scripts/dev-up.sh)"      # or: npm run dev:up, then copy the printed exports
#
# sets KAFKA_BROKERS and SCHEMA_REGISTRY_URL in your shell. The same lines are kept in
# .cache/dev.env (`source .cache/dev.env` in another terminal). Stop with scripts/dev-down.sh.
# Kafka takes port 9092 when it is free (the examples' default), else a free port.
# Note: `npm test` restarts these services on its own ports and stops them when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
export CSFLE_CACHE=${CSFLE_CACHE:-$PWD/.cache}
mkdir -p "$CSFLE_CACHE/env"

port_free() {
  node -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+process.argv[1],"127.0.0.1",()=>s.close())' "$1"
}
if [ -z "${KAFKA_PORT:-}" ] && port_free 9092; then export KAFKA_PORT=9092; fi

for s in kafka axonops; do
  echo "== starting $s" >&2
  if ! bash "scripts/services/$s.sh" start >&2; then
    echo "dev-up: $s could not start; see $CSFLE_CACHE/logs/$s*.log" >&2
    exit 1
  fi
done

{
  for s in kafka axonops; do
    sed -e '/^[A-Za-z_][A-Za-z0-9_]*=/!d' -e 's/^/export /' "$CSFLE_CACHE/env/$s.env"
  done
} >"$CSFLE_CACHE/dev.env"
echo "== ready; the examples read these (also in $CSFLE_CACHE/dev.env):" >&2
cat "$CSFLE_CACHE/dev.env"

#!/usr/bin/env bash
# Starts a Kafka broker and the schema registry (with its DEK registry) on localhost, for running
# the examples by hand. Progress goes to stderr; stdout gets only `export` lines, so
#
#   eval "$(bash scripts/dev-up.sh)"
#
# sets KAFKA_BROKERS and SCHEMA_REGISTRY_URL in your shell. The same lines are kept in
# .cache/dev.env (`source .cache/dev.env` in another terminal). Stop with scripts/dev-down.sh.
# Kafka takes port 9092 when it is free (the examples' default), else a free port.
# The services keep their state under .cache/dev/ (not .cache/, which `npm test` uses), so a test
# run beside them does not stop them; the installed jars and binaries are shared with .cache/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CSFLE_CACHE=${CSFLE_CACHE:-$ROOT/.cache/dev}
mkdir -p "$CSFLE_CACHE/env"
if [ "$CSFLE_CACHE" = "$ROOT/.cache/dev" ]; then
  # Share what the service scripts install (Go-built registry, Kafka jars) with .cache/.
  mkdir -p "$ROOT/.cache/bin" "$ROOT/.cache/kafka" "$CSFLE_CACHE/kafka"
  [ -e "$CSFLE_CACHE/bin" ] || ln -s ../bin "$CSFLE_CACHE/bin"
  [ -e "$CSFLE_CACHE/kafka/libs" ] || [ ! -d "$ROOT/.cache/kafka/libs" ] || ln -s ../../kafka/libs "$CSFLE_CACHE/kafka/libs"
fi

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
    sed -n -E 's/^(KAFKA_BROKERS|SCHEMA_REGISTRY_URL)=/export \1=/p' "$CSFLE_CACHE/env/$s.env"
  done
} >"$ROOT/.cache/dev.env"
echo "== ready; the examples read these (also in .cache/dev.env):" >&2
cat "$ROOT/.cache/dev.env"

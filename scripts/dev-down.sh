#!/usr/bin/env bash
# Stops the services started by scripts/dev-up.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CSFLE_CACHE=${CSFLE_CACHE:-$ROOT/.cache/dev}
for s in axonops kafka; do
  [ -f "scripts/services/$s.sh" ] && bash "scripts/services/$s.sh" stop || true
done
rm -f "$ROOT/.cache/dev.env"
echo "dev-down: stopped kafka and the schema registry" >&2

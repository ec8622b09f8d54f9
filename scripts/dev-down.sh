#!/usr/bin/env bash
# Stops the services started by scripts/dev-up.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CSFLE_CACHE=${CSFLE_CACHE:-$PWD/.cache}
for s in axonops kafka; do
  [ -f "scripts/services/$s.sh" ] && bash "scripts/services/$s.sh" stop || true
done
rm -f "$CSFLE_CACHE/dev.env"
echo "dev-down: stopped kafka and the schema registry" >&2

#!/usr/bin/env bash
# Cross-check of Protobuf field encryption with Confluent's Python client (confluent-kafka
# 2.16.1, the correct Confluent implementation for nested/repeated/imported messages), both
# directions, through AxonOps, for AES256_GCM and AES256_SIV. Not part of `npm test` (it installs
# a Python venv from PyPI): run with `npm run oracle:python`. Exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CSFLE_CACHE="${CSFLE_CACHE:-$PWD/.cache}"
VENV=$CSFLE_CACHE/venv-python-oracle
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import confluent_kafka, tink, requests' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'confluent-kafka[schemaregistry,rules]==2.16.1' requests
fi
bash scripts/services/axonops.sh start
trap 'bash scripts/services/axonops.sh stop >/dev/null 2>&1 || true' EXIT
set -a; . "$CSFLE_CACHE/env/axonops.env"; set +a
WORK=$(mktemp -d)
for alg in AES256_GCM AES256_SIV; do
  # One subject per algorithm run (AxonOps starts empty each time).
  bash scripts/services/axonops.sh start >/dev/null
  set -a; . "$CSFLE_CACHE/env/axonops.env"; set +a
  echo "== $alg"
  npx tsx scripts/python-oracle/produce.ts "$SCHEMA_REGISTRY_URL" "$alg" "$WORK/ours.bin"
  "$VENV/bin/python" scripts/python-oracle/oracle.py "$SCHEMA_REGISTRY_URL" "$WORK/ours.bin" "$WORK/theirs.bin"
  got=$(npx tsx scripts/python-oracle/read.ts "$SCHEMA_REGISTRY_URL" "$WORK/theirs.bin")
  node -e '
    const v = JSON.parse(process.argv[1]);
    const want = { name: "Grace Hopper", emails: ["grace@navy.mil"], home: "9 Cobol Ct", prev: "1 Harvard Yd", lab: "5 Mark I Way", pager: "P-999", mgr: "Howard Aiken", phone: "+1 617", photo: "AQID" };
    const got = { name: v.name, emails: v.emails, home: v.home.street, prev: v.previous[0].street, lab: v.places.lab.street, pager: v.contact.value.number, mgr: v.manager.name, phone: v.manager.contact.value, photo: v.photo };
    if (JSON.stringify(got) !== JSON.stringify(want)) { console.error("MISMATCH reading the Python record", JSON.stringify(got)); process.exit(1); }
    console.log("kafka-csfle read the Python record: OK");
  ' "$got"
done
echo "python oracle: 2 passed, 0 failed"

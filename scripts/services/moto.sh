#!/usr/bin/env bash
# moto (AWS service emulator, from PyPI) for the aws-kms driver tests.
#   start: installs moto[server] into a venv under $CSFLE_CACHE, starts two servers:
#     MOTO_ENDPOINT       - open server (no authentication), KMS + STS for most tests
#     MOTO_AUTH_ENDPOINT  - same, but the tests switch on moto's IAM authentication
#                           (POST /moto-api/reset-auth) to prove wrong credentials fail
#   Both run through a small launcher that makes moto's KMS Encrypt/Decrypt honour the key
#   state as AWS KMS does (moto 5 does not): Disabled -> DisabledException,
#   PendingDeletion -> KMSInvalidStateException, and that lets ciphertexts of multi-region
#   keys decrypt (moto cuts their 40-character key id to 36 in its ciphertext blob), and makes
#   S3's conditional PutObject (If-None-Match: *) atomic as on AWS (used by the key export).
#   stop: stops both.
. "$(dirname "$0")/_lib.sh"
MOTO_VERSION=${MOTO_VERSION:-5.2.5}
VENV="$CSFLE_CACHE/venv-moto"
LAUNCHER="$CSFLE_CACHE/moto/launch.py"

install() {
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import moto, sys; sys.exit(0 if moto.__version__ == '$MOTO_VERSION' else 1)" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  fi
  mkdir -p "$(dirname "$LAUNCHER")"
  cat >"$LAUNCHER" <<'PY'
"""Runs moto_server with KMS key-state enforcement on Encrypt/Decrypt (as AWS KMS does)."""
import sys

from moto.core.exceptions import JsonRESTError
from moto.kms import models


class DisabledException(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("DisabledException", message)


class KMSInvalidStateException(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("KMSInvalidStateException", message)


def _check_state(backend, key_id):
    key = backend.keys.get(backend.any_id_to_key_id(key_id))
    if key is None:
        return
    if key.key_state == "Disabled":
        raise DisabledException(f"{key.arn} is disabled.")
    if key.key_state != "Enabled":
        raise KMSInvalidStateException(f"{key.arn} is pending deletion." if key.key_state == "PendingDeletion"
                                       else f"{key.arn} is {key.key_state}.")


_encrypt = models.KmsBackend.encrypt
_decrypt = models.KmsBackend.decrypt


def encrypt(self, key_id, plaintext, encryption_context):
    _check_state(self, key_id)
    return _encrypt(self, key_id, plaintext, encryption_context)


def decrypt(self, ciphertext_blob, encryption_context, key_id=None):
    plaintext, arn = _decrypt(self, ciphertext_blob, encryption_context, key_id)
    _check_state(self, arn)
    return plaintext, arn


models.KmsBackend.encrypt = encrypt
models.KmsBackend.decrypt = decrypt

# moto packs the key id into a fixed 36-byte field of its ciphertext blob, which cuts the
# 40-character id of a multi-region key ("mrk-" + 36) so such blobs never decrypt. Widen it.
from moto.kms import utils  # noqa: E402

utils.KEY_ID_LEN = 40
utils.HEADER_LEN = utils.KEY_ID_LEN + utils.IV_LEN + utils.TAG_LEN
utils.CIPHERTEXT_HEADER_FORMAT = f">{utils.KEY_ID_LEN}s{utils.IV_LEN}s{utils.TAG_LEN}s"
_deserialize = utils._deserialize_ciphertext_blob


def _deserialize_ciphertext_blob(ciphertext_blob):
    c = _deserialize(ciphertext_blob)
    return utils.Ciphertext(key_id=c.key_id.rstrip("\x00"), iv=c.iv, ciphertext=c.ciphertext, tag=c.tag)


utils._deserialize_ciphertext_blob = _deserialize_ciphertext_blob

# S3 conditional writes (PutObject with If-None-Match: *) are atomic on AWS; moto checks for the
# key and then stores it without a lock, so two concurrent requests could both "create" it.
# Serialize PutObject so the key export's exclusive claims are tested against AWS semantics.
import threading  # noqa: E402

from moto.s3 import responses as s3_responses  # noqa: E402

_put_lock = threading.Lock()
_put_object = s3_responses.S3Response.put_object


def put_object(self):
    with _put_lock:
        return _put_object(self)


s3_responses.S3Response.put_object = put_object

from moto.server import main  # noqa: E402

main(sys.argv[1:])
PY
}

start_one() { # NAME ENVVAR
  local name=$1 var=$2 port
  stop_bg "$name"
  port=$(free_port)
  start_bg "$name" "$VENV/bin/python" "$LAUNCHER" -H 127.0.0.1 -p "$port"
  echo "$var=http://127.0.0.1:$port" >>"$CSFLE_CACHE/env/moto.env.tmp"
  echo "$port"
}

case "${1:-}" in
  start)
    t0=$(date +%s)
    install
    rm -f "$CSFLE_CACHE/env/moto.env" "$CSFLE_CACHE/env/moto.env.tmp"
    p1=$(start_one moto MOTO_ENDPOINT)
    p2=$(start_one moto-auth MOTO_AUTH_ENDPOINT)
    for p in "$p1" "$p2"; do
      if ! WAIT_SECS=60 wait_for curl -sf "http://127.0.0.1:$p/moto-api/data.json"; then
        echo "moto did not become ready on port $p within 60s" >&2
        exit 1
      fi
    done
    mv "$CSFLE_CACHE/env/moto.env.tmp" "$CSFLE_CACHE/env/moto.env"
    echo "moto ready on $p1 (open) and $p2 (auth) in $(( $(date +%s) - t0 ))s"
    ;;
  stop)
    stop_bg moto
    stop_bg moto-auth
    rm -f "$CSFLE_CACHE/env/moto.env"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac

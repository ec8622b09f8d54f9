#!/usr/bin/env bash
# Google Tink for Python (PyPI `tink`), for the test that decrypts kafka-csfle field ciphertexts
# with plain Tink and keys exported by `kafka-csfle keys export --plaintext`. Not a server:
#   start: installs tink into a venv under $CSFLE_CACHE once (fails loudly if pip cannot), checks
#          it imports, writes TINK_PYTHON (the venv's python) to $CSFLE_CACHE/env/tink.env.
#   stop:  removes tink.env (the venv stays cached).
. "$(dirname "$0")/_lib.sh"
TINK_VERSION=${TINK_VERSION:-1.16.1}
VENV="$CSFLE_CACHE/venv-tink"

case "${1:-}" in
  start)
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import tink, sys; from importlib.metadata import version; sys.exit(0 if version('tink') == '$TINK_VERSION' else 1)" 2>/dev/null; then
      rm -rf "$VENV"
      python3 -m venv "$VENV" || { echo "tink.sh: python3 -m venv failed" >&2; exit 1; }
      "$VENV/bin/pip" install --quiet --disable-pip-version-check "tink==$TINK_VERSION" \
        || { echo "tink.sh: pip install tink==$TINK_VERSION failed (no wheel for $(python3 --version)?)" >&2; exit 1; }
    fi
    "$VENV/bin/python" -c "import tink; from tink import aead, daead; aead.register(); daead.register()" \
      || { echo "tink.sh: tink does not import" >&2; exit 1; }
    echo "TINK_PYTHON=$VENV/bin/python" >"$CSFLE_CACHE/env/tink.env"
    echo "tink $TINK_VERSION ready ($VENV)"
    ;;
  stop)
    rm -f "$CSFLE_CACHE/env/tink.env"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac

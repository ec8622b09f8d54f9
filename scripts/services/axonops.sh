#!/usr/bin/env bash
# AxonOps Schema Registry (Confluent-compatible schema registry + DEK registry), built from the
# Go module proxy. Usage: axonops.sh start|stop
#   start: builds the pinned version once into $CSFLE_CACHE/bin (go mod download + go build; a
#          plain `go install module@version` cannot be used because the proxy refuses the
#          version list it asks for deprecation info), starts it with in-memory storage on a free
#          port, waits until it answers, writes SCHEMA_REGISTRY_URL, AXONOPS_URL, AXONOPS_BIN and
#          AXONOPS_VERSION to $CSFLE_CACHE/env/axonops.env. A registry left running by an earlier
#          start is stopped first.
#   stop:  stops it and removes axonops.env.
# Needs go (1.26+) on PATH. Env: AXONOPS_VERSION (default below), AXONOPS_PORT.
. "$(dirname "$0")/_lib.sh"

AXONOPS_MODULE=github.com/axonops/axonops-schema-registry
AXONOPS_VERSION=${AXONOPS_VERSION:-v0.2.1}
BIN=$CSFLE_CACHE/bin/axonops-schema-registry-$AXONOPS_VERSION

install_bin() {
  [ -x "$BIN" ] && return 0
  command -v go >/dev/null || { echo "axonops.sh: go not found on PATH" >&2; return 1; }
  echo "axonops.sh: building $AXONOPS_MODULE@$AXONOPS_VERSION into $BIN"
  mkdir -p "$CSFLE_CACHE/bin"
  local log=$CSFLE_CACHE/logs/axonops-build.log dir
  # Outside any go.mod (a module in the cwd would change what `go mod download` means).
  dir=$(cd "$CSFLE_CACHE" && GOFLAGS=-mod=mod go mod download -json "$AXONOPS_MODULE@$AXONOPS_VERSION" 2>"$log" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})') \
    || { echo "axonops.sh: go mod download failed" >&2; cat "$log" >&2; return 1; }
  ( cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w -X main.version=$AXONOPS_VERSION" \
      -o "$BIN.tmp" ./cmd/schema-registry ) >>"$log" 2>&1 \
    || { echo "axonops.sh: go build failed; see $log" >&2; tail -n 30 "$log" >&2; return 1; }
  mv "$BIN.tmp" "$BIN"
}

ready() {
  node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$1/subjects"
}

start() {
  stop
  install_bin
  local t0=$SECONDS port url
  port=${AXONOPS_PORT:-$(free_port)}
  url=http://127.0.0.1:$port
  SCHEMA_REGISTRY_HOST=127.0.0.1 SCHEMA_REGISTRY_PORT=$port SCHEMA_REGISTRY_STORAGE_TYPE=memory \
    start_bg axonops "$BIN"
  local pid; pid=$(cat "$CSFLE_CACHE/run/axonops.pid")
  local deadline=$((SECONDS + ${WAIT_SECS:-60}))
  until ready "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "axonops.sh: registry exited during start-up; see $CSFLE_CACHE/logs/axonops.log" >&2
      tail -n 20 "$CSFLE_CACHE/logs/axonops.log" >&2; return 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "axonops.sh: not ready after ${WAIT_SECS:-60}s" >&2; return 1; fi
    sleep 0.2
  done
  cat >"$CSFLE_CACHE/env/axonops.env" <<ENV
SCHEMA_REGISTRY_URL=$url
AXONOPS_URL=$url
AXONOPS_BIN=$BIN
AXONOPS_VERSION=$AXONOPS_VERSION
ENV
  echo "axonops.sh: AxonOps Schema Registry $AXONOPS_VERSION ready at $url ($((SECONDS - t0))s)"
}

stop() {
  stop_bg axonops
  rm -f "$CSFLE_CACHE/env/axonops.env"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

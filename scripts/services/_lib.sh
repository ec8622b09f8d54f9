# Helpers shared by scripts/services/*.sh (sourced, not run).
# Each service script takes `start` or `stop`. `start` installs what it needs (idempotent,
# cached under $CSFLE_CACHE), starts the service in the background, waits until it is ready,
# and writes KEY=VALUE lines to $CSFLE_CACHE/env/<service>.env. It exits non-zero if the
# service cannot start.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CSFLE_CACHE=${CSFLE_CACHE:-$ROOT/.cache}
mkdir -p "$CSFLE_CACHE/env" "$CSFLE_CACHE/logs" "$CSFLE_CACHE/run"

# free_port: prints a free TCP port on 127.0.0.1
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_for CMD... : retries CMD for up to ${WAIT_SECS:-120}s
wait_for() {
  local secs=${WAIT_SECS:-120} i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i+1))
    if [ "$i" -ge $((secs*2)) ]; then return 1; fi
    sleep 0.5
  done
}

# start_bg NAME CMD... : runs CMD in the background, logs to $CSFLE_CACHE/logs/NAME.log,
# records its pid (process group) in $CSFLE_CACHE/run/NAME.pid
start_bg() {
  local name=$1; shift
  setsid "$@" >"$CSFLE_CACHE/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$CSFLE_CACHE/run/$name.pid"
}

# stop_bg NAME : kills the process group recorded by start_bg
stop_bg() {
  local f="$CSFLE_CACHE/run/$1.pid"
  if [ -f "$f" ]; then
    local pid; pid=$(cat "$f")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$f"
  fi
}

#!/usr/bin/env bash
# PostgreSQL for the AxonOps-on-PostgreSQL durability suite. Usage: postgres.sh start|stop
#   start: finds initdb/pg_ctl (PATH, then /usr/lib/postgresql/*/bin; installs Debian's
#          `postgresql` package if neither has them), creates a fresh cluster in
#          $CSFLE_CACHE/postgres (trust auth, loopback only, run as the unprivileged `postgres`
#          or `nobody` user when started as root since postgres refuses to run as root), starts it
#          on a free port and writes PG_HOST, PG_PORT, PG_USER, PG_DATABASE, PG_BIN_DIR to
#          $CSFLE_CACHE/env/postgres.env.
#   stop:  stops the cluster and removes postgres.env.
. "$(dirname "$0")/_lib.sh"

PG_HOME=$CSFLE_CACHE/postgres
DATA=$PG_HOME/data
SOCK=$PG_HOME/sock

find_bin_dir() {
  local d
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"; return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

run_as() {
  if [ "$(id -u)" = "0" ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

start() {
  stop
  local t0=$SECONDS bindir
  if ! bindir=$(find_bin_dir); then
    echo "postgres.sh: PostgreSQL not found; installing Debian's postgresql package"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
      >"$CSFLE_CACHE/logs/postgres-install.log" 2>&1 \
      || { echo "postgres.sh: apt-get install postgresql failed" >&2; tail -n 20 "$CSFLE_CACHE/logs/postgres-install.log" >&2; return 1; }
    bindir=$(find_bin_dir) || { echo "postgres.sh: initdb still not found" >&2; return 1; }
  fi
  if [ "$(id -u)" = "0" ]; then
    if id postgres >/dev/null 2>&1; then PG_OS_USER=postgres; else PG_OS_USER=nobody; fi
  fi
  rm -rf "$PG_HOME"; mkdir -p "$DATA" "$SOCK"
  [ "$(id -u)" = "0" ] && chown -R "$PG_OS_USER" "$PG_HOME"
  run_as "$bindir/initdb" -D "$DATA" -U csfle --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$CSFLE_CACHE/logs/postgres-initdb.log" 2>&1 \
    || run_as "$bindir/initdb" -D "$DATA" -U csfle --auth=trust -E UTF8 --no-locale \
    >"$CSFLE_CACHE/logs/postgres-initdb.log" 2>&1 \
    || { echo "postgres.sh: initdb failed" >&2; cat "$CSFLE_CACHE/logs/postgres-initdb.log" >&2; return 1; }
  local port; port=${PG_PORT:-$(free_port)}
  run_as "$bindir/pg_ctl" -D "$DATA" -l "$PG_HOME/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $SOCK -c fsync=off -c full_page_writes=off" start \
    >"$CSFLE_CACHE/logs/postgres.log" 2>&1 \
    || { echo "postgres.sh: pg_ctl start failed" >&2; cat "$CSFLE_CACHE/logs/postgres.log" "$PG_HOME/server.log" >&2; return 1; }
  cat >"$CSFLE_CACHE/env/postgres.env" <<ENV
PG_HOST=127.0.0.1
PG_PORT=$port
PG_USER=csfle
PG_PASSWORD=trust-auth-unused
PG_DATABASE=postgres
PG_BIN_DIR=$bindir
ENV
  echo "$bindir" >"$PG_HOME/bindir"
  echo "postgres.sh: PostgreSQL ($bindir) ready on 127.0.0.1:$port ($((SECONDS - t0))s)"
}

stop() {
  if [ -f "$PG_HOME/bindir" ] && [ -d "$DATA" ]; then
    local bindir; bindir=$(cat "$PG_HOME/bindir")
    if [ "$(id -u)" = "0" ]; then
      PG_OS_USER=$(stat -c %U "$DATA")
    fi
    run_as "$bindir/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -f "$CSFLE_CACHE/env/postgres.env"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Apache Kafka: a single-node KRaft broker (broker + controller in one JVM) on 127.0.0.1, from
# the Apache Kafka jars on Maven Central (no Docker). Usage: kafka.sh start|stop
#   start: resolves the jars with Maven into $CSFLE_CACHE/kafka/libs (once; the version is in
#          scripts/kafka/pom.xml), formats a fresh data dir, starts the broker on free ports,
#          waits until it answers metadata, writes KAFKA_BROKERS=127.0.0.1:PORT to
#          $CSFLE_CACHE/env/kafka.env. A broker left running by an earlier start is stopped first.
#   stop:  stops the broker and removes kafka.env.
# Needs java (17+) and mvn on PATH. Env: KAFKA_PORT (default: a free port), KAFKA_HEAP_OPTS
# (default -Xms256m -Xmx512m).
. "$(dirname "$0")/_lib.sh"

KAFKA_DIR=$ROOT/scripts/kafka
HOME_DIR=$CSFLE_CACHE/kafka
LIBS=$HOME_DIR/libs
RUN_DIR=$HOME_DIR/run

install_libs() {
  local stamp; stamp=$(sha256sum "$KAFKA_DIR/pom.xml" | cut -c1-16)
  if [ -f "$LIBS/.stamp" ] && [ "$(cat "$LIBS/.stamp")" = "$stamp" ]; then return 0; fi
  command -v mvn >/dev/null || { echo "kafka.sh: mvn not found on PATH" >&2; return 1; }
  echo "kafka.sh: resolving Kafka jars from Maven Central into $LIBS"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  mvn -q -B -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIBS" \
    >"$CSFLE_CACHE/logs/kafka-mvn.log" 2>&1 \
    || { echo "kafka.sh: mvn failed; see $CSFLE_CACHE/logs/kafka-mvn.log" >&2; tail -n 30 "$CSFLE_CACHE/logs/kafka-mvn.log" >&2; return 1; }
  echo "$stamp" >"$LIBS/.stamp"
}

start() {
  command -v java >/dev/null || { echo "kafka.sh: java not found on PATH (Kafka needs Java 17+)" >&2; return 1; }
  stop
  install_libs
  local t0=$SECONDS port cport
  port=${KAFKA_PORT:-$(free_port)}; cport=$(free_port)
  while [ "$cport" = "$port" ]; do cport=$(free_port); done

  rm -rf "$RUN_DIR"; mkdir -p "$RUN_DIR/data"
  sed -e "s#@PORT@#$port#g" -e "s#@CONTROLLER_PORT@#$cport#g" -e "s#@DATA_DIR@#$RUN_DIR/data#g" \
    "$KAFKA_DIR/server.properties.template" >"$RUN_DIR/server.properties"

  # Same JVM flags for format and broker: a small heap, and the C1 JIT only (starts faster; the
  # tests push little data).
  local jvm=(java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties"
    -cp "$LIBS/*")

  # A cluster id is 16 random bytes, base64url without padding; never one starting with '-',
  # which the storage tool's argument parser takes for an option (1 start in 64 failed).
  local cluster_id
  cluster_id=$(node -e 'let id;do{id=require("crypto").randomBytes(16).toString("base64url")}while(id.startsWith("-"));console.log(id)')
  "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$RUN_DIR/server.properties" \
    >"$CSFLE_CACHE/logs/kafka-format.log" 2>&1 \
    || { echo "kafka.sh: storage format failed" >&2; cat "$CSFLE_CACHE/logs/kafka-format.log" >&2; return 1; }

  start_bg kafka "${jvm[@]}" kafka.Kafka "$RUN_DIR/server.properties"
  local pid; pid=$(cat "$CSFLE_CACHE/run/kafka.pid")

  local deadline=$((SECONDS + ${WAIT_SECS:-120}))
  until node "$KAFKA_DIR/ready.cjs" "127.0.0.1:$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "kafka.sh: the broker exited during start-up; see $CSFLE_CACHE/logs/kafka.log" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "kafka.sh: the broker did not become ready in ${WAIT_SECS:-120}s" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "KAFKA_BROKERS=127.0.0.1:$port" >"$CSFLE_CACHE/env/kafka.env"
  echo "kafka.sh: broker ready on 127.0.0.1:$port in $((SECONDS - t0))s (pid $pid)"
}

stop() {
  stop_bg kafka
  rm -f "$CSFLE_CACHE/env/kafka.env"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

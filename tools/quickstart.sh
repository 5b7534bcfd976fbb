#!/usr/bin/env bash
# The README's first command: installs deps, builds, and brings up a real local controller
# quorum (3 keel-controller processes on loopback), then shows it working: quorum status and
# replication, a SIGKILL of the leader and the failover, the killed node rejoining.
#
#   tools/quickstart.sh          start (or restart) the quorum and run the demo
#   tools/quickstart.sh stop     stop the processes it started (by pid)
#   tools/quickstart.sh clean    stop and delete the data
#
# Env: KEEL_QUICKSTART_DIR (default .keel/quickstart), KEEL_BASE_PORT (default 19091).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${KEEL_QUICKSTART_DIR:-.keel/quickstart}
BASE_PORT=${KEEL_BASE_PORT:-19091}
VOTERS="1@127.0.0.1:${BASE_PORT},2@127.0.0.1:$((BASE_PORT + 1)),3@127.0.0.1:$((BASE_PORT + 2))"
export KEEL_CONTROLLERS="127.0.0.1:${BASE_PORT},127.0.0.1:$((BASE_PORT + 1)),127.0.0.1:$((BASE_PORT + 2))"
KEELCTL=bazel-bin/tools/keelctl

stop_all() {
  for pidfile in "$DIR"/controller-*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

start_node() { # $1 = node id
  local i=$1
  bazel-bin/controller/keel-controller --node_id="$i" \
    --listen="127.0.0.1:$((BASE_PORT + i - 1))" --voters="$VOTERS" \
    --data_dir="$DIR/controller-$i" --cluster_id=keel-quickstart \
    >>"$DIR/controller-$i.log" 2>&1 &
  echo $! >"$DIR/controller-$i.pid"
  disown  # the quorum outlives this script; no job-control noise when one is killed
}

leader_id() {
  "$KEELCTL" --timeout-ms=2000 -o json quorum status 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["LeaderId"])' 2>/dev/null || echo -1
}

wait_for_leader() { # $1 = a leader id to avoid (or -1); prints the new leader
  for _ in $(seq 1 100); do
    l=$(leader_id)
    if [ "$l" -gt 0 ] && [ "$l" != "$1" ]; then echo "$l"; return 0; fi
    sleep 0.2
  done
  echo "quickstart: no controller leader within 20 s; logs are in $DIR" >&2
  return 1
}

case "${1:-up}" in
  stop) stop_all; echo "stopped"; exit 0 ;;
  clean) stop_all; rm -rf "$DIR"; echo "stopped and removed $DIR"; exit 0 ;;
  up) ;;
  *) echo "usage: tools/quickstart.sh [up|stop|clean]" >&2; exit 2 ;;
esac

tools/install-deps.sh
bazel build //controller:keel-controller //broker:keel-broker //tools:keelctl

mkdir -p "$DIR"
stop_all  # a second run restarts the quorum cleanly on the same data
for i in 1 2 3; do start_node "$i"; done
trap 'echo "quickstart failed; stopping"; stop_all' ERR

echo "== Waiting for the controllers to elect a leader"
leader=$(wait_for_leader -1)
echo "Leader: controller $leader"
echo
echo "== keelctl quorum status"
"$KEELCTL" quorum status
echo
echo "== keelctl quorum replication"
"$KEELCTL" quorum replication
echo
echo "== Topics need brokers; the broker service is not built yet, so the controller refuses:"
"$KEELCTL" topics create demo --partitions 3 --replication-factor 1 || true
echo
echo "== SIGKILL the leader (controller $leader) and watch the quorum elect another"
kill -KILL "$(cat "$DIR/controller-$leader.pid")"
start=$(date +%s%N)
new_leader=$(wait_for_leader "$leader")
echo "New leader: controller $new_leader after $(( ($(date +%s%N) - start) / 1000000 )) ms"
"$KEELCTL" quorum status
echo
echo "== Restart controller $leader; it rejoins as a follower and catches up"
start_node "$leader"
sleep 2
"$KEELCTL" quorum replication
trap - ERR
echo
echo "The quorum is running (logs in $DIR). Try:"
echo "  export KEEL_CONTROLLERS=$KEEL_CONTROLLERS"
echo "  $KEELCTL quorum status"
echo "Stop it with: tools/quickstart.sh stop   (or 'clean' to delete its data)"

#!/usr/bin/env bash
# The README's first command, run as a user would (minus install and build, which Bazel did):
# tools/quickstart.sh brings up 3 controllers and 3 brokers, creates an RF 3 topic, produces
# and consumes; a second run reuses the cluster; `stop` leaves no process behind.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }

export KEEL_QUICKSTART_SKIP_BUILD=1
export KEELCTL=tools/keelctl
export KEEL_QUICKSTART_DIR="${TEST_TMPDIR:-$(mktemp -d)}/quickstart"

# A base port B whose controller (B..B+2), broker (B+100..), metrics (B+200.., B+300..) and
# Kafka listener (B+400..) and REST proxy (B+500..) ports are all free on 127.0.0.1.
pick_base_port() {
  /usr/bin/python3 - <<'PY'
import random, socket
def free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(100):
    base = random.randrange(20000, 60000)
    if all(free(base + off + i) for off in (0, 100, 200, 300, 400, 500) for i in range(3)):
        print(base)
        break
PY
}
KEEL_BASE_PORT=$(pick_base_port)
[ -n "$KEEL_BASE_PORT" ] || fail "no free base port"
export KEEL_BASE_PORT

pids() { /usr/bin/python3 -c 'import json,sys; print(" ".join(str(n["Pid"]) for n in json.load(open(sys.argv[1]))["Nodes"]))' "$KEEL_QUICKSTART_DIR/cluster.json"; }
cleanup() {
  if [ -f "$KEEL_QUICKSTART_DIR/cluster.json" ]; then
    tools/quickstart.sh stop >/dev/null 2>&1 || true
    for pid in $(pids); do kill -9 "$pid" 2>/dev/null || true; done
  fi
}
trap cleanup EXIT

first=$(timeout 180 tools/quickstart.sh 2>&1) || { echo "$first"; fail "first run failed"; }
echo "$first"
for want in "LeaderId:" "CurrentVoters:          [1,2,3]" "Created topic demo." \
            "ReplicationFactor: 3" "Acknowledged 3 of 3 records to demo (acks=all)." \
            "user-1	bought a keel" "Processed a total of 3 messages" "tools/quickstart.sh stop" \
            "topic \"demo\" with 3 partitions:" "user-3	bought two keels	headers:source=kcat" \
            "kcat consumed 6 records" '"offsets":[{"error":null,"error_code":null,"offset":' "user-4	signed up over REST"; do
  grep -qF -- "$want" <<<"$first" || fail "first run's output lacks '$want'"
done
# Every partition has three replicas, all in sync; every broker is active and serving.
[ "$(grep -cE 'Partition: [0-2]	Leader: [1-3]	Replicas: [1-3],[1-3],[1-3]	Isr: [1-3],[1-3],[1-3]$' <<<"$first")" = 3 ] ||
  fail "topics describe does not show 3 partitions with 3 replicas in sync"
[ "$(grep -cE '^[1-3] +127\.0\.0\.1:[0-9]+ +[0-9]+ +active +SERVING$' <<<"$first")" = 3 ] ||
  fail "brokers list does not show 3 active, serving brokers"
first_pids=$(pids)
for pid in $first_pids; do kill -0 "$pid" || fail "node pid $pid is not running after the demo"; done

# Idempotent: the second run reuses the running cluster and the topic, and reads all 6 records.
second=$(timeout 180 tools/quickstart.sh 2>&1) || { echo "$second"; fail "second run failed"; }
echo "$second"
grep -qF "topic demo exists already" <<<"$second" || fail "second run did not reuse the topic"
# keelctl reads what kcat and REST wrote (3 + 2 + 1 of the first run, then 3 more), kcat all 12.
grep -qF "Processed a total of 9 messages" <<<"$second" || fail "second run did not read 9 records"
grep -qF "kcat consumed 12 records" <<<"$second" || fail "kcat did not read 12 records"
grep -qF "user-3	signed up" <<<"$second" || fail "keelctl did not read kcat's record"
[ "$(pids)" = "$first_pids" ] || fail "second run restarted running nodes: $first_pids -> $(pids)"

tools/quickstart.sh stop
for pid in $first_pids; do
  if kill -0 "$pid" 2>/dev/null; then fail "pid $pid still running after stop"; fi
done
# After a stop, a run starts the same cluster again on its data.
third=$(timeout 180 tools/quickstart.sh 2>&1) || { echo "$third"; fail "run after stop failed"; }
grep -qF "Processed a total of 15 messages" <<<"$third" || { echo "$third"; fail "data lost across stop"; }
tools/quickstart.sh clean
[ ! -e "$KEEL_QUICKSTART_DIR" ] || fail "clean left $KEEL_QUICKSTART_DIR"
echo PASS

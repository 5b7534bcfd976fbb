#!/usr/bin/env bash
# Runs one client test against a Kafka-protocol cluster it starts and always tears down:
#
#   with_cluster.sh [--brokers N] [--topic NAME:PARTITIONS]... [--broker-arg FLAG]... -- COMMAND [ARGS...]
#
# KAFKA_TEST_TARGET=keel (default): `keelctl cluster up` with 3 controllers and N brokers
#   (default 1), each broker with its Kafka listener, on a base port whose ports are all free;
#   the topics are created with `keelctl topics create` (replication factor min(N, 3)).
# KAFKA_TEST_TARGET=mock: librdkafka's mock cluster (tests/kafka/mock_cluster) with N brokers
#   and the topics; a reference the scripts were developed against (bazel test
#   --test_env=KAFKA_TEST_TARGET=mock //tests/kafka:all).
#
# COMMAND runs from the runfiles root (or the repository root outside Bazel) with
#   KAFKA_BOOTSTRAP   host:port,... of every broker's Kafka listener
#   KAFKA_TEST_TARGET keel or mock (a test may skip an assertion the mock cannot meet)
#   KEELCTL, KEEL_CONTROLLERS, KEEL_BROKERS  (keel only) keelctl and the gRPC addresses
#   KEEL_CLUSTER_DIR  (keel only) the cluster's directory (cluster.json: node names and pids)
#   KEEL_REST         (keel only) http://host:port,... of every broker's REST proxy (docs/rest.md)
#   KAFKAJS_DIR       the kafkajs package installed by tools/install-npm.sh
# and is killed after KAFKA_TEST_TIMEOUT_S (default 120) seconds. Every process started here is
# stopped by pid on exit (SIGTERM, then SIGKILL); on failure the node logs are copied to
# $TEST_UNDECLARED_OUTPUTS_DIR (bazel-testlogs/.../test.outputs/) and their tails printed.
set -euo pipefail
fail() { echo "with_cluster: $*" >&2; exit 1; }

brokers=1
topics=()
broker_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --brokers) brokers=$2; shift 2 ;;
    --topic) topics+=("$2"); shift 2 ;;
    --broker-arg) broker_args+=("--broker-arg=$2"); shift 2 ;;
    --) shift; break ;;
    *) fail "unknown argument '$1' (usage: with_cluster.sh [--brokers N] [--topic T:P]... -- CMD)" ;;
  esac
done
[ $# -gt 0 ] || fail "no command given"

if [ -n "${TEST_SRCDIR:-}" ]; then
  cd "$TEST_SRCDIR/${TEST_WORKSPACE:-keel}"
  KEELCTL_BIN=$PWD/tools/keelctl
  MOCK_BIN=$PWD/tests/kafka/mock_cluster
else
  cd "$(dirname "$0")/../.."
  KEELCTL_BIN=$PWD/bazel-bin/tools/keelctl
  MOCK_BIN=$PWD/bazel-bin/tests/kafka/mock_cluster
fi
export KAFKA_TEST_TARGET=${KAFKA_TEST_TARGET:-keel}
export KAFKAJS_DIR=$PWD/third_party/npm/node_modules/kafkajs
scratch=${TEST_TMPDIR:-$(mktemp -d)}/kafka-cluster
rm -rf "$scratch"
mkdir -p "$scratch"
timeout_s=${KAFKA_TEST_TIMEOUT_S:-120}
replication_factor=$((brokers < 3 ? brokers : 3))

mock_pid=""
cmd_pid=""
capture_pid=""
keel_pids() {
  [ -f "$scratch/cluster.json" ] || return 0
  /usr/bin/python3 -c 'import json,sys
for n in json.load(open(sys.argv[1]))["Nodes"]:
    if n.get("Pid", 0) > 0: print(n["Pid"])' "$scratch/cluster.json"
}
show_logs() {
  local out=${TEST_UNDECLARED_OUTPUTS_DIR:-}
  for log in "$scratch"/*.log; do
    [ -f "$log" ] || continue
    [ -n "$out" ] && cp "$log" "$out/" 2>/dev/null
    echo "---- last lines of $(basename "$log")" >&2
    tail -n 15 "$log" >&2
  done
}
cleanup() {
  local rc=$?
  if [ -n "$cmd_pid" ]; then kill "$cmd_pid" 2>/dev/null || true; fi
  if [ -n "$capture_pid" ]; then kill "$capture_pid" 2>/dev/null || true; fi
  if [ -n "$mock_pid" ]; then
    kill "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
  fi
  if [ "$KAFKA_TEST_TARGET" = keel ] && [ -f "$scratch/cluster.json" ]; then
    [ "$rc" -ne 0 ] && show_logs
    local pids
    pids=$(keel_pids)
    timeout 20 "$KEELCTL_BIN" cluster down --dir "$scratch" --grace-ms 3000 >/dev/null 2>&1 || true
    # Whatever survived `cluster down`, and only if the pid is still one of our keel binaries.
    for pid in $pids; do
      if grep -q 'keel-' "/proc/$pid/cmdline" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# A base port B with B..B+2 (controllers), B+100.. (brokers' gRPC), B+200.., B+300.. (metrics)
# B+400.. (brokers' Kafka listeners) and B+500.. (brokers' REST proxies) free on 127.0.0.1.
pick_base_port() {
  /usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
def free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    base = random.randrange(20000, 60000)
    if all(free(base + off + i) for off in (0, 100, 200, 300, 400, 500) for i in range(count)):
        print(base)
        break
PY
}

case "$KAFKA_TEST_TARGET" in
  keel)
    [ -x "$KEELCTL_BIN" ] || fail "no keelctl at $KEELCTL_BIN"
    base_port=$(pick_base_port $((brokers > 3 ? brokers : 3)))
    [ -n "$base_port" ] || fail "no free base port"
    if ! out=$(timeout 60 "$KEELCTL_BIN" -o json cluster up --dir "$scratch" --controllers-count 3 \
                 --brokers-count "$brokers" --base-port "$base_port" --wait-ms 30000 \
                 ${broker_args[@]+"${broker_args[@]}"} 2>&1); then
      echo "$out" >&2
      fail "keelctl cluster up failed"
    fi
    bootstrap=$(/usr/bin/python3 -c 'import json,sys
c = json.load(open(sys.argv[1]))
print(",".join(n["KafkaAddress"] for n in c["Nodes"] if n["Role"] == "broker" and n.get("KafkaAddress")))' \
      "$scratch/cluster.json")
    [ -n "$bootstrap" ] ||
      fail "cluster.json names no broker KafkaAddress (does keelctl start brokers with --kafka_listen?)"
    export KEELCTL=$KEELCTL_BIN
    KEEL_CONTROLLERS=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Controllers"])' "$scratch/cluster.json")
    KEEL_BROKERS=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Brokers"])' "$scratch/cluster.json")
    export KEEL_CONTROLLERS KEEL_BROKERS
    export KEEL_CLUSTER_DIR=$scratch
    KEEL_REST=$(/usr/bin/python3 -c 'import json,sys
c = json.load(open(sys.argv[1]))
print(",".join("http://" + n["RestAddress"] for n in c["Nodes"] if n["Role"] == "broker" and n.get("RestAddress")))' \
      "$scratch/cluster.json")
    export KEEL_REST
    for spec in ${topics[@]+"${topics[@]}"}; do
      timeout 30 "$KEELCTL" topics create "${spec%:*}" --partitions "${spec##*:}" \
        --replication-factor "$replication_factor" >/dev/null || fail "creating topic $spec"
    done
    ;;
  mock)
    [ -x "$MOCK_BIN" ] || fail "no mock_cluster at $MOCK_BIN"
    mock_args=(--brokers "$brokers")
    for spec in ${topics[@]+"${topics[@]}"}; do mock_args+=(--topic "$spec"); done
    "$MOCK_BIN" "${mock_args[@]}" >"$scratch/mock.out" 2>"$scratch/mock.log" &
    mock_pid=$!
    for _ in $(seq 100); do
      grep -q '^bootstrap.servers=' "$scratch/mock.out" 2>/dev/null && break
      kill -0 "$mock_pid" 2>/dev/null || { cat "$scratch/mock.log" >&2; fail "mock_cluster exited"; }
      sleep 0.05
    done
    bootstrap=$(sed -n 's/^bootstrap.servers=//p' "$scratch/mock.out")
    [ -n "$bootstrap" ] || fail "mock_cluster printed no bootstrap address"
    ;;
  *) fail "KAFKA_TEST_TARGET must be keel or mock, not '$KAFKA_TEST_TARGET'" ;;
esac
export KAFKA_BOOTSTRAP=$bootstrap
echo "with_cluster: $KAFKA_TEST_TARGET cluster, Kafka bootstrap $KAFKA_BOOTSTRAP" >&2

# KAFKA_CAPTURE_DIR (by hand, as root; testdata/README.md): record the request frames the
# command's client sends, under the label KAFKA_CAPTURE_LABEL (default: the script's name).
if [ -n "${KAFKA_CAPTURE_DIR:-}" ]; then
  label=${KAFKA_CAPTURE_LABEL:-$(basename "${!#}" | sed 's/\.[a-z]*$//')}
  ports=$(tr ',' '\n' <<<"$KAFKA_BOOTSTRAP" | sed 's/.*://' | paste -sd,)
  /usr/bin/python3 tests/kafka/capture_frames.py --ports "$ports" --out "$KAFKA_CAPTURE_DIR" \
    --label "$label" --per-version "${KAFKA_CAPTURE_PER_VERSION:-1}" >"$scratch/capture.out" 2>&1 &
  capture_pid=$!
  for _ in $(seq 100); do
    grep -q listening "$scratch/capture.out" 2>/dev/null && break
    sleep 0.05
  done
  grep -q listening "$scratch/capture.out" || { cat "$scratch/capture.out" >&2; fail "capture did not start"; }
fi

# The command runs in the background so that a TERM from Bazel's timeout reaches the trap.
timeout --kill-after=5 "$timeout_s" "$@" &
cmd_pid=$!
cmd_rc=0
wait "$cmd_pid" || cmd_rc=$?
cmd_pid=""
if [ -n "$capture_pid" ]; then
  kill -TERM "$capture_pid"
  wait "$capture_pid" || fail "capture failed: $(cat "$scratch/capture.out")"
  capture_pid=""
  cat "$scratch/capture.out" >&2
fi
exit "$cmd_rc"

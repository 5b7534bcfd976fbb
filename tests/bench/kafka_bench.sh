#!/usr/bin/env bash
# The Kafka-protocol benchmark (docs/BENCHMARKS.md, "Kafka protocol"), by hand, not in the suite:
# the same librdkafka 2.0.2 producer and consumer (tests/bench/kafka_bench.c) against
#   1. librdkafka's in-process mock cluster (tests/kafka/mock_cluster): the client's own bound;
#   2. Keel's Kafka listener: 3 controllers + 1 broker from `keelctl cluster up`, topic with 1
#      partition, replication factor 1;
# and then Keel's gRPC path (tests/bench/broker_bench, RF 1, acks=leader, 1 partition) at the
# same value sizes, all in one run. Every process it starts is stopped by pid on exit.
#
#   tests/bench/kafka_bench.sh [VALUE_SIZES (default "100 1024")]
# Env: KAFKA_BENCH_RECORDS_100 / KAFKA_BENCH_RECORDS_1024 (records per size; default 500000 /
# 100000), KAFKA_BENCH_ACKS (1 or all; default 1), KAFKA_BENCH_SKIP_BUILD=1,
# KAFKA_BENCH_SKIP_GRPC=1, KAFKA_BENCH_X="key=value ..." (librdkafka settings for both clients,
# e.g. max.partition.fetch.bytes=8388608 to match broker_bench's 8 MiB fetches).
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=${1:-100 1024}
acks=${KAFKA_BENCH_ACKS:-1}
scratch=$(mktemp -d /tmp/kafka-bench.XXXXXX)
mock_pid=""
cleanup() {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  if [ -f "$scratch/keel/cluster.json" ]; then
    pids=$(/usr/bin/python3 -c 'import json,sys
print(" ".join(str(n["Pid"]) for n in json.load(open(sys.argv[1]))["Nodes"] if n.get("Pid", 0) > 0))' \
      "$scratch/keel/cluster.json")
    "$keelctl" cluster down --dir "$scratch/keel" >/dev/null 2>&1 || true
    for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

if [ "${KAFKA_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  bazel build -c opt //tests/bench:kafka_bench //tests/bench:broker_bench //tests/kafka:mock_cluster \
    //tools:keelctl //broker:keel-broker //controller:keel-controller
fi
# The -c opt outputs, wherever the bazel-bin symlink points after other builds (no `bazel
# info`: it would wait for another command's lock).
bin=$PWD/bazel-out/k8-opt/bin
[ -x "$bin/tests/bench/kafka_bench" ] || { echo "no $bin/tests/bench/kafka_bench (build with -c opt)" >&2; exit 1; }
bench=$bin/tests/bench/kafka_bench
keelctl=$bin/tools/keelctl
records_for() { if [ "$1" -le 100 ]; then echo "${KAFKA_BENCH_RECORDS_100:-500000}"; else echo "${KAFKA_BENCH_RECORDS_1024:-100000}"; fi; }
extra=()
for x in ${KAFKA_BENCH_X:-}; do extra+=(-X "$x"); done
topic_args=()
for s in $sizes; do topic_args+=(--topic "bench-$s:1"); done

echo "== librdkafka mock cluster (1 broker)"
"$bin/tests/kafka/mock_cluster" "${topic_args[@]}" >"$scratch/mock.out" &
mock_pid=$!
for _ in $(seq 100); do grep -q bootstrap "$scratch/mock.out" && break; sleep 0.05; done
mock_bootstrap=$(sed -n 's/^bootstrap.servers=//p' "$scratch/mock.out")
for s in $sizes; do
  "$bench" --bootstrap "$mock_bootstrap" --topic "bench-$s" --value_bytes "$s" \
    --records "$(records_for "$s")" --acks "$acks" ${extra[@]+"${extra[@]}"} | grep -v '^fetch_round' | sed 's/^/mock  /'
done
kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true; mock_pid=""

echo "== Keel Kafka listener (3 controllers, 1 broker, RF 1)"
base=$((20000 + RANDOM % 30000))
"$keelctl" cluster up --dir "$scratch/keel" --controllers-count 3 --brokers-count 1 \
  --base-port "$base" >"$scratch/up.out" || { cat "$scratch/up.out"; exit 1; }
export KEEL_CONTROLLERS
KEEL_CONTROLLERS=$(sed -n 's/^export KEEL_CONTROLLERS=\([^ ]*\) .*/\1/p' "$scratch/up.out")
keel_bootstrap=$(/usr/bin/python3 -c 'import json,sys
print(",".join(n["KafkaAddress"] for n in json.load(open(sys.argv[1]))["Nodes"] if n.get("KafkaAddress")))' \
  "$scratch/keel/cluster.json")
[ -n "$keel_bootstrap" ] || { echo "cluster.json has no KafkaAddress" >&2; exit 1; }
for s in $sizes; do
  "$keelctl" topics create "bench-$s" --partitions 1 --replication-factor 1 >/dev/null
  "$bench" --bootstrap "$keel_bootstrap" --topic "bench-$s" --value_bytes "$s" \
    --records "$(records_for "$s")" --acks "$acks" ${extra[@]+"${extra[@]}"} | grep -v '^fetch_round' | sed 's/^/keel  /'
done
"$keelctl" cluster down --dir "$scratch/keel" >/dev/null

if [ "${KAFKA_BENCH_SKIP_GRPC:-0}" != 1 ]; then
  echo "== Keel gRPC path (tests/bench/broker_bench, RF 1, 1 partition)"
  grpc_acks=leader
  [ "$acks" = all ] && grpc_acks=all
  bazel run -c opt //tests/bench:broker_bench -- --value_sizes="$(tr ' ' ',' <<<"$sizes")" \
    --partitions=1 --acks="$grpc_acks" --seconds=3
fi

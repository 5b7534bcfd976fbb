#!/bin/bash
# TLS against plaintext in the same run (issue #19's benchmark, docs/security.md): for each
# mode a local cluster (`keelctl cluster up`, with `--tls` for mutual TLS on every gRPC hop and
# SSL on the Kafka listeners) of 3 controllers and 3 brokers, then
#   produce: `keelctl perf produce` of N records of B bytes with acks=all to an RF 3 topic
#            (client -> leader and leader <- follower replica fetches both over TLS);
#   metadata: M topic creations, one `keelctl topics create` process each, so each pays a
#            new connection (a TLS handshake in TLS mode) and a Raft commit among the
#            controllers (over mutual TLS).
# Prints one line per mode and the TLS/plaintext ratios. Binaries from bazel-bin (build
# //tools:keelctl //controller:keel-controller //broker:keel-broker first, -c opt for real
# figures).
#
#   tests/bench/tls_bench.sh [--records N] [--record-size B] [--topics M] [--base-port P]
set -euo pipefail
cd "$(dirname "$0")/../.."
records=200000 record_size=1024 topics=30 base=29591
while [ $# -gt 0 ]; do
  case $1 in
    --records) records=$2; shift 2 ;;
    --record-size) record_size=$2; shift 2 ;;
    --topics) topics=$2; shift 2 ;;
    --base-port) base=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
ctl=${KEELCTL:-bazel-bin/tools/keelctl}
work=$(mktemp -d /tmp/keel-tls-bench.XXXXXX)
dir=""
cleanup() { [ -n "$dir" ] && "$ctl" cluster down --dir "$dir" --grace-ms 2000 >/dev/null 2>&1 || true; }
trap cleanup EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); records=$records x ${record_size} B, topics=$topics"

declare -A produce_rps create_per_s
for mode in plaintext tls; do
  dir="$work/$mode"
  flags=()
  [ "$mode" = tls ] && flags=(--tls)
  up=$("$ctl" cluster up --dir "$dir" --base-port "$base" --wait-ms 60000 "${flags[@]}")
  eval "$(grep '^export ' <<<"$up")"
  "$ctl" topics create bench --partitions 6 --replication-factor 3 >/dev/null
  json=$("$ctl" -o json perf produce bench --num-records "$records" --record-size "$record_size" \
           --producer-props acks=all linger.ms=5 batch.size=65536 2>/dev/null)
  produce_rps[$mode]=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["RecordsPerSec"]))' "$json")
  p99=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["P99Ms"]))' "$json")
  start=$(date +%s.%N)
  for i in $(seq 1 "$topics"); do
    "$ctl" topics create "m$i" --partitions 1 --replication-factor 1 >/dev/null
  done
  end=$(date +%s.%N)
  create_per_s[$mode]=$(python3 -c "print(round($topics / ($end - $start), 1))")
  echo "$mode: produce ${produce_rps[$mode]} records/s (p99 ${p99} ms), topic creates ${create_per_s[$mode]}/s"
  "$ctl" cluster down --dir "$dir" --grace-ms 2000 >/dev/null
  dir=""
  unset KEEL_TLS_CA KEEL_TLS_CERT KEEL_TLS_KEY
done
python3 -c "print('tls/plaintext: produce %.2fx, topic creates %.2fx' % (${produce_rps[tls]} / ${produce_rps[plaintext]}, ${create_per_s[tls]} / ${create_per_s[plaintext]}))"
rm -rf "$work"

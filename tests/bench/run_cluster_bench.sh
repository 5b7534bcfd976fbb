#!/bin/bash
# Runs every keel-bench subcommand (docs/bench/cluster.md) RUNS times and keeps the output in
# OUT (default /tmp/keel-cluster-bench-<time>). etcd comes from ../shared/peers/etcd.sh, which
# installs etcd-server/etcd-client from Debian if they are missing.
#
#   tests/bench/run_cluster_bench.sh [metadata|failover|scale|fetch-latency|fsync ...]
#
# Env: RUNS (2), OUT, OUTPUT_BASE (/root/.cache/bazel-ob-kbench), BENCH_FLAGS (extra flags
# for every subcommand), SCALE_FLAGS (default: --topics=1000), FETCH_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-2}
OUT=${OUT:-/tmp/keel-cluster-bench-$(date -u +%Y%m%dT%H%M)}
OUTPUT_BASE=${OUTPUT_BASE:-/root/.cache/bazel-ob-kbench}
SCALE_FLAGS=${SCALE_FLAGS:---topics=1000}
FETCH_FLAGS=${FETCH_FLAGS:-}
commands=("$@")
[[ ${#commands[@]} -gt 0 ]] || commands=(fsync metadata failover fetch-latency scale)
# A broker holds two file descriptors per partition replica (docs/broker.md): the scale run's
# broker needs about 100k. Raise the limit as far as this user may (root: up to nr_open).
if [ "$(id -u)" = 0 ]; then ulimit -Hn "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || true; fi
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$OUT"
bazel --output_base="$OUTPUT_BASE" build -c opt //tests/bench:keel_bench
for cmd in "${commands[@]}"; do
  extra=()
  case $cmd in
    scale) read -ra extra <<<"$SCALE_FLAGS" ;;
    fetch-latency) read -ra extra <<<"$FETCH_FLAGS" ;;
  esac
  for run in $(seq "$RUNS"); do
    echo "== $cmd run $run -> $OUT/$cmd-$run.txt"
    # shellcheck disable=SC2086
    bazel --output_base="$OUTPUT_BASE" run -c opt //tests/bench:keel_bench -- "$cmd" \
      ${BENCH_FLAGS:-} "${extra[@]}" 2>&1 | tee "$OUT/$cmd-$run.txt"
  done
done
echo "outputs in $OUT"

#!/usr/bin/env bash
# Installs every Debian package Keel needs to build, test and run, then the npm packages the
# tests use (tools/install-npm.sh). Idempotent: when everything is already present it returns
# quickly without touching apt or npm.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap            # Bazel 4.2.3, WORKSPACE mode (see docs/building.md)
  g++ pkg-config python3     # toolchain; python3 runs Bazel's helper scripts
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libleveldb-dev libgtest-dev libgmock-dev libbenchmark-dev
  libgflags-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libssl-dev zlib1g-dev libc-ares-dev libre2-dev libabsl-dev libsystemd-dev
  libsnappy-dev liblz4-dev libzstd-dev   # Kafka record batch compression (kafka/)
  prometheus-cpp-dev         # /metrics (docs/observability.md)
  prometheus                 # promtool, run by the metrics tests to lint /metrics
  libcpp-httplib-dev         # the broker's REST proxy (docs/rest.md)
  curl                       # tests/rest/ drives the REST proxy with curl
  ca-certificates procps
  openssl                    # keelctl cluster up --tls makes its CA and certificates (docs/security.md)
  # Kafka clients no one here wrote, run by tests/kafka/ against the Kafka listener; librdkafka-dev
  # also builds tests/kafka/mock_cluster.c and tests/bench/kafka_bench.c (rdkafka_mock.h).
  kcat python3-confluent-kafka python3-kafka librdkafka-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# kafkajs (npm, pinned) for tests/kafka/, into third_party/npm/node_modules (quick when present).
"$(dirname "$0")/install-npm.sh"

#!/usr/bin/env bash
# Installs every Debian package Keel needs to build, test and run. Idempotent: when every
# package is already present it returns quickly without touching apt.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap            # Bazel 4.2.3, WORKSPACE mode (see docs/building.md)
  g++ pkg-config python3     # toolchain; python3 runs Bazel's helper scripts
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libleveldb-dev libgtest-dev libgmock-dev libbenchmark-dev
  libgflags-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libssl-dev zlib1g-dev libc-ares-dev libre2-dev libabsl-dev libsystemd-dev
  prometheus-cpp-dev         # /metrics (docs/observability.md)
  prometheus                 # promtool, run by the metrics tests to lint /metrics
  ca-certificates procps
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null

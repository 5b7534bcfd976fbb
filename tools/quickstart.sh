#!/usr/bin/env bash
# The README's first command: installs deps, builds everything, and runs the main job.
# Until the cluster issues land, the main job is showing each binary's --help.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
bazel build //controller:keel-controller //broker:keel-broker //tools:keelctl

for bin in controller/keel-controller broker/keel-broker tools/keelctl; do
  echo "=== $bin --help"
  "bazel-bin/$bin" --help
  echo
done

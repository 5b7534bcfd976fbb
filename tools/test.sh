#!/usr/bin/env bash
# Runs every Keel test on this machine: installs Debian packages, then `bazel test //...`.
# Ends with one line "N passed, M failed" counting test targets; exits non-zero if any test
# failed or the build broke. Extra arguments go to bazel test (e.g. a target pattern).
set -uo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh || { echo "0 passed, 0 failed (install-deps.sh failed)"; exit 1; }

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("//...")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bazel test --keep_going "${targets[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# Bazel's summary has one line per test target: "//pkg:name   PASSED in 0.3s" (or FAILED,
# TIMEOUT, FLAKY, FAILED TO BUILD, NO STATUS, ...).
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -E '^//[^ ]+ +' "$log" | grep -cvE '^//[^ ]+ +(\(cached\) )?PASSED')
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build broke before any test could report.
  failed=1
  echo "bazel test exited $rc before reporting test results" >&2
fi
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Each binary prints a real --help naming its own flags, and rejects bad input non-zero.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }

ctl=tools/keelctl
controller=controller/keel-controller
broker=broker/keel-broker

out=$("$controller" --help)
for flag in node_id listen voters data_dir cluster_id; do
  grep -q -- "-$flag" <<<"$out" || fail "keel-controller --help lacks --$flag"
done
grep -q -- "-undefok" <<<"$out" && fail "keel-controller --help shows gflags' internal flags"

out=$("$broker" --help)
for flag in broker_id listen controllers data_dirs rack; do
  grep -q -- "-$flag" <<<"$out" || fail "keel-broker --help lacks --$flag"
done

help=$("$ctl" --help)
for cmd in quorum topics brokers metadata produce consume cluster version; do
  grep -q "$cmd" <<<"$help" || fail "keelctl --help lacks $cmd"
done
cluster_help=$("$ctl" cluster --help)
for cmd in up status down logs restart-node; do
  grep -q "$cmd" <<<"$cluster_help" || fail "keelctl cluster --help lacks $cmd"
done
up_help=$("$ctl" cluster up --help)
for opt in --dir --controllers-count --brokers-count --base-port --bin-dir; do
  grep -q -- "$opt" <<<"$up_help" || fail "keelctl cluster up --help lacks $opt"
done
[ "$("$ctl" version)" = "keelctl 0.1.0" ] || fail "keelctl version"

# Invalid input: non-zero exit and a one-line error, no cluster needed.
set +e
"$ctl" topics create --partitions 1 2>/tmp/keelctl_err_$$; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "keelctl topics create without a name exited $rc, want 2"
[ "$(wc -l </tmp/keelctl_err_$$)" -eq 1 ] || fail "keelctl usage error is not one line"
set +e
env -u KEEL_CONTROLLERS "$ctl" topics list 2>/tmp/keelctl_err_$$; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "keelctl with no controllers exited $rc, want 1"
grep -q "no controllers given" /tmp/keelctl_err_$$ || fail "keelctl no-controllers message"
set +e
"$ctl" --controllers=127.0.0.1:1 --timeout-ms=500 topics list 2>/tmp/keelctl_err_$$; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "keelctl against an unreachable cluster exited $rc, want 1"

set +e
"$ctl" no-such-command 2>/tmp/keelctl_err_$$; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "keelctl unknown command exited $rc, want 2"
grep -q "no-such-command" /tmp/keelctl_err_$$ || fail "keelctl error message"
rm -f /tmp/keelctl_err_$$

set +e
"$controller" --node_id=0 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "keel-controller --node_id=0 exited $rc, want 2"
echo "ok"

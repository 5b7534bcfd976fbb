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

"$ctl" --help | grep -q "Commands:" || fail "keelctl --help has no command list"
[ "$("$ctl" version)" = "keelctl 0.1.0" ] || fail "keelctl version"

set +e
"$ctl" no-such-command 2>/tmp/keelctl_err_$$; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "keelctl unknown command exited $rc, want 2"
grep -q "unknown command 'no-such-command'" /tmp/keelctl_err_$$ || fail "keelctl error message"
rm -f /tmp/keelctl_err_$$

set +e
"$controller" --node_id=0 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "keel-controller --node_id=0 exited $rc, want 2"
echo "ok"

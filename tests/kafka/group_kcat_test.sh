#!/usr/bin/env bash
# kcat 1.7.1's balanced consumer (-G, librdkafka 2.0.2), unmodified, against the cluster
# with_cluster.sh started (topic grp-kcat with 4 partitions):
#   a first member of another group reads all 84 records produced (and its FindCoordinator
#   creates __consumer_offsets, so the next members find their coordinator at once);
#   two `kcat -G grp-kcat-group grp-kcat -e` started together share the 4 partitions, 2 each,
#   and read the 84 records between them exactly once; they commit on exit, so a third
#   member of the group started afterwards reads nothing.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
B=$KAFKA_BOOTSTRAP
T=grp-kcat
G=grp-kcat-group
work=${TEST_TMPDIR:-$(mktemp -d)}/group-kcat
mkdir -p "$work"

for i in $(seq 0 79); do echo "record-$i"; done |
  timeout 30 kcat -b "$B" -P -t "$T" -p -1 || fail "producing"
# -p -1 spreads by the partitioner; make sure every partition got some.
for p in 0 1 2 3; do echo "more-$p" | timeout 30 kcat -b "$B" -P -t "$T" -p "$p"; done

# No -o: with it kcat starts every assigned partition at that offset, ignoring the commits.
member() {  # name group
  timeout 60 kcat -b "$B" -G "$2" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
    -X auto.offset.reset=earliest -e -f '%p %s\n' "$T" \
    >"$work/$1.out" 2>"$work/$1.err"
}
member d "$G-first" || fail "the first group's member failed"
[ "$(wc -l <"$work/d.out")" -eq 84 ] || fail "a new group read $(wc -l <"$work/d.out") records, want 84"
pids=()
member a "$G" & pids+=($!)
member b "$G" & pids+=($!)
for pid in "${pids[@]}"; do wait "$pid" || { cat "$work"/*.err >&2; fail "a member failed"; }; done

/usr/bin/python3 - "$work" <<'PY' || { cat "$work"/*.err >&2; fail "the two members did not share the partitions"; }
import re, sys
work = sys.argv[1]
parts, values = {}, []
for name in ("a", "b"):
    lines = [l.split(" ", 1) for l in open("%s/%s.out" % (work, name)).read().splitlines()]
    parts[name] = {int(p) for p, _ in lines}
    values += [v for _, v in lines]
    err = open("%s/%s.err" % (work, name)).read()
    print(name, "read from partitions", sorted(parts[name]))
assert len(parts["a"]) == 2 and len(parts["b"]) == 2, parts
assert parts["a"] | parts["b"] == {0, 1, 2, 3}, parts
want = ["record-%d" % i for i in range(80)] + ["more-%d" % p for p in range(4)]
assert sorted(values) == sorted(want), (len(values), "records read, want", len(want))
PY

# The commits made on exit: the group has nothing left to read.
member c "$G" || fail "the third member failed"
[ ! -s "$work/c.out" ] || fail "a member started after the commits re-read $(wc -l <"$work/c.out") records"
echo "kcat group test passed"

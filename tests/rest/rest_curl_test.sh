#!/usr/bin/env bash
# The REST proxy (docs/rest.md) driven by curl, against a cluster from with_cluster.sh (1
# broker, topic rest-curl with 2 partitions, --rest_admin_timeout_ms=2000):
#   - REST in, kcat and keelctl out: the same bytes at the offsets REST answered;
#   - kcat in, REST consumer out: the same bytes (base64) at kcat's offsets;
#   - every error of the issue: 404/40401, 40402, 40403, 422/42201 (JSON and base64), 415,
#     413, 406/40601, 409, and 503/50003 with Retry-After while the controllers are stopped;
#   - a malformed request does not disturb a keep-alive neighbour; /metrics counts endpoints.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$KAFKA_TEST_TARGET" = keel ] || { echo "the REST proxy is Keel's: nothing to do on mock"; exit 0; }
R=${KEEL_REST%%,*}
[ -n "$R" ] || fail "no REST address (KEEL_REST is empty)"
T=rest-curl
BIN=application/vnd.kafka.binary.v2+json
JS=application/vnd.kafka.json.v2+json
V2=application/vnd.kafka.v2+json
out=$(mktemp -d)
c() { curl -sS --max-time 30 -o "$out/body" -w '%{http_code}' "$@"; }
# expect STATUS ERROR_CODE -- curl args: the answer's status and Confluent error_code.
expect() {
  local status=$1 code=$2; shift 3
  local got
  got=$(c "$@") || fail "curl $* failed"
  [ "$got" = "$status" ] || fail "curl $*: status $got, want $status: $(cat "$out/body")"
  /usr/bin/python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b["error_code"]==int(sys.argv[2]) and b["message"], b' \
    "$out/body" "$code" || fail "curl $*: body $(cat "$out/body"), want error_code $code"
}
b64() { printf '%s' "$1" | base64 -w0; }

# ---- metadata
[ "$(c "$R/topics")" = 200 ] && grep -q "\"$T\"" "$out/body" || fail "GET /topics: $(cat "$out/body")"
[ "$(c "$R/topics/$T")" = 200 ] || fail "GET /topics/$T"
/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["name"]==sys.argv[2] and len(t["partitions"])==2 and t["partitions"][0]["replicas"][0]["leader"], t' \
  "$out/body" "$T" || fail "GET /topics/$T: $(cat "$out/body")"
[ "$(c "$R/topics/$T/partitions")" = 200 ] || fail "GET partitions"
[ "$(c "$R/topics/$T/partitions/1")" = 200 ] && grep -q '"partition":1' "$out/body" || fail "GET partition 1"
[ "$(c "$R/brokers")" = 200 ] && grep -q '"brokers":\[1\]' "$out/body" || fail "GET /brokers: $(cat "$out/body")"

# ---- REST in (binary, keys, explicit partitions), kcat and keelctl out
k1=$(b64 'user-1'); v1=$(b64 'signed up ünïcode'); v2=$(b64 'second:record'); v3=$(b64 'third')
[ "$(c -X POST -H "Content-Type: $BIN" --data "{\"records\":[{\"key\":\"$k1\",\"value\":\"$v1\",\"partition\":0},{\"value\":\"$v2\",\"partition\":0}]}" "$R/topics/$T")" = 200 ] ||
  fail "produce: $(cat "$out/body")"
/usr/bin/python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))["offsets"]; assert [(x["partition"],x["offset"],x["error_code"]) for x in o]==[(0,0,None),(0,1,None)], o' \
  "$out/body" || fail "produce offsets: $(cat "$out/body")"
[ "$(c -X POST -H "Content-Type: $BIN" --data "{\"records\":[{\"value\":\"$v3\"}]}" "$R/topics/$T/partitions/0")" = 200 ] ||
  fail "produce to a partition: $(cat "$out/body")"
grep -q '"offset":2,"partition":0' "$out/body" || fail "produce to partition 0 answered $(cat "$out/body")"
kafka_view=$(timeout 30 kcat -b "$KAFKA_BOOTSTRAP" -C -t "$T" -p 0 -o beginning -e -q -f '%o|%k|%s\n') || fail "kcat -C"
want=$'0|user-1|signed up ünïcode\n1||second:record\n2||third'
[ "$kafka_view" = "$want" ] || fail "kcat read: $kafka_view"
grpc_json=$(timeout 30 "$KEELCTL" -o json consume "$T" --partition 0 --from-beginning) || fail "keelctl consume"
/usr/bin/python3 - "$grpc_json" <<'PY' || fail "keelctl consume disagrees with what REST wrote"
import json, sys
recs = [(r["Offset"], r["Key"], r["Value"]) for r in json.loads(sys.argv[1])["Records"]]
assert recs == [(0, "user-1", "signed up ünïcode"), (1, "", "second:record"), (2, "", "third")], recs
PY
echo "REST -> kcat, keelctl: same bytes"

# ---- kcat in, REST consumer out (partition 1, assigned)
printf 'k-a:from kafka 1\nk-b:from kafka 2\n' | timeout 30 kcat -b "$KAFKA_BOOTSTRAP" -P -t "$T" -p 1 -K: || fail "kcat -P"
[ "$(c -X POST -H "Content-Type: $V2" --data '{"name":"cc","format":"binary","auto.offset.reset":"earliest"}' "$R/consumers/curl-g")" = 200 ] ||
  fail "create consumer: $(cat "$out/body")"
grep -q '"instance_id":"cc"' "$out/body" && grep -q '/consumers/curl-g/instances/cc"' "$out/body" || fail "create answered $(cat "$out/body")"
I=$R/consumers/curl-g/instances/cc
[ "$(c -X POST -H "Content-Type: $V2" --data "{\"partitions\":[{\"topic\":\"$T\",\"partition\":1}]}" "$I/assignments")" = 204 ] || fail "assign: $(cat "$out/body")"
[ "$(c "$I/assignments")" = 200 ] && grep -q "\"partition\":1" "$out/body" || fail "GET assignments: $(cat "$out/body")"
got='[]'
for _ in $(seq 20); do
  [ "$(c -H "Accept: $BIN" "$I/records?timeout=1000")" = 200 ] || fail "records: $(cat "$out/body")"
  got=$(cat "$out/body"); [ "$got" != "[]" ] && break
done
/usr/bin/python3 - "$got" <<'PY' || fail "REST consumer disagrees with what kcat wrote: $got"
import base64, json, sys
recs = [(r["partition"], r["offset"], base64.b64decode(r["key"]), base64.b64decode(r["value"])) for r in json.loads(sys.argv[1])]
assert recs == [(1, 0, b"k-a", b"from kafka 1"), (1, 1, b"k-b", b"from kafka 2")], recs
PY
echo "kcat -> REST consumer: same bytes"
# positions: back to the beginning, then max_bytes cuts the answer after one record
[ "$(c -X POST -H "Content-Type: $V2" --data "{\"partitions\":[{\"topic\":\"$T\",\"partition\":1}]}" "$I/positions/beginning")" = 204 ] || fail "seek beginning"
[ "$(c -H "Accept: $BIN" "$I/records?timeout=3000&max_bytes=20")" = 200 ] || fail "records after seek"
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [x["offset"] for x in r]==[0], r' "$out/body" || fail "max_bytes: $(cat "$out/body")"
# a record larger than max_bytes still comes (alone), as Kafka's fetch.max.bytes
[ "$(c -H "Accept: $BIN" "$I/records?timeout=3000&max_bytes=1")" = 200 ] || fail "records with max_bytes=1"
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [x["offset"] for x in r]==[1], r' "$out/body" || fail "max_bytes=1: $(cat "$out/body")"
[ "$(c -X POST -H "Content-Type: $V2" --data "{\"offsets\":[{\"topic\":\"$T\",\"partition\":1,\"offset\":1}]}" "$I/positions")" = 204 ] || fail "seek"
[ "$(c -H "Accept: $BIN" "$I/records?timeout=3000")" = 200 ] || fail "records after seek"
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [x["offset"] for x in r]==[1], r' "$out/body" || fail "seek to 1: $(cat "$out/body")"
[ "$(c -X POST -H "Content-Type: $V2" --data "{\"partitions\":[{\"topic\":\"$T\",\"partition\":1}]}" "$I/positions/end")" = 204 ] || fail "seek end"
[ "$(c -X POST -H "Content-Type: $V2" --data "{\"offsets\":[{\"topic\":\"$T\",\"partition\":1,\"offset\":0}]}" "$I/offsets")" = 200 ] || fail "commit: $(cat "$out/body")"
[ "$(c "$I/offsets?partitions=$T:1")" = 200 ] && grep -q '"offset":1' "$out/body" || fail "committed: $(cat "$out/body")"

# ---- errors
expect 404 40401 -- "$R/topics/no-such-topic"
expect 404 40401 -- "$R/topics/no-such-topic/partitions"
expect 404 40401 -- -X POST -H "Content-Type: $BIN" --data '{"records":[{"value":"eA=="}]}' "$R/topics/no-such-topic"
expect 404 40402 -- -X POST -H "Content-Type: $BIN" --data '{"records":[{"value":"eA=="}]}' "$R/topics/$T/partitions/9"
expect 404 40402 -- -X POST -H "Content-Type: $BIN" --data '{"records":[{"value":"eA==","partition":2}]}' "$R/topics/$T"
expect 404 40402 -- "$R/topics/$T/partitions/2"
expect 404 40403 -- -H "Accept: $BIN" "$R/consumers/curl-g/instances/nobody/records"
expect 404 40403 -- -X DELETE "$R/consumers/curl-g/instances/nobody"
expect 404 40403 -- -X POST -H "Content-Type: $V2" --data '{"topics":["x"]}' "$R/consumers/curl-g/instances/nobody/subscription"
expect 422 42201 -- -X POST -H "Content-Type: $BIN" --data '{"records":[{"value":"eA=="}' "$R/topics/$T"
expect 422 42201 -- -X POST -H "Content-Type: $BIN" --data '{"records":[{"value":"not base64!"}]}' "$R/topics/$T"
expect 422 42201 -- -X POST -H "Content-Type: $BIN" --data '{"records":[{"value":12}]}' "$R/topics/$T"
expect 422 42201 -- -X POST -H "Content-Type: $BIN" --data '{"records":[{"value":"eA==","partition":"x"}]}' "$R/topics/$T"
expect 422 42201 -- -X POST -H "Content-Type: $BIN" --data '[1]' "$R/topics/$T"
expect 415 415 -- -X POST -H "Content-Type: text/plain" --data 'hello' "$R/topics/$T"
expect 415 415 -- -X POST -H "Content-Type: application/vnd.kafka.avro.v2+json" --data '{"records":[]}' "$R/topics/$T"
head -c $((17 << 20)) /dev/zero | tr '\0' 'a' >"$out/big"
expect 413 413 -- -X POST -H "Content-Type: $BIN" --data-binary "@$out/big" "$R/topics/$T"
expect 406 40601 -- -H "Accept: $JS" "$I/records"
expect 409 40902 -- -X POST -H "Content-Type: $V2" --data '{"name":"cc"}' "$R/consumers/curl-g"
expect 422 42204 -- -X POST -H "Content-Type: $V2" --data '{"name":"bad","format":"avro"}' "$R/consumers/curl-g"
expect 422 42204 -- -X POST -H "Content-Type: $V2" --data '{"name":"bad","no.such.setting":"1"}' "$R/consumers/curl-g"
expect 409 40903 -- -X POST -H "Content-Type: $V2" --data '{"topics":["a"],"topic_pattern":"b.*"}' "$I/subscription"
expect 404 404 -- "$R/no/such/endpoint"
echo "errors: each with its status and error_code"

# ---- a malformed request on one keep-alive connection, a good one after it on the same
# connection and on another: both answered.
codes=$(curl -sS --max-time 30 -o /dev/null -w '%{http_code} ' \
  -X POST -H "Content-Type: $BIN" --data '{"records":[' "$R/topics/$T" \
  --next -o /dev/null -w '%{http_code} %{num_connects}' "$R/topics/$T")
[ "$codes" = "422 200 0" ] || fail "keep-alive after a bad request: '$codes' (want '422 200 0': one connection)"

[ "$(c -X DELETE "$I")" = 204 ] || fail "delete consumer"
expect 404 40403 -- -H "Accept: $BIN" "$I/records"

# ---- metrics per endpoint
metrics=$(curl -sS --max-time 10 "http://$(/usr/bin/python3 -c 'import json,sys
c = json.load(open(sys.argv[1]))
print([n["MetricsAddress"] for n in c["Nodes"] if n["Role"] == "broker"][0])' "$KEEL_CLUSTER_DIR/cluster.json")/metrics")
grep -q 'keel_rest_requests_total{code="200",endpoint="POST /topics/{topic}"}' <<<"$metrics" || fail "no produce counter"
grep -q 'keel_rest_requests_total{code="413",endpoint="other"}' <<<"$metrics" || fail "no 413 counter"
grep -q 'keel_rest_requests_total{code="404",endpoint="GET /topics/{topic}"}' <<<"$metrics" || fail "no 404 counter"
grep -q 'keel_rest_request_duration_seconds_count{endpoint="GET /consumers/{group}/instances/{name}/records"}' <<<"$metrics" ||
  fail "no records latency histogram"
echo "metrics: requests by endpoint and status, latency histograms"

# ---- the controllers stopped: metadata calls fail with 503/50003 and Retry-After
pids=$(/usr/bin/python3 -c 'import json,sys
print(" ".join(str(n["Pid"]) for n in json.load(open(sys.argv[1]))["Nodes"] if n["Role"] == "controller"))' "$KEEL_CLUSTER_DIR/cluster.json")
kill -STOP $pids
trap 'kill -CONT '"$pids"' 2>/dev/null || true' EXIT
status=$(curl -sS --max-time 30 -D "$out/headers" -o "$out/body" -w '%{http_code}' "$R/topics") || true
kill -CONT $pids
[ "$status" = 503 ] || fail "GET /topics without controllers: $status $(cat "$out/body")"
grep -q '"error_code":50003' "$out/body" || fail "503 body: $(cat "$out/body")"
grep -qi '^Retry-After: 1' "$out/headers" || fail "no Retry-After: $(cat "$out/headers")"
echo "controllers stopped: 503/50003 with Retry-After"
echo "PASS"

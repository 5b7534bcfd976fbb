#!/usr/bin/env python3
"""The REST proxy's v3 API (docs/rest.md) from Python (urllib, http.client for a chunked
stream), against with_cluster.sh (1 broker):

- clusters and brokers; topics: create with configs (201, then 400/40002 again), get, list,
  delete (204, then 404/40403);
- records: one record (STRING key, JSON value, a header) and a chunked stream of three records
  with a bad one in the middle, answered by one delivery report each, in order; confluent-kafka
  reads back the same bytes;
- consumer groups: a REST v2 instance subscribed in group v3-g is listed, described (STABLE),
  shown as a consumer with its assignments, and its lag summary counts what it did not commit;
- errors: unknown cluster, topic, group; invalid JSON; 415.
"""
import base64
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from confluent_kafka import Consumer, TopicPartition

REST = os.environ["KEEL_REST"].split(",")[0]
BOOTSTRAP = os.environ["KAFKA_BOOTSTRAP"]
CLUSTER_ID = json.load(open(os.path.join(os.environ["KEEL_CLUSTER_DIR"], "cluster.json")))["ClusterId"]
C = "/v3/clusters/" + CLUSTER_ID
DEADLINE = time.monotonic() + 100


def call(method, path, body=None, content_type="application/json", accept=None, raw=False):
    data = None if body is None else (body if raw else json.dumps(body).encode())
    req = urllib.request.Request(REST + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=35) as resp:
            text = resp.read()
            return resp.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, (json.loads(text) if text else None)


def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)


def expect_error(status, code, method, path, body=None, **kw):
    got, answer = call(method, path, body, **kw)
    check(got == status and answer and answer.get("error_code") == code and answer.get("message"),
          "%s %s: %s %s (want %s/%s)" % (method, path, got, answer, status, code))


def clusters_and_topics():
    status, body = call("GET", "/v3/clusters")
    check(status == 200 and body["kind"] == "KafkaClusterList" and body["data"][0]["cluster_id"] == CLUSTER_ID,
          "clusters: %s" % body)
    status, body = call("GET", C + "/brokers")
    check(status == 200 and [b["broker_id"] for b in body["data"]] == [1], "brokers: %s" % body)
    check("%s:%s" % (body["data"][0]["host"], body["data"][0]["port"]) == BOOTSTRAP.split(",")[0],
          "broker host:port is its Kafka listener: %s" % body)
    status, body = call("POST", C + "/topics", {"topic_name": "v3-py", "partitions_count": 2, "replication_factor": 1,
                                                "configs": [{"name": "retention.ms", "value": "3600000"}]})
    check(status == 201 and body["topic_name"] == "v3-py" and body["partitions_count"] == 2, "create: %s %s" % (status, body))
    expect_error(400, 40002, "POST", C + "/topics", {"topic_name": "v3-py", "partitions_count": 2})
    status, body = call("GET", "/topics/v3-py")  # v2 shows the configs
    check(status == 200 and body["configs"].get("retention.ms") == "3600000", "configs: %s" % body)
    status, body = call("GET", C + "/topics")
    check(status == 200 and "v3-py" in [t["topic_name"] for t in body["data"]], "topics: %s" % body)
    status, _ = call("POST", C + "/topics", {"topic_name": "v3-doomed", "partitions_count": 1})
    check(status == 201, "create v3-doomed")
    status, _ = call("DELETE", C + "/topics/v3-doomed")
    check(status == 204, "delete: %s" % status)
    expect_error(404, 40403, "DELETE", C + "/topics/v3-doomed")
    expect_error(404, 40403, "GET", C + "/topics/no-such-topic")
    expect_error(404, 404, "GET", "/v3/clusters/not-this-cluster/topics")
    expect_error(422, 42201, "POST", C + "/topics", b'{"topic_name": ', raw=True)
    expect_error(422, 42201, "POST", C + "/topics", {"topic_name": "x", "partitions_count": "two"})
    print("v3 clusters, brokers, topics: ok")


def records():
    status, body = call("POST", C + "/topics/v3-py/records", {
        "partition_id": 0, "key": {"type": "STRING", "data": "k1"},
        "value": {"type": "JSON", "data": {"a": [1, 2]}},
        "headers": [{"name": "via", "value": base64.b64encode(b"rest").decode()}]})
    check(status == 200 and body["error_code"] == 200 and body["partition_id"] == 0 and body["offset"] == 0 and
          body["key"] == {"type": "STRING", "size": 2}, "one record: %s %s" % (status, body))

    # A chunked stream: each record its own chunk, a bad one (no such partition) in the middle.
    stream = [{"partition_id": 1, "value": {"type": "BINARY", "data": base64.b64encode(b"\x00\x01\xff").decode()}},
              {"partition_id": 7, "value": {"type": "STRING", "data": "nowhere"}},
              {"partition_id": 1, "value": {"type": "STRING", "data": "third"}}]
    url = urllib.parse.urlparse(REST)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=35)
    conn.request("POST", C + "/topics/v3-py/records", body=(json.dumps(r).encode() + b"\n" for r in stream),
                 headers={"Content-Type": "application/json"}, encode_chunked=True)
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    reports = [json.loads(line) for line in text.splitlines() if line.strip()]
    check(resp.status == 200 and len(reports) == 3, "stream: %s %s" % (resp.status, text))
    check(resp.getheader("Transfer-Encoding") == "chunked", "reports are not streamed (chunked)")
    check(reports[0]["error_code"] == 200 and reports[0]["partition_id"] == 1 and reports[0]["offset"] == 0, reports)
    check(reports[1]["error_code"] == 40403, reports)
    check(reports[2]["error_code"] == 200 and reports[2]["offset"] == 1, reports)

    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "v3-read", "enable.auto.commit": False})
    c.assign([TopicPartition("v3-py", 0, 0), TopicPartition("v3-py", 1, 0)])
    got = {}
    while len(got) < 3 and time.monotonic() < DEADLINE:
        m = c.poll(1.0)
        if m is not None and m.error() is None:
            got[(m.partition(), m.offset())] = (m.key(), m.value(), m.headers())
    c.close()
    check(got.get((0, 0)) == (b"k1", b'{"a":[1,2]}', [("via", b"rest")]), "record 0: %s" % got)
    check(got.get((1, 0))[1] == b"\x00\x01\xff" and got.get((1, 1))[1] == b"third", "stream records: %s" % got)
    # A stream that breaks off inside its second object: the first record is written and
    # reported, then the break.
    status, text = None, None
    req = urllib.request.Request(REST + C + "/topics/v3-py/records", method="POST",
                                 data=b'{"partition_id": 0, "value": {"type": "STRING", "data": "before"}}\n{"value": ')
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=35) as resp:
        status, text = resp.status, resp.read().decode()
    reports = [json.loads(line) for line in text.splitlines() if line.strip()]
    check(status == 200 and len(reports) == 2 and reports[0]["error_code"] == 200 and
          reports[0]["offset"] == 1 and reports[1]["error_code"] == 42201, "broken stream: %s" % text)
    expect_error(415, 415, "POST", C + "/topics/v3-py/records", b"x", content_type="text/plain", raw=True)
    expect_error(422, 42201, "POST", C + "/topics/v3-py/records", {"value": {"type": "BINARY", "data": "%%%"}})
    expect_error(422, 42201, "POST", C + "/topics/v3-py/records", b'{"value": ', raw=True)
    expect_error(404, 40403, "POST", C + "/topics/no-such-topic/records", {"value": {"type": "STRING", "data": "x"}})
    print("v3 records: one record, a chunked stream with one report each, same bytes in librdkafka")


def groups():
    v2 = "application/vnd.kafka.v2+json"
    status, _ = call("POST", "/consumers/v3-g", {"name": "m1", "format": "binary", "auto.offset.reset": "earliest",
                                                  "auto.commit.enable": "false"}, content_type=v2)
    check(status == 200, "create instance")
    status, _ = call("POST", "/consumers/v3-g/instances/m1/subscription", {"topics": ["v3-py"]}, content_type=v2)
    check(status == 204, "subscribe")
    seen = 0
    while seen < 4 and time.monotonic() < DEADLINE:
        status, body = call("GET", "/consumers/v3-g/instances/m1/records?timeout=1000",
                            accept="application/vnd.kafka.binary.v2+json")
        check(status == 200, "records: %s" % body)
        seen += len(body)
    check(seen == 4, "the instance read %d records" % seen)
    # Commit partition 0's two records (lag 0) ...
    status, _ = call("POST", "/consumers/v3-g/instances/m1/offsets",
                     {"offsets": [{"topic": "v3-py", "partition": 0, "offset": 1}]}, content_type=v2)
    check(status == 200, "commit")

    status, body = call("GET", C + "/consumer-groups")
    check(status == 200 and "v3-g" in [g["consumer_group_id"] for g in body["data"]], "groups: %s" % body)
    status, body = call("GET", C + "/consumer-groups/v3-g")
    check(status == 200 and body["state"] == "STABLE" and not body["is_simple"], "group: %s" % body)
    status, body = call("GET", C + "/consumer-groups/v3-g/consumers")
    check(status == 200 and len(body["data"]) == 1 and body["data"][0]["client_id"] == "m1", "consumers: %s" % body)
    check(sorted(a["partition_id"] for a in body["data"][0]["assignments"]) == [0, 1], "assignments: %s" % body)
    member = body["data"][0]["consumer_id"]
    # ... and partition 1's first record of two (lag 1): the summary counts committed
    # partitions.
    status, _ = call("POST", "/consumers/v3-g/instances/m1/offsets",
                     {"offsets": [{"topic": "v3-py", "partition": 1, "offset": 0}]}, content_type=v2)
    check(status == 200, "commit partition 1")
    status, body = call("GET", C + "/consumer-groups/v3-g/lag-summary")
    check(status == 200 and body["total_lag"] == 1 and body["max_lag"] == 1 and
          body["max_lag_partition_id"] == 1 and body["max_lag_consumer_id"] == member, "lag: %s" % body)
    expect_error(404, 404, "GET", C + "/consumer-groups/no-such-group")
    call("DELETE", "/consumers/v3-g/instances/m1")
    print("v3 consumer groups: list, describe, consumers with assignments, lag summary")


if __name__ == "__main__":
    clusters_and_topics()
    records()
    groups()
    print("PASS")

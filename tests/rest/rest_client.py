#!/usr/bin/env python3
"""The REST proxy (docs/rest.md) from a Python urllib client, against with_cluster.sh
(1 broker; topics rest-py:2 and rest-group:4; --rest_consumer_instance_timeout_ms=4000):

- json embedded format: produce objects with keys, read them back by a json consumer;
- arbitrary binary bytes: REST in, confluent-kafka (librdkafka) out, and the other way round;
- two REST consumer instances of one group split rest-group's 4 partitions, and the survivor
  takes all 4 when the other is deleted; an instance that goes silent expires (404/40403)
  and leaves the group, so the survivor gets its partitions back.
"""
import base64
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition

REST = os.environ["KEEL_REST"].split(",")[0]
BOOTSTRAP = os.environ["KAFKA_BOOTSTRAP"]
V2 = "application/vnd.kafka.v2+json"
BIN = "application/vnd.kafka.binary.v2+json"
JS = "application/vnd.kafka.json.v2+json"
DEADLINE = time.monotonic() + 100


def call(method, path, body=None, content_type=V2, accept=None, timeout=35):
    """(status, parsed body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(REST + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)


def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)


def wait_for(pred, what, timeout_s=40):
    end = min(time.monotonic() + timeout_s, DEADLINE)
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.2)
    check(False, "timed out waiting for " + what)


def json_format():
    records = [{"key": {"user": i}, "value": {"n": i, "tags": ["a", "ü"]}} for i in range(3)]
    status, body = call("POST", "/topics/rest-py/partitions/0", {"records": records}, JS)
    check(status == 200, "json produce: %s %s" % (status, body))
    check([o["offset"] for o in body["offsets"]] == [0, 1, 2], body)
    status, body = call("POST", "/consumers/py-json", {"name": "j", "format": "json",
                                                       "auto.offset.reset": "earliest"})
    check(status == 200, "create json consumer: %s" % body)
    status, _ = call("POST", "/consumers/py-json/instances/j/assignments",
                     {"partitions": [{"topic": "rest-py", "partition": 0}]})
    check(status == 204, "assign")
    got = []
    while len(got) < 3:
        status, body = call("GET", "/consumers/py-json/instances/j/records?timeout=1000", accept=JS)
        check(status == 200, "json records: %s %s" % (status, body))
        got += body
        check(time.monotonic() < DEADLINE, "json records never came")
    check([(r["offset"], r["key"], r["value"]) for r in got] ==
          [(i, {"user": i}, {"n": i, "tags": ["a", "ü"]}) for i in range(3)], got)
    status, _ = call("DELETE", "/consumers/py-json/instances/j")
    check(status == 204, "delete")
    print("json format: objects round-trip")


def binary_bytes():
    blob = bytes(range(256)) * 2
    key = b"\x00\xffkey"
    status, body = call("POST", "/topics/rest-py", {"records": [
        {"key": base64.b64encode(key).decode(), "value": base64.b64encode(blob).decode(),
         "partition": 1}]}, BIN)
    check(status == 200 and body["offsets"][0]["partition"] == 1, "binary produce: %s" % body)
    offset = body["offsets"][0]["offset"]
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "py-bytes", "enable.auto.commit": False})
    c.assign([TopicPartition("rest-py", 1, offset)])
    msg = None
    while msg is None and time.monotonic() < DEADLINE:
        msg = c.poll(1.0)
    c.close()
    check(msg is not None and msg.error() is None, "confluent-kafka read nothing")
    check(msg.key() == key and msg.value() == blob and msg.offset() == offset,
          "REST -> librdkafka bytes differ")

    p = Producer({"bootstrap.servers": BOOTSTRAP})
    delivered = []
    p.produce("rest-py", value=blob[::-1], key=b"\x01\x02", partition=1,
              on_delivery=lambda err, m: delivered.append((err, m.offset())))
    p.flush(30)
    check(len(delivered) == 1 and delivered[0][0] is None, "librdkafka produce: %s" % delivered)
    status, _ = call("POST", "/consumers/py-bytes", {"name": "b", "format": "binary"})
    check(status == 200, "create binary consumer")
    status, _ = call("POST", "/consumers/py-bytes/instances/b/assignments",
                     {"partitions": [{"topic": "rest-py", "partition": 1}]})
    check(status == 204, "assign")
    status, _ = call("POST", "/consumers/py-bytes/instances/b/positions",
                     {"offsets": [{"topic": "rest-py", "partition": 1, "offset": delivered[0][1]}]})
    check(status == 204, "seek")
    got = []
    while not got and time.monotonic() < DEADLINE:
        status, got = call("GET", "/consumers/py-bytes/instances/b/records?timeout=1000", accept=BIN)
        check(status == 200, "binary records")
    check(base64.b64decode(got[0]["key"]) == b"\x01\x02" and base64.b64decode(got[0]["value"]) == blob[::-1],
          "librdkafka -> REST bytes differ")

    # Null and empty stay apart both ways: a null value (a tombstone) and an empty one, a null
    # key and an empty one, as librdkafka sees them and as a REST consumer reads them back.
    status, body = call("POST", "/topics/rest-py/partitions/1", {"records": [
        {"key": "", "value": None}, {"key": None, "value": ""}]}, BIN)
    check(status == 200 and len(body["offsets"]) == 2, "null/empty produce: %s" % body)
    first = body["offsets"][0]["offset"]
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "py-nulls", "enable.auto.commit": False})
    c.assign([TopicPartition("rest-py", 1, first)])
    seen = []
    while len(seen) < 2 and time.monotonic() < DEADLINE:
        msg = c.poll(1.0)
        if msg is not None and msg.error() is None:
            seen.append((msg.key(), msg.value()))
    c.close()
    check(seen == [(b"", None), (None, b"")], "librdkafka read %s, want [(b'', None), (None, b'')]" % seen)
    status, _ = call("POST", "/consumers/py-bytes/instances/b/positions",
                     {"offsets": [{"topic": "rest-py", "partition": 1, "offset": first}]})
    check(status == 204, "seek to the null records")
    got = []
    while len(got) < 2 and time.monotonic() < DEADLINE:
        status, more = call("GET", "/consumers/py-bytes/instances/b/records?timeout=1000", accept=BIN)
        check(status == 200, "binary records")
        got += more
    check([(r["key"], r["value"]) for r in got[:2]] == [("", None), (None, "")],
          "REST read back %s" % got[:2])
    call("DELETE", "/consumers/py-bytes/instances/b")
    print("binary: the same bytes both ways; null and empty keys and values kept apart")


class Poller(threading.Thread):
    """Keeps GETting one instance's records (the poll drives its group membership)."""

    def __init__(self, group, name):
        super().__init__(daemon=True)
        self.path = "/consumers/%s/instances/%s/records?timeout=500" % (group, name)
        self.stop = threading.Event()
        self.errors = []

    def run(self):
        while not self.stop.is_set() and time.monotonic() < DEADLINE:
            status, body = call("GET", self.path, accept=BIN)
            if status != 200:
                self.errors.append((status, body))
                return


def assignment(group, name):
    status, body = call("GET", "/consumers/%s/instances/%s/assignments" % (group, name))
    check(status == 200, "assignments of %s: %s %s" % (name, status, body))
    return sorted(p["partition"] for p in body["partitions"] if p["topic"] == "rest-group")


def groups():
    g = "py-split"
    for name in ("a", "b"):
        status, body = call("POST", "/consumers/" + g, {"name": name, "format": "binary"})
        check(status == 200, "create %s: %s" % (name, body))
        status, body = call("POST", "/consumers/%s/instances/%s/subscription" % (g, name),
                            {"topics": ["rest-group"]})
        check(status == 204, "subscribe %s: %s" % (name, body))
    status, body = call("GET", "/consumers/%s/instances/a/subscription" % g)
    check(status == 200 and body["topics"] == ["rest-group"], "subscription: %s" % body)
    pa, pb = Poller(g, "a"), Poller(g, "b")
    pa.start()
    pb.start()

    def split():
        a, b = assignment(g, "a"), assignment(g, "b")
        return a and b and sorted(a + b) == [0, 1, 2, 3] and (a, b)
    a, b = wait_for(split, "a and b to split rest-group's partitions")
    print("two instances split the partitions:", a, b)

    pb.stop.set()
    pb.join(35)
    status, _ = call("DELETE", "/consumers/%s/instances/b" % g)
    check(status == 204, "delete b")
    wait_for(lambda: assignment(g, "a") == [0, 1, 2, 3], "a to take every partition after b left")
    print("after b was deleted a has all 4")

    # c joins, is polled until it holds partitions, then goes silent: it expires (4 s) and
    # leaves, and a gets everything back.
    status, body = call("POST", "/consumers/" + g, {"name": "c", "format": "binary"})
    check(status == 200, "create c: %s" % body)
    status, _ = call("POST", "/consumers/%s/instances/c/subscription" % g, {"topics": ["rest-group"]})
    check(status == 204, "subscribe c")
    pc = Poller(g, "c")
    pc.start()
    wait_for(lambda: assignment(g, "c") and len(assignment(g, "a")) < 4, "c to get partitions")
    pc.stop.set()
    pc.join(35)
    silent_since = time.monotonic()
    # Only a is asked (any request to c would keep it alive): once c expired and left, a
    # holds everything again.
    wait_for(lambda: assignment(g, "a") == [0, 1, 2, 3], "a to take every partition after c expired",
             timeout_s=30)
    check(time.monotonic() - silent_since >= 3.5, "c left before consumer.instance.timeout.ms")
    status, body = call("GET", "/consumers/%s/instances/c/records" % g, accept=BIN)
    check(status == 404 and body["error_code"] == 40403, "expired c: %s %s" % (status, body))
    print("a silent instance expired and left its group")
    pa.stop.set()
    pa.join(35)
    check(not pa.errors and not pb.errors and not pc.errors, "poll errors: %s %s %s" % (pa.errors, pb.errors, pc.errors))
    call("DELETE", "/consumers/%s/instances/a" % g)


if __name__ == "__main__":
    json_format()
    binary_bytes()
    groups()
    print("PASS")

"""python3-confluent-kafka 1.7.0 (Debian, on librdkafka 2.0.2), unmodified, against the cluster
tests/kafka/with_cluster.sh started (topic ck-idem with 2 partitions exists).

- An idempotent producer (enable.idempotence=true, acks=all) gets a producer id (librdkafka's
  statistics show it Assigned) and writes 200 records with keys, headers and CreateTime
  timestamps; every delivery report is error-free and each partition's offsets are 0..99 in
  the order produced.
- A consumer with manual assignment (assign(), no subscribe) reads everything back from the
  beginning: the same keys, values, headers, timestamps and offsets, nothing more.
- Topic configs set through CreateTopics act: message.timestamp.type=LogAppendTime makes the
  broker stamp the append time over the producer's CreateTime, and a record over
  max.message.bytes is refused with MSG_SIZE_TOO_LARGE while a small one is stored (both
  topics created by one CreateTopics and deleted by one DeleteTopics request).
- AdminClient: create_topics (with a config, and validate_only), a duplicate create fails with
  TOPIC_ALREADY_EXISTS, describe_configs shows the config, create_partitions grows the topic,
  delete_topics removes it, deleting it again fails with UNKNOWN_TOPIC_OR_PART. (Not on the
  librdkafka mock cluster, which implements no admin API.)
"""
import json
import os
import sys
import time

from confluent_kafka import (OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME,
                             Consumer, KafkaError, KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

BOOTSTRAP = os.environ["KAFKA_BOOTSTRAP"]
TARGET = os.environ.get("KAFKA_TEST_TARGET", "keel")
TOPIC = "ck-idem"
PARTITIONS = 2
RECORDS = 200
BASE_TIMESTAMP_MS = 1_700_000_000_000


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def record(i):
    """The i-th record: (partition, key, value, headers, timestamp_ms)."""
    headers = [("n", str(i).encode()), ("source", b"confluent-kafka")]
    return (i % PARTITIONS, b"key-%03d" % i, b"value-%03d-" % i + b"x" * (i % 17), headers,
            BASE_TIMESTAMP_MS + i)


def produce_idempotent():
    stats = {}
    delivered = []

    def on_stats(text):
        stats.update(json.loads(text))

    def on_delivery(err, msg):
        delivered.append((err, msg.partition(), msg.offset(), msg.key()))

    producer = Producer({
        "bootstrap.servers": BOOTSTRAP,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "statistics.interval.ms": 100,
        "stats_cb": on_stats,
        "message.timeout.ms": 30000,
    })
    for i in range(RECORDS):
        partition, key, value, headers, ts = record(i)
        producer.produce(TOPIC, value=value, key=key, partition=partition, headers=headers,
                         timestamp=ts, on_delivery=on_delivery)
        producer.poll(0)
    left = producer.flush(30)
    check(left == 0, "%d records still undelivered after 30 s" % left)
    deadline = time.monotonic() + 5
    while stats.get("eos", {}).get("idemp_state") != "Assigned" and time.monotonic() < deadline:
        producer.poll(0.1)
    eos = stats.get("eos", {})
    print("producer eos stats:", eos)
    check(eos.get("idemp_state") == "Assigned" and eos.get("producer_id", -1) >= 0,
          "the idempotent producer has no producer id: %s" % eos)
    errors = [d for d in delivered if d[0] is not None]
    check(not errors, "delivery errors: %s" % errors[:5])
    check(len(delivered) == RECORDS, "%d delivery reports, want %d" % (len(delivered), RECORDS))
    for p in range(PARTITIONS):
        got = [(offset, key) for err, part, offset, key in delivered if part == p]
        want = [(n, record(i)[1]) for n, i in enumerate(range(p, RECORDS, PARTITIONS))]
        check(sorted(got) == want, "partition %d offsets/keys: %s..., want %s..." %
              (p, sorted(got)[:3], want[:3]))
    print("idempotent producer: %d records acknowledged, producer id %d" %
          (RECORDS, eos["producer_id"]))


def consume_assigned():
    consumer = Consumer({
        "bootstrap.servers": BOOTSTRAP,
        # librdkafka wants a group id even for assign(); nothing is committed or joined.
        "group.id": "ck-manual-assignment",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
    })
    consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    got = {p: [] for p in range(PARTITIONS)}
    at_eof = set()
    deadline = time.monotonic() + 30
    while len(at_eof) < PARTITIONS and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(msg.partition())
                continue
            raise AssertionError("consumer error: %s" % msg.error())
        got[msg.partition()].append(msg)
    consumer.close()
    check(len(at_eof) == PARTITIONS, "did not reach the end of every partition in 30 s")
    for p in range(PARTITIONS):
        want = [record(i) for i in range(p, RECORDS, PARTITIONS)]
        check(len(got[p]) == len(want), "partition %d: read %d records, want %d" %
              (p, len(got[p]), len(want)))
        for n, (msg, (_, key, value, headers, ts)) in enumerate(zip(got[p], want)):
            where = "partition %d offset %d" % (p, msg.offset())
            check(msg.offset() == n, "%s: want offset %d" % (where, n))
            check(msg.key() == key and msg.value() == value,
                  "%s: key/value %r/%r, want %r/%r" % (where, msg.key(), msg.value(), key, value))
            check(msg.headers() == headers, "%s: headers %s, want %s" %
                  (where, msg.headers(), headers))
            check(msg.timestamp() == (TIMESTAMP_CREATE_TIME, ts),
                  "%s: timestamp %s, want CreateTime %d" % (where, msg.timestamp(), ts))
    print("manual-assignment consumer: read back all %d records" % RECORDS)


def wait_result(futures, what):
    """The exception each future ended with (None for success), by name."""
    out = {}
    for name, future in futures.items():
        try:
            future.result(timeout=30)
            out[name] = None
        except KafkaException as e:
            out[name] = e.args[0]
    print(what, {k: (v.name() if v else "ok") for k, v in out.items()})
    return out


def topics_now(admin):
    return admin.list_topics(timeout=10).topics


def admin_round_trip():
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    name, dry = "ck-admin", "ck-validate-only"
    res = wait_result(admin.create_topics(
        [NewTopic(name, num_partitions=3, replication_factor=1,
                  config={"retention.ms": "3600000"})], operation_timeout=20), "create_topics")
    check(res[name] is None, "create_topics %s: %s" % (name, res[name]))
    res = wait_result(admin.create_topics([NewTopic(dry, 2, 1)], validate_only=True),
                      "create_topics validate_only")
    check(res[dry] is None, "validate_only create: %s" % res[dry])
    res = wait_result(admin.create_topics([NewTopic(name, 3, 1)]), "create_topics again")
    check(res[name] is not None and res[name].code() == KafkaError.TOPIC_ALREADY_EXISTS,
          "a second create of %s: %s, want TOPIC_ALREADY_EXISTS" % (name, res[name]))
    topics = topics_now(admin)
    check(name in topics and len(topics[name].partitions) == 3,
          "metadata after create: %s" % topics.get(name))
    check(dry not in topics, "validate_only created %s" % dry)

    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    check("retention.ms" in configs and configs["retention.ms"].value == "3600000",
          "describe_configs retention.ms: %s" % configs.get("retention.ms"))
    print("describe_configs: retention.ms=%s" % configs["retention.ms"].value)

    res = wait_result(admin.create_partitions([NewPartitions(name, 4)]), "create_partitions")
    check(res[name] is None, "create_partitions: %s" % res[name])
    deadline = time.monotonic() + 10
    while len(topics_now(admin)[name].partitions) != 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    check(len(topics_now(admin)[name].partitions) == 4, "partitions after create_partitions: %s" %
          sorted(topics_now(admin)[name].partitions))

    res = wait_result(admin.delete_topics([name], operation_timeout=20), "delete_topics")
    check(res[name] is None, "delete_topics: %s" % res[name])
    deadline = time.monotonic() + 10
    while name in topics_now(admin) and time.monotonic() < deadline:
        time.sleep(0.2)
    check(name not in topics_now(admin), "%s still listed after delete_topics" % name)
    res = wait_result(admin.delete_topics([name]), "delete_topics again")
    check(res[name] is not None and res[name].code() == KafkaError.UNKNOWN_TOPIC_OR_PART,
          "deleting %s twice: %s, want UNKNOWN_TOPIC_OR_PART" % (name, res[name]))


def read_one(topic):
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "ck-read-one",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None:
                check(not msg.error(), "consumer error on %s: %s" % (topic, msg.error()))
                return msg
        raise AssertionError("nothing to read on %s after 20 s" % topic)
    finally:
        consumer.close()


def topic_config_behaviour():
    """message.timestamp.type=LogAppendTime and max.message.bytes, set through one CreateTopics
    request naming both topics; then one DeleteTopics naming both."""
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    res = wait_result(admin.create_topics([
        NewTopic("ck-append-time", 1, 1, config={"message.timestamp.type": "LogAppendTime"}),
        NewTopic("ck-small", 1, 1, config={"max.message.bytes": "2000"}),
    ], operation_timeout=20), "create_topics with configs")
    check(all(v is None for v in res.values()), "create_topics: %s" % res)

    reports = []
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "linger.ms": 0,
                         "message.timeout.ms": 20000,
                         "on_delivery": lambda err, msg: reports.append((msg.topic(), err))})
    before_ms = int(time.time() * 1000)
    producer.produce("ck-append-time", value=b"stamped by the broker", timestamp=1_000_000_000_000)
    producer.produce("ck-small", value=b"x" * 5000)
    # max.message.bytes bounds a whole batch (as in Kafka): flush so the small record travels
    # in a batch of its own instead of sharing the refused one.
    producer.flush(30)
    producer.produce("ck-small", value=b"fits")
    check(producer.flush(30) == 0, "undelivered records")
    after_ms = int(time.time() * 1000)
    errors = {}
    for topic, err in reports:
        errors.setdefault(topic, []).append(err.code() if err else None)
    check(errors.get("ck-append-time") == [None], "ck-append-time delivery: %s" % errors)
    check(errors.get("ck-small") == [KafkaError.MSG_SIZE_TOO_LARGE, None],
          "ck-small (max.message.bytes 2000): %s, want [MSG_SIZE_TOO_LARGE, ok]" %
          errors.get("ck-small"))
    msg = read_one("ck-append-time")
    kind, ts = msg.timestamp()
    check(kind == TIMESTAMP_LOG_APPEND_TIME and before_ms <= ts <= after_ms,
          "LogAppendTime topic: timestamp %s, want (LOG_APPEND_TIME, %d..%d)" %
          (msg.timestamp(), before_ms, after_ms))
    msg = read_one("ck-small")
    check(msg.value() == b"fits" and msg.offset() == 0, "ck-small read %r at %d" %
          (msg.value(), msg.offset()))
    print("topic configs: LogAppendTime stamps on append; a 5000-byte record over "
          "max.message.bytes 2000 gets MSG_SIZE_TOO_LARGE")
    # Both topics in one DeleteTopics request.
    res = wait_result(admin.delete_topics(["ck-append-time", "ck-small"], operation_timeout=20),
                      "delete_topics of two")
    check(all(v is None for v in res.values()), "delete_topics: %s" % res)
    deadline = time.monotonic() + 10
    while ({"ck-append-time", "ck-small"} & set(topics_now(admin))) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = {"ck-append-time", "ck-small"} & set(topics_now(admin))
    check(not left, "still listed after delete_topics: %s" % left)


def main():
    produce_idempotent()
    consume_assigned()
    if TARGET == "mock":
        print("mock cluster: no admin APIs there; skipping the AdminClient checks")
    else:
        admin_round_trip()
        topic_config_behaviour()
    print("PASS")


if __name__ == "__main__":
    sys.exit(main())

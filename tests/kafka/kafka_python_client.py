"""python3-kafka (kafka-python 2.0.2, Debian), unmodified, against the cluster
tests/kafka/with_cluster.sh started (topic kp-demo with 2 partitions exists).

kafka-python does not negotiate versions per API: it guesses a Kafka release from the
ApiVersions answer (api_version is left to auto-detect here on purpose) and then uses that
release's request versions throughout.
- KafkaProducer (acks=all) sends 50 records with keys, headers and timestamps to chosen
  partitions; every future resolves with the expected partition and offset.
- KafkaConsumer with manual assignment (assign + seek_to_beginning, no group) reads them all
  back: same keys, values, headers, timestamps and offsets; end_offsets and
  offsets_for_times agree.
"""
import os
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

BOOTSTRAP = os.environ["KAFKA_BOOTSTRAP"].split(",")
TARGET = os.environ.get("KAFKA_TEST_TARGET", "keel")
TOPIC = "kp-demo"
PARTITIONS = 2
RECORDS = 50
BASE_TIMESTAMP_MS = 1_600_000_000_000


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def record(i):
    return (i % PARTITIONS, b"kp-key-%02d" % i, b"kp-value-%02d" % i,
            [("i", str(i).encode()), ("client", b"kafka-python")], BASE_TIMESTAMP_MS + 1000 * i)


def main():
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=5,
                             request_timeout_ms=15000)
    print("kafka-python chose api_version", producer.config["api_version"])
    futures = []
    for i in range(RECORDS):
        partition, key, value, headers, ts = record(i)
        futures.append(producer.send(TOPIC, key=key, value=value, headers=headers,
                                     partition=partition, timestamp_ms=ts))
    producer.flush(timeout=30)
    next_offset = [0] * PARTITIONS
    for i, future in enumerate(futures):
        meta = future.get(timeout=30)
        partition = record(i)[0]
        check(meta.partition == partition and meta.offset == next_offset[partition],
              "record %d acknowledged at %d/%d, want %d/%d" %
              (i, meta.partition, meta.offset, partition, next_offset[partition]))
        next_offset[partition] += 1
    producer.close(timeout=10)
    print("KafkaProducer: %d records acknowledged" % RECORDS)

    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None,
                             enable_auto_commit=False, consumer_timeout_ms=1000,
                             request_timeout_ms=15000)
    tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    check(ends == {tp: next_offset[tp.partition] for tp in tps}, "end_offsets %s" % ends)
    got = {p: [] for p in range(PARTITIONS)}
    deadline = time.monotonic() + 30
    while sum(len(v) for v in got.values()) < RECORDS and time.monotonic() < deadline:
        for tp, msgs in consumer.poll(timeout_ms=500).items():
            got[tp.partition].extend(msgs)
    for p in range(PARTITIONS):
        want = [record(i) for i in range(p, RECORDS, PARTITIONS)]
        check(len(got[p]) == len(want), "partition %d: %d records, want %d" %
              (p, len(got[p]), len(want)))
        for n, (msg, (_, key, value, headers, ts)) in enumerate(zip(got[p], want)):
            where = "partition %d offset %d" % (p, msg.offset)
            check(msg.offset == n, "%s: want offset %d" % (where, n))
            check((msg.key, msg.value) == (key, value), "%s: %r/%r" % (where, msg.key, msg.value))
            check(list(msg.headers) == headers, "%s: headers %s" % (where, msg.headers))
            check(msg.timestamp == ts and msg.timestamp_type == 0,
                  "%s: timestamp %s type %s, want CreateTime %d" %
                  (where, msg.timestamp, msg.timestamp_type, ts))
    print("KafkaConsumer (assign): read back all %d records" % RECORDS)
    if TARGET == "mock":
        print("mock cluster: ListOffsets by timestamp is not implemented there; skipping")
    else:
        # Partition 1 holds records 1, 3, 5, ...: the first at or after record 4's time is 5.
        found = consumer.offsets_for_times({tps[1]: record(4)[4]})[tps[1]]
        check(found is not None and found.offset == 2 and found.timestamp == record(5)[4],
              "offsets_for_times: %s, want offset 2 at %d" % (found, record(5)[4]))
    consumer.close()
    print("PASS")


if __name__ == "__main__":
    sys.exit(main())

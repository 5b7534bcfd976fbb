"""Committed offsets survive the group coordinator's death: python3-confluent-kafka 1.7.0
(librdkafka 2.0.2), unmodified, against the 3-broker cluster tests/kafka/with_cluster.sh
started (topic fo-demo with 3 partitions).

- A subscribed consumer of group fo-group reads the 300 records produced and commits
  (acks=all writes to the group's partition of __consumer_offsets, replicated 3 ways).
- The broker leading that partition (the group's coordinator, by Kafka's placement rule) is
  SIGKILLed while the consumer runs. Once another broker leads the partition, the consumer
  (which finds the new coordinator and rejoins) reads exactly the 30 records produced after
  the kill and commits again: the commits went from 100 to 110 per partition, never back.
- A new consumer of the group gets those offsets from the new coordinator (which loaded them
  from its replica of the partition): committed() says 110 per partition, and it reads
  nothing again.
"""
import os
import re
import signal
import subprocess
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

BOOTSTRAP = os.environ["KAFKA_BOOTSTRAP"]
TOPIC = "fo-demo"
PARTITIONS = 3
GROUP = "fo-group"
OFFSETS_TOPIC = "__consumer_offsets"
START = time.monotonic()


def log(message):
    print("%.1f %s" % (time.monotonic() - START, message), flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def java_hash(s):
    h = 0
    for unit in s.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def produce(first, count):
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all"})
    for i in range(first, first + count):
        producer.produce(TOPIC, value=b"v%04d" % i, partition=i % PARTITIONS)
    check(producer.flush(30) == 0, "records left unflushed")


def consumer(name):
    c = Consumer({
        "bootstrap.servers": BOOTSTRAP,
        "group.id": GROUP,
        "client.id": name,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    c.subscribe([TOPIC])
    return c


def read(c, want, timeout_s):
    values = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (want is None or len(values) < want):
        msg = c.poll(0.2)
        if msg is not None and msg.error() is None:
            values.append(msg.value())
    return values


def coordinator_partition_leader(admin):
    md = admin.list_topics(topic=OFFSETS_TOPIC, timeout=10)
    topic = md.topics[OFFSETS_TOPIC]
    check(topic.error is None, "metadata for %s: %s" % (OFFSETS_TOPIC, topic.error))
    h = java_hash(GROUP)
    partition = (0 if h == -(1 << 31) else abs(h)) % len(topic.partitions)
    return partition, topic.partitions[partition].leader, md.brokers


def pid_listening_on(port):
    out = subprocess.run(["ss", "-ltnpH", "sport = :%d" % port], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"pid=(\d+)", out)
    check(m is not None, "no process listens on port %d: %r" % (port, out))
    return int(m.group(1))


def main():
    produce(0, 300)
    first = consumer("fo-first")
    values = read(first, 300, 60)
    check(len(values) == 300, "the first consumer read %d of 300" % len(values))
    first.commit(asynchronous=False)
    committed = first.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=10)
    check([tp.offset for tp in committed] == [100] * PARTITIONS,
          "committed %s" % [tp.offset for tp in committed])
    log("committed 100 per partition")

    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    partition, leader, brokers = coordinator_partition_leader(admin)
    victim = brokers[leader]
    pid = pid_listening_on(victim.port)
    log("the coordinator of %s is broker %d (%s-%d); SIGKILL pid %d" %
        (GROUP, leader, OFFSETS_TOPIC, partition, pid))
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()

    deadline = time.monotonic() + 90
    new_leader = leader
    while time.monotonic() < deadline:
        first.poll(0.2)  # the running member keeps polling through the failover
        try:
            _, new_leader, _ = coordinator_partition_leader(admin)
        except Exception as e:  # the killed broker may answer nothing for a while
            log("metadata: %s" % e)
        if new_leader not in (leader, -1):
            break
    check(new_leader not in (leader, -1), "no new leader of the offsets partition")
    log("broker %d leads %s-%d after %.1f s" % (new_leader, OFFSETS_TOPIC, partition,
                                                time.monotonic() - killed))

    produce(300, 30)
    values = read(first, 30, 60)
    values += read(first, None, 2)
    check(sorted(values) == [b"v%04d" % i for i in range(300, 330)],
          "after the failover the running member read %d records: %s..." %
          (len(values), values[:5]))
    first.commit(asynchronous=False)
    log("the running member read the 30 new records once and committed again")
    first.close()

    second = consumer("fo-second")
    committed = second.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)],
                                 timeout=30)
    check([tp.offset for tp in committed] == [110] * PARTITIONS,
          "after the failover committed %s" % [tp.offset for tp in committed])
    values = read(second, None, 3)
    check(values == [], "a new member re-read %d committed records" % len(values))
    second.close()
    log("the new coordinator serves the commits made before and after the kill")
    print("group failover test passed", flush=True)


if __name__ == "__main__":
    main()

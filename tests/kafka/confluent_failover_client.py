"""python3-confluent-kafka 1.7.0 (librdkafka 2.0.2), unmodified: an idempotent producer
(enable.idempotence=true, acks=all) loses and duplicates nothing across a SIGKILL of the
partition's leader. Runs in tests/kafka/with_cluster.sh with 3 brokers and topic ck-failover
(1 partition, replication factor 3); Keel only (it kills a broker process by its pid from
cluster.json).

The producer sends RECORDS records with values seq-000000, seq-000001, ...; once the first
quarter is acknowledged it hands 2000 more to the client, kills the leader with SIGKILL while
they are in flight, and keeps sending. Every delivery
report must succeed, and a consumer with manual assignment must then read exactly seq-0..N-1,
each once, in order, at offsets 0..N-1 from the partition's new leader.
"""
import json
import os
import signal
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

BOOTSTRAP = os.environ["KAFKA_BOOTSTRAP"]
TOPIC = "ck-failover"
RECORDS = 20000


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def leader_of(admin):
    meta = admin.list_topics(TOPIC, timeout=10).topics[TOPIC]
    check(meta.error is None, "metadata for %s: %s" % (TOPIC, meta.error))
    return meta.partitions[0].leader


def kill_broker(broker_id):
    with open(os.path.join(os.environ["KEEL_CLUSTER_DIR"], "cluster.json")) as f:
        nodes = json.load(f)["Nodes"]
    [node] = [n for n in nodes if n["Name"] == "broker-%d" % broker_id]
    os.kill(node["Pid"], signal.SIGKILL)
    print("killed broker %d (pid %d) with SIGKILL" % (broker_id, node["Pid"]), flush=True)


def main():
    if os.environ.get("KAFKA_TEST_TARGET", "keel") != "keel":
        print("needs Keel's brokers as processes: nothing to do on the mock")
        return 0
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    first_leader = leader_of(admin)
    check(first_leader >= 1, "no leader for %s-0" % TOPIC)

    delivered, failed = [], []

    def on_delivery(err, msg):
        (failed if err else delivered).append((err, msg.value(), msg.offset()))

    producer = Producer({
        "bootstrap.servers": BOOTSTRAP,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 60000,
        "topic.metadata.refresh.interval.ms": 1000,
    })
    def produce(i):
        while True:
            try:
                producer.produce(TOPIC, value=b"seq-%06d" % i, partition=0,
                                 on_delivery=on_delivery)
                return
            except BufferError:  # the local queue is full: let deliveries drain
                producer.poll(0.01)

    # A quarter acknowledged by the first leader; then 2000 more handed to the client and given
    # 20 ms to leave, so that batches are in flight (up to 5 requests) when the leader is
    # killed and their retries go to the new leader. Killing on a count of delivery reports
    # instead depended on the machine's speed: on a fast one every record was acknowledged
    # before the kill and the failover went untested.
    quarter = RECORDS // 4
    for i in range(quarter):
        produce(i)
        producer.poll(0)
    check(producer.flush(30) == 0, "the first quarter was not acknowledged in 30 s")
    in_flight_end = min(RECORDS, quarter + 2000)
    for i in range(quarter, in_flight_end):
        produce(i)
        producer.poll(0)
    producer.poll(0.02)
    unacknowledged = in_flight_end - len(delivered) - len(failed)
    kill_broker(first_leader)
    killed_at = time.monotonic()
    print("killed after %d acknowledged, %d produced and not yet acknowledged" %
          (len(delivered), unacknowledged), flush=True)
    for i in range(in_flight_end, RECORDS):
        produce(i)
        producer.poll(0)
    left = producer.flush(90)
    print("flushed %.1f s after the kill; %d delivered, %d failed" %
          (time.monotonic() - killed_at, len(delivered), len(failed)))
    check(left == 0, "%d records still undelivered" % left)
    check(not failed, "delivery failures: %s" % failed[:5])
    check(len(delivered) == RECORDS, "%d delivery reports, want %d" % (len(delivered), RECORDS))
    # Every record was acknowledged, so a new leader was elected; metadata may still name the
    # old one until this client's cached view or the controller's fencing catches up.
    deadline = time.monotonic() + 30
    new_leader = leader_of(admin)
    while new_leader in (-1, first_leader) and time.monotonic() < deadline:
        time.sleep(0.2)
        new_leader = leader_of(admin)
    check(new_leader not in (-1, first_leader), "leader 30 s after the kill: %d" % new_leader)

    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "ck-failover-check",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    consumer.assign([TopicPartition(TOPIC, 0, OFFSET_BEGINNING)])
    values = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                break
            raise AssertionError("consumer error: %s" % msg.error())
        check(msg.offset() == len(values), "offset %d at position %d" % (msg.offset(), len(values)))
        values.append(msg.value())
    consumer.close()
    want = [b"seq-%06d" % i for i in range(RECORDS)]
    if values != want:
        dups = len(values) - len(set(values))
        missing = sorted(set(want) - set(values))
        raise AssertionError("read %d records: %d duplicates, %d missing (first %s), in order: %s" %
                             (len(values), dups, len(missing), missing[:3],
                              values == sorted(values)))
    print("leader %d -> %d: all %d records exactly once, in order" %
          (first_leader, new_leader, RECORDS))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Consumer groups with python3-confluent-kafka 1.7.0 (Debian, librdkafka 2.0.2), unmodified,
against the cluster tests/kafka/with_cluster.sh started (topic grp-demo with 4 partitions).

- Two consumers subscribe() to grp-demo in one group (librdkafka's balanced consumer: it finds
  the coordinator, joins, one is elected leader and runs the range assignor, both sync). Each
  ends up with 2 partitions, together all 4, disjoint.
- They consume the 400 records produced beforehand and commit; committed() reads the commits
  back from the coordinator; AdminClient.list_groups shows the group Stable with 2 members.
- The topic grows to 6 partitions (CreatePartitions): the leader's client sees it in its
  metadata and rejoins; the two members end up with 3 each.
- One consumer closes (LeaveGroup): the other is handed all 6 partitions well within the
  session timeout (the leave rebalances at once, not by expiry).
- A third consumer runs in a child process that is SIGKILLed (no LeaveGroup): the survivor
  gets all 6 partitions back after about session.timeout.ms.
- A new consumer in the same group starts from the committed offsets (reads nothing already
  committed); then, once the group is empty, a manual-assignment ("simple") commit with
  generation -1 is accepted.
- A pattern subscription (^grp-pat-.*) picks up topics created after it subscribed.
"""
import os
import signal
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

BOOTSTRAP = os.environ["KAFKA_BOOTSTRAP"]
TOPIC = "grp-demo"
PARTITIONS = 4
GROWN_PARTITIONS = 6
RECORDS = 400
GROUP = "grp-demo-group"
SESSION_TIMEOUT_MS = 6000


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def log(message):
    print("%.1f %s" % (time.monotonic() - START, message), flush=True)


START = time.monotonic()


class Member:
    """A subscribed consumer whose rebalance callbacks record its assignment."""

    def __init__(self, name, extra=None):
        self.name = name
        self.assigned = set()
        self.values = []
        config = {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": GROUP,
            "client.id": name,
            "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": 300,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "partition.assignment.strategy": "range",
            # Partition changes show up within a second (Kafka's default is 5 minutes).
            "topic.metadata.refresh.interval.ms": 1000,
        }
        config.update(extra or {})
        self.consumer = Consumer(config)
        self.consumer.subscribe([TOPIC], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_assign(self, consumer, partitions):
        self.assigned = {p.partition for p in partitions}
        log("%s assigned %s" % (self.name, sorted(self.assigned)))

    def on_revoke(self, consumer, partitions):
        log("%s revoked %s" % (self.name, sorted(p.partition for p in partitions)))
        self.assigned = set()

    def poll(self, timeout_s=0.05):
        msg = self.consumer.poll(timeout_s)
        if msg is not None and msg.error() is None:
            self.values.append(msg.value())
        elif msg is not None:
            log("%s poll error %s" % (self.name, msg.error()))


def poll_until(members, condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for m in members:
            m.poll()
        if condition():
            return time.monotonic()
    raise AssertionError("timed out after %ss waiting until %s; assignments %s" %
                         (timeout_s, what, {m.name: sorted(m.assigned) for m in members}))


def produce():
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all"})
    for i in range(RECORDS):
        producer.produce(TOPIC, value=b"v%03d" % i, partition=i % PARTITIONS)
    check(producer.flush(30) == 0, "records left unflushed")


def main():
    produce()
    log("produced %d records" % RECORDS)

    a = Member("consumer-a")
    b = Member("consumer-b")
    poll_until([a, b],
               lambda: len(a.assigned) == 2 and len(b.assigned) == 2 and
               a.assigned | b.assigned == set(range(PARTITIONS)),
               60, "two members hold 2 partitions each")
    check(not (a.assigned & b.assigned), "overlapping assignments %s %s" % (a.assigned, b.assigned))
    log("balanced: a=%s b=%s" % (sorted(a.assigned), sorted(b.assigned)))

    poll_until([a, b], lambda: len(a.values) + len(b.values) >= RECORDS, 60,
               "every record is consumed")
    check(len(a.values) + len(b.values) == RECORDS, "read %d records, expected %d" %
          (len(a.values) + len(b.values), RECORDS))
    check(sorted(a.values + b.values) == sorted(b"v%03d" % i for i in range(RECORDS)),
          "the records read differ from those produced")
    a.consumer.commit(asynchronous=False)
    b.consumer.commit(asynchronous=False)
    committed = a.consumer.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)],
                                     timeout=10)
    offsets = {tp.partition: tp.offset for tp in committed}
    check(offsets == {p: RECORDS // PARTITIONS for p in range(PARTITIONS)},
          "committed offsets %s" % offsets)
    log("committed %s" % offsets)

    groups = AdminClient({"bootstrap.servers": BOOTSTRAP}).list_groups(GROUP, timeout=10)
    check(len(groups) == 1, "list_groups found %d groups" % len(groups))
    check(groups[0].state == "Stable", "group state %s" % groups[0].state)
    check(len(groups[0].members) == 2, "group members %d" % len(groups[0].members))
    check(groups[0].protocol == "range", "group protocol %s" % groups[0].protocol)

    # The topic gains partitions: the members rebalance over all 6.
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for f in admin.create_partitions([NewPartitions(TOPIC, GROWN_PARTITIONS)]).values():
        f.result(30)
    grown = time.monotonic()
    done = poll_until([a, b],
                      lambda: len(a.assigned) == 3 and len(b.assigned) == 3 and
                      a.assigned | b.assigned == set(range(GROWN_PARTITIONS)),
                      60, "the two members hold 3 of the 6 partitions each")
    log("after growing to 6 partitions: a=%s b=%s in %.1f s" %
        (sorted(a.assigned), sorted(b.assigned), done - grown))
    all_partitions = set(range(GROWN_PARTITIONS))

    # A clean leave rebalances at once.
    left = time.monotonic()
    a.consumer.close()
    done = poll_until([b], lambda: b.assigned == all_partitions, 30,
                      "the survivor holds all 6 partitions after a leave")
    log("after the leave: b holds all 6 in %.1f s" % (done - left))
    check(done - left < SESSION_TIMEOUT_MS / 1000.0,
          "the leave took %.1f s, as long as a session expiry" % (done - left))

    # A member killed with SIGKILL is expired after the session timeout.
    child = subprocess.Popen([sys.executable, __file__, "--member", "consumer-killed"],
                             stdout=subprocess.PIPE, env=os.environ)
    try:
        # b keeps polling (its rejoin runs in poll) while the child joins.
        lines = []
        reader = threading.Thread(target=lambda: lines.append(child.stdout.readline()),
                                  daemon=True)
        reader.start()
        poll_until([b], lambda: len(b.assigned) == 3 and lines, 30, "b shares with the child")
        check(b"assigned [" in lines[0] and b"[]" not in lines[0],
              "the child printed %r" % lines[0])
        killed = time.monotonic()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        done = poll_until([b], lambda: b.assigned == all_partitions, 60,
                          "the survivor holds all 6 partitions after the kill")
        log("after SIGKILL: b holds all 6 in %.1f s" % (done - killed))
        check(done - killed >= SESSION_TIMEOUT_MS / 1000.0 - 1.5,
              "the rebalance came %.1f s after the kill, before the session timeout" %
              (done - killed))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    # Committed offsets carry over to a new member: nothing new to read.
    b.consumer.close()
    c = Member("consumer-c")
    poll_until([c], lambda: c.assigned == all_partitions, 30, "c holds all 6")
    end = time.monotonic() + 2
    while time.monotonic() < end:
        c.poll()
    check(c.values == [], "a new member re-read %d committed records" % len(c.values))
    c.consumer.close()

    # The group is empty now: a manual-assignment commit (generation -1) is accepted.
    simple = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": GROUP,
                       "enable.auto.commit": False})
    simple.commit(offsets=[TopicPartition(TOPIC, 0, 7)], asynchronous=False)
    back = simple.committed([TopicPartition(TOPIC, 0)], timeout=10)
    check(back[0].offset == 7, "simple commit read back as %d" % back[0].offset)
    simple.close()

    # A pattern subscription sees topics created after it subscribed.
    seen = set()
    pattern = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": GROUP + "-pattern",
                        "session.timeout.ms": SESSION_TIMEOUT_MS,
                        "topic.metadata.refresh.interval.ms": 1000})
    pattern.subscribe(["^grp-pat-.*"], on_assign=lambda c, ps: seen.update(
        (p.topic, p.partition) for p in ps))
    for name in ("grp-pat-1", "grp-pat-2"):
        for f in admin.create_topics([NewTopic(name, 1, 1)]).values():
            f.result(30)
        deadline = time.monotonic() + 60
        while (name, 0) not in seen and time.monotonic() < deadline:
            pattern.poll(0.1)
        check((name, 0) in seen, "the pattern member never got %s: %s" % (name, seen))
        log("pattern subscription picked up %s" % name)
    pattern.close()
    print("group test passed", flush=True)


def member_process(name):
    """The child: a member that prints once it has partitions, then polls until killed."""
    m = Member(name)
    deadline = time.monotonic() + 60
    while not m.assigned and time.monotonic() < deadline:
        m.poll(0.1)
    print("assigned %s" % sorted(m.assigned), flush=True)
    while time.monotonic() < deadline:
        m.poll(0.1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--member":
        member_process(sys.argv[2])
    else:
        main()

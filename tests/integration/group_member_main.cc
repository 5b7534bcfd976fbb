// One consumer-group member as its own process, so that a test can SIGKILL it: a
// client::Consumer subscribes to one topic, polls, and after each poll batch commits the
// batch's next offsets with CommitSync (enable.auto.commit=false), as an at-least-once
// application does. Every assignment, start position, record and commit is one event line on
// stdout (format: tests/integration/group_history.h, docs/testing.md), written with a single
// write() so that a kill never leaves half a line between two whole ones.
//
// SIGTERM (or SIGINT) closes the consumer cleanly (leaving the group) and exits 0.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gflags/gflags.h>

#include "client/consumer.h"
#include "tests/integration/group_history.h"

DEFINE_string(controllers, "", "Controllers, host:port separated by commas.");
DEFINE_string(group, "", "group.id");
DEFINE_string(topic, "", "The topic to subscribe to.");
DEFINE_string(client_id, "group-member", "client.id");
DEFINE_string(strategy, "range", "partition.assignment.strategy");
DEFINE_int64(session_timeout_ms, 6000, "session.timeout.ms");
DEFINE_int64(heartbeat_interval_ms, 500, "heartbeat.interval.ms");
DEFINE_int64(max_poll_interval_ms, 20000, "max.poll.interval.ms (the rebalance timeout)");
DEFINE_int64(request_timeout_ms, 10000, "request.timeout.ms");
DEFINE_int64(poll_timeout_ms, 200, "Poll's timeout.");

namespace {

using keel::testing::MemberEvent;
using keel::testing::MonotonicNowMs;

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

void Emit(const MemberEvent& e) {
  const std::string line = keel::testing::FormatMemberEvent(e);
  // One write per line: the file is opened O_APPEND and shared with stderr.
  (void)!::write(STDOUT_FILENO, line.data(), line.size());
}

MemberEvent Event(MemberEvent::Kind kind) {
  MemberEvent e;
  e.kind = kind;
  e.at_ms = MonotonicNowMs();
  return e;
}

void EmitError(const std::string& text) {
  MemberEvent e = Event(MemberEvent::Kind::kError);
  e.text = text;
  Emit(e);
}

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_controllers.empty() || FLAGS_group.empty() || FLAGS_topic.empty()) {
    std::fprintf(stderr, "usage: group_member --controllers=H:P,... --group=G --topic=T\n");
    return 2;
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  auto made = keel::client::Consumer::Create({
      {"bootstrap.controllers", FLAGS_controllers},
      {"group.id", FLAGS_group},
      {"client.id", FLAGS_client_id},
      {"partition.assignment.strategy", FLAGS_strategy},
      {"session.timeout.ms", std::to_string(FLAGS_session_timeout_ms)},
      {"heartbeat.interval.ms", std::to_string(FLAGS_heartbeat_interval_ms)},
      {"max.poll.interval.ms", std::to_string(FLAGS_max_poll_interval_ms)},
      {"request.timeout.ms", std::to_string(FLAGS_request_timeout_ms)},
      {"enable.auto.commit", "false"},
      {"auto.offset.reset", "earliest"},
      {"fetch.max.wait.ms", "100"},
      {"metadata.max.age.ms", "1000"},
  });
  if (!made.ok()) {
    EmitError("create: " + made.status().ToString());
    return 1;
  }
  keel::client::Consumer& consumer = **made;

  int64_t poll_begin_ms = 0;  // the Poll in which a rebalance ran began here
  keel::client::RebalanceListener listener;
  listener.on_partitions_assigned =
      [&](const std::vector<keel::client::TopicPartition>& added) {
        // Rebalance seeks each added partition to its committed offset before this callback;
        // Position() resolves the others with auto.offset.reset.
        for (const auto& tp : added) {
          auto position = consumer.Position(tp);
          if (!position.ok()) {
            EmitError("position of " + tp.topic + "-" + std::to_string(tp.partition) + ": " +
                      position.status().ToString());
            continue;
          }
          MemberEvent e = Event(MemberEvent::Kind::kStart);
          e.begin_ms = poll_begin_ms;
          e.topic = tp.topic;
          e.partition = tp.partition;
          e.offset = *position;
          Emit(e);
        }
      };
  if (absl::Status s = consumer.Subscribe({FLAGS_topic}, listener); !s.ok()) {
    EmitError("subscribe: " + s.ToString());
    return 1;
  }

  std::vector<keel::client::TopicPartition> emitted_assignment;
  int32_t emitted_generation = -2;
  while (!g_stop) {
    poll_begin_ms = MonotonicNowMs();
    auto polled = consumer.Poll(std::chrono::milliseconds(FLAGS_poll_timeout_ms));
    std::vector<keel::client::TopicPartition> held = consumer.Assignment();
    if (held != emitted_assignment || consumer.generation() != emitted_generation) {
      MemberEvent e = Event(MemberEvent::Kind::kAssigned);
      e.generation = consumer.generation();
      for (const auto& tp : held) e.assignment.emplace_back(tp.topic, tp.partition);
      Emit(e);
      emitted_assignment = held;
      emitted_generation = consumer.generation();
    }
    if (!polled.ok()) {
      EmitError("poll: " + polled.status().ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    keel::client::OffsetMap next;
    for (const auto& r : *polled) {
      MemberEvent e = Event(MemberEvent::Kind::kRecord);
      e.topic = r.topic;
      e.partition = r.partition;
      e.offset = r.offset;
      e.text = r.value;
      Emit(e);
      next[{r.topic, r.partition}] = r.offset + 1;
    }
    if (next.empty()) continue;
    const int64_t commit_begin_ms = MonotonicNowMs();
    absl::Status committed = consumer.CommitSync(next);
    if (!committed.ok()) {
      // The records are read again by whoever owns the partitions next (at least once).
      MemberEvent e = Event(MemberEvent::Kind::kCommitFailed);
      e.begin_ms = commit_begin_ms;
      e.text = committed.ToString();
      Emit(e);
      continue;
    }
    const int64_t acked_ms = MonotonicNowMs();
    for (const auto& [tp, offset] : next) {
      MemberEvent e = Event(MemberEvent::Kind::kCommit);
      e.at_ms = acked_ms;
      e.begin_ms = commit_begin_ms;
      e.topic = tp.topic;
      e.partition = tp.partition;
      e.offset = offset;
      Emit(e);
    }
  }
  absl::Status closed = consumer.Close();
  if (!closed.ok()) EmitError("close: " + closed.ToString());
  Emit(Event(MemberEvent::Kind::kClosed));
  return closed.ok() ? 0 : 1;
}

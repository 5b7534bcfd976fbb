// client::Consumer group members as processes, SIGKILLed, and the group's coordinator broker
// SIGKILLed (issue 17): 1 controller, 3 brokers, a 6-partition topic and __consumer_offsets
// both with RF 3, a producer writing all the time, and members that commit after every poll
// batch (group_member_main.cc).
//
// - 3 members get 2 partitions each;
// - one is SIGKILLed: its partitions move to the other two within session.timeout.ms plus one
//   rebalance (kRebalanceAllowanceMs);
// - the broker coordinating the group (FindCoordinator) is SIGKILLed: the group goes on with a
//   new coordinator (records produced after the kill are consumed, commits are answered), and
//   a new member starts its partitions at the committed offsets the new coordinator loaded;
// - over the whole run (group_history.h's checker): every acknowledged record consumed at
//   least once, committed offsets never backwards (members' acknowledged commits, new owners'
//   start positions, and an OffsetFetch every 300 ms).
//
// Long mode (KEEL_GROUP_RUN_S > 0, default 300 in the manual target group_kill_long_test;
// docs/testing.md)
// then repeats, every KEEL_GROUP_KILL_INTERVAL_S seconds, one fault: SIGKILL a member and start
// a new one, or SIGKILL the coordinator broker (restarting the broker killed before), and
// checks the same history at the end.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "client/admin_client.h"
#include "client/group_client.h"
#include "client/metadata_cache.h"
#include "client/producer.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/client_cluster.h"
#include "tests/integration/controller_cluster.h"
#include "tests/integration/group_history.h"
#include "tests/integration/process.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Partition = std::pair<std::string, int32_t>;

constexpr char kTopic[] = "gk";
constexpr char kGroup[] = "gk-group";
constexpr int kPartitions = 6;
constexpr int64_t kSessionTimeoutMs = 6000;
constexpr int64_t kHeartbeatIntervalMs = 500;
// "Plus one rebalance": after the coordinator expires the member, the others learn of the
// rebalance at their next heartbeat (kHeartbeatIntervalMs), rejoin at their next poll, and
// the leader assigns. Measured at about 1 s on a loaded 2-core machine; the bound leaves room.
constexpr int64_t kRebalanceAllowanceMs = 4000;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? fallback : std::atoll(v);
}

// A member process and what its events said so far.
struct Member {
  std::string name;
  std::unique_ptr<Process> process;
  std::unique_ptr<MemberEventReader> reader;
  bool alive = true;
  int32_t generation = -1;
  std::set<Partition> assignment;
  std::vector<MemberEvent> starts;
  int64_t last_commit_begin_ms = -1;
  int64_t last_record_ms = -1;
  size_t records = 0;
  int errors = 0;
  std::string last_error;
};

class GroupKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerSetOptions options;
    options.brokers = 3;
    options.extra_flags = {"--group_initial_rebalance_delay_ms=300",
                           "--group_min_session_timeout_ms=1000",
                           "--offsets_topic_num_partitions=6",
                           "--offsets_topic_replication_factor=3"};
    ASSERT_TRUE(cluster_.Start(options));
    metadata_ = std::make_shared<client::MetadataCache>(cluster_.admin, std::vector<std::string>{}, 1000);
    ASSERT_TRUE(cluster_.admin->CreateTopic(kTopic, kPartitions, 3).ok());
    client::GroupClientOptions group_options;
    for (int id : cluster_.brokers->ids()) group_options.bootstrap_brokers.push_back(cluster_.brokers->Address(id));
    group_options.request_timeout_ms = 3000;
    groups_ = std::make_shared<client::GroupClient>(group_options);
    member_log_dir_ = MakeTempDir("members");
  }

  void TearDown() override {
    StopBackground();
    if (HasFailure()) {
      PrintBrokerLogTails(*cluster_.brokers, 25);
      for (auto& m : members_) {
        // Everything but records and commits (assignments, errors, the client's logging).
        std::ifstream in(m->process->log_path());
        std::string line, kept;
        int lines = 0;
        while (std::getline(in, line) && lines < 80) {
          if (line.find(" record ") != std::string::npos ||
              line.find(" commit ") != std::string::npos) {
            continue;
          }
          kept += line + "\n";
          ++lines;
        }
        std::fprintf(stderr, "--- %s (%s) ---\n%s--- tail ---\n%s\n", m->name.c_str(),
                     m->process->log_path().c_str(), kept.c_str(),
                     m->process->LogTail(600).c_str());
      }
    }
  }

  // --- the workload ---------------------------------------------------------------------

  // Produces "v<seq>" round-robin over the partitions, about 100 records/s, acks=all.
  void StartProducing() {
    client::ProducerConfig config;
    config.acks = broker::ACKS_ALL;
    config.linger_ms = 5;
    producer_ = std::make_unique<client::Producer>(config, metadata_);
    producer_thread_ = std::thread([this] {
      int64_t seq = 0;
      while (!stop_producing_) {
        for (int i = 0; i < 5; ++i, ++seq) {
          client::ProducerRecord r;
          r.topic = kTopic;
          r.partition = static_cast<int32_t>(seq % kPartitions);
          const std::string value = "v" + std::to_string(seq);
          r.value = value;
          absl::Status queued = producer_->Send(
              std::move(r), [this, value](const absl::StatusOr<client::RecordMetadata>& m) {
                std::lock_guard<std::mutex> lock(mu_);
                if (m.ok()) {
                  history_.produced.push_back({{m->topic, m->partition, m->offset}, value});
                } else {
                  history_.maybe_produced.insert(value);
                }
              });
          if (!queued.ok()) {
            std::lock_guard<std::mutex> lock(mu_);
            history_.maybe_produced.insert(value);
          }
        }
        std::this_thread::sleep_for(milliseconds(50));
      }
    });
  }

  void StopProducing() {
    if (!producer_thread_.joinable()) return;
    stop_producing_ = true;
    producer_thread_.join();
    (void)producer_->Close(seconds(30));
  }

  // Reads the group's committed offsets every 300 ms (each reading an observation).
  void StartSampling() {
    sampler_thread_ = std::thread([this] {
      while (!stop_sampling_) {
        group::OffsetFetchRequest request;
        request.set_group_id(kGroup);
        const int64_t begin_ms = MonotonicNowMs();
        auto fetched = groups_->OffsetFetch(request, milliseconds(3000));
        const int64_t end_ms = MonotonicNowMs();
        if (fetched.ok() && fetched->error() == keel::NONE) {
          std::lock_guard<std::mutex> lock(mu_);
          for (const auto& o : fetched->offsets()) {
            if (o.offset() < 0) continue;
            history_.offsets.push_back(
                {"fetch", {o.topic(), o.partition(), o.offset()}, begin_ms, end_ms});
            ++fetches_;
          }
        }
        std::this_thread::sleep_for(milliseconds(300));
      }
    });
  }

  void StopBackground() {
    StopProducing();
    stop_sampling_ = true;
    if (sampler_thread_.joinable()) sampler_thread_.join();
  }

  Member* StartMember() {
    auto m = std::make_unique<Member>();
    m->name = "m" + std::to_string(++members_started_);
    m->process = std::make_unique<Process>();
    const std::string log = member_log_dir_ + "/" + m->name + ".out";
    m->reader = std::make_unique<MemberEventReader>(log);
    EXPECT_TRUE(m->process->Start(
        {RunfilePath("tests/integration/group_member"),
         "--controllers=" + cluster_.controllers->AllAddresses(), "--group=" + std::string(kGroup),
         "--topic=" + std::string(kTopic), "--client_id=" + m->name,
         "--session_timeout_ms=" + std::to_string(kSessionTimeoutMs),
         "--heartbeat_interval_ms=" + std::to_string(kHeartbeatIntervalMs)},
        log));
    members_.push_back(std::move(m));
    return members_.back().get();
  }

  void KillMember(Member* m) {
    m->process->Kill();
    m->alive = false;
    m->assignment.clear();
    ++member_kills_;
  }

  // Folds every member's new events into the history and their current state.
  void Pump() {
    for (auto& m : members_) {
      std::vector<MemberEvent> events = m->reader->ReadNew();
      for (const MemberEvent& e : events) {
        switch (e.kind) {
          case MemberEvent::Kind::kAssigned:
            if (!m->alive) break;  // a dead member's last lines are not its state
            m->assignment = std::set<Partition>(e.assignment.begin(), e.assignment.end());
            if (e.generation > m->generation) m->generation = e.generation;
            generations_.insert(e.generation);
            break;
          case MemberEvent::Kind::kStart:
            m->starts.push_back(e);
            break;
          case MemberEvent::Kind::kCommit:
            m->last_commit_begin_ms = std::max(m->last_commit_begin_ms, e.begin_ms);
            last_commit_begin_ms_ = std::max(last_commit_begin_ms_, e.begin_ms);
            break;
          case MemberEvent::Kind::kRecord:
            consumed_.insert({e.topic, e.partition, e.offset});
            m->last_record_ms = e.at_ms;
            ++m->records;
            break;
          case MemberEvent::Kind::kError:
          case MemberEvent::Kind::kCommitFailed:
            ++m->errors;
            m->last_error = e.text;
            break;
          default:
            break;
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      history_.AddMemberEvents(m->name, events);
    }
  }

  bool WaitUntil(const std::function<bool()>& done, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      Pump();
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    Pump();
    return done();
  }

  std::vector<Member*> Live() {
    std::vector<Member*> out;
    for (auto& m : members_) {
      if (m->alive) out.push_back(m.get());
    }
    return out;
  }

  // The live members hold every partition once, spread evenly (sizes differ by at most 1).
  bool Balanced() {
    std::vector<Member*> live = Live();
    if (live.empty()) return false;
    std::set<Partition> all;
    size_t sum = 0, lo = SIZE_MAX, hi = 0;
    for (Member* m : live) {
      all.insert(m->assignment.begin(), m->assignment.end());
      sum += m->assignment.size();
      lo = std::min(lo, m->assignment.size());
      hi = std::max(hi, m->assignment.size());
    }
    return all.size() == kPartitions && sum == kPartitions && hi - lo <= 1;
  }

  std::string Assignments() {
    std::string out;
    for (Member* m : Live()) {
      out += m->name + "(gen " + std::to_string(m->generation) + "):";
      for (const auto& [t, p] : m->assignment) out += " " + std::to_string(p);
      const int64_t now_ms = MonotonicNowMs();
      out += "; records " + std::to_string(m->records) + " (last " +
             std::to_string(now_ms - m->last_record_ms) + " ms ago), last commit begun " +
             std::to_string(now_ms - m->last_commit_begin_ms) + " ms ago; errors " +
             std::to_string(m->errors) + " " + m->last_error + "\n";
    }
    return out;
  }

  // The first `count` acknowledged records (all of them by default) have been consumed, by
  // anyone. (While the producer runs, the newest few are always still on their way.)
  bool ConsumedAllAcked(size_t* missing = nullptr, size_t count = SIZE_MAX) {
    std::vector<TopicPartitionOffset> acked;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const size_t n = std::min(count, history_.produced.size());
      for (size_t i = 0; i < n; ++i) acked.push_back(history_.produced[i].first);
    }
    size_t n = 0;
    for (const auto& at : acked) {
      if (consumed_.count({at.topic, at.partition, at.offset}) == 0) ++n;
    }
    if (missing != nullptr) *missing = n;
    return n == 0;
  }

  size_t Acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return history_.produced.size();
  }

  // The group's coordinator broker id per FindCoordinator (-1 if none answered).
  int Coordinator() {
    auto found = groups_->FindCoordinator(kGroup, milliseconds(3000));
    if (!found.ok() || found->error() != keel::NONE) return -1;
    if (found->coordinator().node_id() > 0) return found->coordinator().node_id();
    for (int id : cluster_.brokers->ids()) {
      if (cluster_.brokers->Address(id) == found->coordinator().address()) return id;
    }
    return -1;
  }

  // SIGKILLs `victim` and waits for its partitions to reach the others; the time taken.
  int64_t KillMemberAndWaitForMove(Member* victim) {
    const auto killed_at = std::chrono::steady_clock::now();
    KillMember(victim);
    const bool moved = WaitUntil([&] { return Balanced(); },
                                 milliseconds(kSessionTimeoutMs + kRebalanceAllowanceMs + 20000));
    EXPECT_TRUE(moved) << Assignments();
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed_at)
        .count();
  }

  // SIGKILLs the coordinator broker and waits until the group goes on: another broker
  // coordinates it, a commit begun after the kill was answered, and every record
  // acknowledged before the kill and the 50 after it have been consumed. Returns the killed
  // broker's id.
  int KillCoordinatorAndWaitForRecovery() {
    const int coordinator = Coordinator();
    EXPECT_GT(coordinator, 0);
    if (coordinator <= 0) return -1;
    const int64_t killed_ms = MonotonicNowMs();
    const size_t acked_before = Acked();
    cluster_.brokers->KillBroker(coordinator);
    ++coordinator_kills_;
    int next = -1;
    EXPECT_TRUE(WaitUntil(
        [&] {
          next = Coordinator();
          return next > 0 && next != coordinator;
        },
        seconds(30)))
        << "no new coordinator after broker " << coordinator << " died";
    size_t missing = 0;
    EXPECT_TRUE(WaitUntil(
        [&] {
          return last_commit_begin_ms_ > killed_ms && Acked() >= acked_before + 50 &&
                 ConsumedAllAcked(&missing, acked_before + 50);
        },
        seconds(40)))
        << "the group did not go on after coordinator " << coordinator << " died: "
        << missing << " acknowledged records not consumed, " << Acked() - acked_before
        << " acknowledged since the kill, last commit begun "
        << last_commit_begin_ms_ - killed_ms << " ms after it\n"
        << Assignments();
    std::printf("coordinator %d killed; broker %d coordinates now; group went on after %ld ms\n",
                coordinator, next, static_cast<long>(MonotonicNowMs() - killed_ms));
    return coordinator;
  }

  // Terminates the live members, stops the background work, checks the whole history.
  GroupCheckResult Finish() {
    StopProducing();
    size_t missing = 0;
    EXPECT_TRUE(WaitUntil([&] { return ConsumedAllAcked(&missing); }, seconds(30)))
        << missing << " acknowledged records not consumed\n"
        << Assignments();
    stop_sampling_ = true;
    if (sampler_thread_.joinable()) sampler_thread_.join();
    for (Member* m : Live()) {
      EXPECT_EQ(m->process->Terminate(seconds(15)), 0) << m->name << " did not close cleanly";
      m->alive = false;
    }
    Pump();
    std::lock_guard<std::mutex> lock(mu_);
    return CheckGroupHistory(history_);
  }

  int32_t Rebalances() const {
    return generations_.empty() ? 0 : *generations_.rbegin() - *generations_.begin();
  }

  ClientCluster cluster_;
  std::shared_ptr<client::MetadataCache> metadata_;
  std::shared_ptr<client::GroupClient> groups_;
  std::string member_log_dir_;

  std::vector<std::unique_ptr<Member>> members_;
  int members_started_ = 0;
  int member_kills_ = 0;
  int coordinator_kills_ = 0;
  std::set<int32_t> generations_;
  std::set<std::tuple<std::string, int32_t, int64_t>> consumed_;  // main thread
  int64_t last_commit_begin_ms_ = -1;                              // main thread

  std::unique_ptr<client::Producer> producer_;
  std::thread producer_thread_;
  std::atomic<bool> stop_producing_{false};
  std::thread sampler_thread_;
  std::atomic<bool> stop_sampling_{false};

  std::mutex mu_;
  GroupHistory history_;   // guarded by mu_
  size_t fetches_ = 0;        // guarded by mu_
};

TEST_F(GroupKillTest, KilledMemberAndKilledCoordinatorLoseNothingAndCommitsNeverGoBack) {
  StartProducing();
  StartSampling();
  Member* m1 = StartMember();
  StartMember();
  StartMember();
  ASSERT_TRUE(WaitUntil(
      [&] {
        if (!Balanced()) return false;
        for (Member* m : Live()) {
          if (m->assignment.size() != 2) return false;
        }
        return true;
      },
      seconds(40)))
      << Assignments();
  // Each member has committed something, so the next owner has an offset to start from.
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (Member* m : Live()) {
          if (m->last_commit_begin_ms < 0) return false;
        }
        return true;
      },
      seconds(20)))
      << Assignments();

  // A SIGKILLed member: its 2 partitions move within session.timeout.ms plus one rebalance.
  const int64_t moved_ms = KillMemberAndWaitForMove(m1);
  std::printf("a SIGKILLed member's partitions moved after %ld ms (session.timeout.ms %ld)\n",
              static_cast<long>(moved_ms), static_cast<long>(kSessionTimeoutMs));
  EXPECT_LT(moved_ms, kSessionTimeoutMs + kRebalanceAllowanceMs) << Assignments();
  for (Member* m : Live()) EXPECT_EQ(m->assignment.size(), 3u) << Assignments();

  // The coordinator broker SIGKILLed: the group goes on under a new one.
  int down_broker = KillCoordinatorAndWaitForRecovery();

  // A new member gets the committed offsets (from the new coordinator, which loaded them).
  Member* late = StartMember();
  ASSERT_TRUE(WaitUntil([&] { return Balanced() && late->assignment.size() == 2; }, seconds(30)))
      << Assignments();
  ASSERT_FALSE(late->starts.empty());
  for (const MemberEvent& start : late->starts) {
    // Every partition had commits long before: starting at 0 would mean they were lost (the
    // checker also compares each start with every commit answered before it).
    EXPECT_GT(start.offset, 0) << late->name << " started " << start.topic << "-"
                               << start.partition << " at " << start.offset;
  }

  const int64_t long_run_s = EnvInt("KEEL_GROUP_RUN_S", EnvInt("KEEL_GROUP_DEFAULT_RUN_S", 0));
  if (long_run_s > 0) {
    const int64_t interval_s = EnvInt("KEEL_GROUP_KILL_INTERVAL_S", 10);
    std::mt19937_64 rng(static_cast<uint64_t>(EnvInt("KEEL_GROUP_SEED", 17)));
    const auto end = std::chrono::steady_clock::now() + seconds(long_run_s);
    int64_t slowest_move_ms = moved_ms;
    int slow_moves = 0;
    for (int round = 0; std::chrono::steady_clock::now() < end && !HasFailure(); ++round) {
      std::this_thread::sleep_for(seconds(interval_s));
      Pump();
      if (round % 2 == 0) {
        std::vector<Member*> live = Live();
        Member* victim = live[rng() % live.size()];
        const int64_t took_ms = KillMemberAndWaitForMove(victim);
        slowest_move_ms = std::max(slowest_move_ms, took_ms);
        if (took_ms >= kSessionTimeoutMs + kRebalanceAllowanceMs) ++slow_moves;
        StartMember();
        EXPECT_TRUE(WaitUntil([&] { return Balanced() && Live().size() == 3; }, seconds(30)))
            << Assignments();
      } else {
        if (down_broker > 0) {
          ASSERT_TRUE(cluster_.brokers->StartBroker(down_broker));
          ASSERT_TRUE(cluster_.brokers->WaitAllUnfenced(cluster_.controller_client.get(), seconds(30)));
          // Let the restarted broker catch up into the ISRs before another one dies.
          std::this_thread::sleep_for(seconds(3));
        }
        down_broker = KillCoordinatorAndWaitForRecovery();
      }
      std::printf("[%lds] round %d: %d member kills, %d coordinator kills, %zu acked\n",
                  static_cast<long>(long_run_s -
                                    std::chrono::duration_cast<seconds>(
                                        end - std::chrono::steady_clock::now())
                                        .count()),
                  round, member_kills_, coordinator_kills_, Acked());
      std::fflush(stdout);
    }
    std::printf("slowest partition move after a member kill: %ld ms; over the bound: %d\n",
                static_cast<long>(slowest_move_ms), slow_moves);
  }

  GroupCheckResult result = Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::printf(
        "==== group kill run ====\nmembers started %d, member kills %d, coordinator kills %d, "
        "rebalances (new generations) %d, committed offsets read by OffsetFetch %zu\n%s",
        members_started_, member_kills_, coordinator_kills_, Rebalances(), fetches_,
        result.Summary().c_str());
  }
  EXPECT_TRUE(result.ok()) << result.Summary();
  EXPECT_GT(result.produced, 0u);
}

}  // namespace
}  // namespace keel::testing

// group_bench: consumer-group figures (issue 17), all in one run against real processes.
//   bazel run -c opt //tests/bench:group_bench [-- --members=20 --partitions=200 --rounds=3]
//
// Starts 1 keel-controller and --brokers keel-broker processes on 127.0.0.1 (ephemeral ports,
// scratch data deleted at the end; children killed by pid, also on SIGINT/SIGTERM), then:
//   rebalance  --members client::Consumers (one thread each, polling) subscribe to a topic of
//              --partitions partitions with --strategy; once they hold it all, one more
//              member joins (the trigger) and the time until every member holds its new
//              assignment (all partitions held exactly once, the newcomer holds some, counts
//              within 1) is measured; then it closes and the time until the rest hold
//              everything again. --rounds times each.
//   commit     --threads threads each commit one partition's offset in a loop (OffsetCommit
//              through GroupClient, one call at a time per thread, a simple commit of one
//              group, so every call goes to one coordinator; acks=all into
//              __consumer_offsets with RF min(3, brokers)) for --seconds;
//   produce    beside it, the same threads each produce one record of --record_bytes with
//              acks=all to an RF min(3, brokers) topic, one call at a time (client::Producer
//              with linger.ms 0, waiting for each record) for --seconds.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gflags/gflags.h>

#include "client/admin_client.h"
#include "client/consumer.h"
#include "client/group_client.h"
#include "client/metadata_cache.h"
#include "client/producer.h"
#include "tests/bench/cluster_harness.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"

DEFINE_int32(brokers, 3, "Brokers to start.");
DEFINE_int32(members, 20, "Group members before the trigger.");
DEFINE_int32(partitions, 200, "Partitions of the subscribed topic.");
DEFINE_string(strategy, "cooperative-sticky", "partition.assignment.strategy of every member.");
DEFINE_int32(rounds, 3, "Join + leave triggers measured.");
DEFINE_int32(threads, 8, "Threads for the commit and produce phases.");
DEFINE_double(seconds, 5, "Length of the commit and produce phases.");
DEFINE_int32(record_bytes, 100, "Produced record value size (about a commit record's size).");
DEFINE_string(dir, "/tmp", "Where the scratch directory goes.");

namespace {

using keel::bench::LatencySummary;
using keel::client::TopicPartition;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

int Fail(const std::string& message) {
  std::fprintf(stderr, "group_bench: %s\n", message.c_str());
  return 1;
}

class Member {
 public:
  Member(std::shared_ptr<keel::client::AdminClient> admin, const std::string& topic) {
    auto metadata = std::make_shared<keel::client::MetadataCache>(
        admin, std::vector<std::string>{}, 2000);
    auto made = keel::client::Consumer::Create(
        {{"group.id", "bench"},
         {"partition.assignment.strategy", FLAGS_strategy},
         {"session.timeout.ms", "30000"},
         {"heartbeat.interval.ms", "200"},
         {"max.poll.interval.ms", "60000"},
         {"enable.auto.commit", "false"},
         {"fetch.max.wait.ms", "100"},
         {"metadata.max.age.ms", "2000"}},
        metadata);
    if (!made.ok()) return;
    consumer_ = std::move(*made);
    if (!consumer_->Subscribe({topic}).ok()) return;
    thread_ = std::thread([this] {
      while (!stop_) {
        (void)consumer_->Poll(milliseconds(100));
        auto held = consumer_->Assignment();
        std::lock_guard<std::mutex> lock(mu_);
        held_ = std::set<TopicPartition>(held.begin(), held.end());
      }
    });
  }
  ~Member() { Stop(); }
  void Stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    (void)consumer_->Close();
    std::lock_guard<std::mutex> lock(mu_);
    held_.clear();
  }
  std::set<TopicPartition> held() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_;
  }
  bool ok() const { return consumer_ != nullptr && thread_.joinable(); }

 private:
  std::unique_ptr<keel::client::Consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::set<TopicPartition> held_;
};

// Every partition held once, counts within 1, and `must_hold` (if any) holds some.
bool Settled(const std::vector<std::unique_ptr<Member>>& members, size_t total,
             const Member* must_hold) {
  std::set<TopicPartition> all;
  size_t sum = 0, lo = SIZE_MAX, hi = 0;
  for (const auto& m : members) {
    auto h = m->held();
    sum += h.size();
    lo = std::min(lo, h.size());
    hi = std::max(hi, h.size());
    all.insert(h.begin(), h.end());
    if (m.get() == must_hold && h.empty()) return false;
  }
  return sum == total && all.size() == total && hi - lo <= 1;
}

double WaitSettled(const std::vector<std::unique_ptr<Member>>& members, size_t total,
                   const Member* must_hold, Clock::time_point start, seconds timeout) {
  while (Clock::now() - start < timeout) {
    if (Settled(members, total, must_hold)) return keel::bench::MillisecondsSince(start);
    std::this_thread::sleep_for(milliseconds(5));
  }
  return -1;
}

struct Rate {
  double per_second = 0;
  LatencySummary latency;
  int64_t errors = 0;
};

// `op` once per iteration on each of --threads threads for --seconds.
Rate RunThreads(const std::function<bool(int thread, int64_t i)>& op) {
  std::vector<std::vector<double>> latencies(FLAGS_threads);
  std::atomic<int64_t> errors{0};
  const auto start = Clock::now();
  const auto end = start + milliseconds(static_cast<int64_t>(FLAGS_seconds * 1000));
  std::vector<std::thread> threads;
  for (int t = 0; t < FLAGS_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t i = 0; Clock::now() < end; ++i) {
        const auto t0 = Clock::now();
        if (!op(t, i)) ++errors;
        latencies[t].push_back(keel::bench::MillisecondsSince(t0));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  Rate r;
  r.latency = keel::bench::Summarize(all);
  r.per_second = (r.latency.count - errors) / keel::bench::MillisecondsSince(start) * 1000.0;
  r.errors = errors;
  return r;
}

void PrintRate(const char* name, const Rate& r) {
  std::printf("%-34s %10.0f /s   p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  errors %ld\n", name,
              r.per_second, r.latency.p50_ms, r.latency.p99_ms, r.latency.max_ms,
              static_cast<long>(r.errors));
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("bazel run -c opt //tests/bench:group_bench -- [flags]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_members < 1 || FLAGS_partitions < 1 || FLAGS_threads < 1 || FLAGS_brokers < 1) {
    return Fail("--members, --partitions, --threads and --brokers must be >= 1");
  }
  if (!keel::bench::UseRunfiles(argv[0])) {
    return Fail("keel-broker / keel-controller not found in the runfiles; use bazel run");
  }
  const std::string root = keel::bench::MakeScratch(FLAGS_dir);
  if (root.empty()) return Fail("cannot create a scratch dir in " + FLAGS_dir);
  const int rf = std::min(3, FLAGS_brokers);
  std::printf("group_bench %s: 1 controller + %d brokers on 127.0.0.1, %u cores, load average %s\n",
              keel::bench::Now().c_str(), FLAGS_brokers, std::thread::hardware_concurrency(),
              keel::bench::LoadAverage().c_str());
  std::fflush(stdout);

  int code = 0;
  {
    keel::testing::ControllerClusterOptions copts;
    copts.voters = 1;
    copts.election_timeout_ms = 1000;
    copts.heartbeat_interval_ms = 100;
    keel::testing::ControllerCluster controllers(copts);
    keel::testing::BrokerSetOptions bopts;
    bopts.brokers = FLAGS_brokers;
    bopts.heartbeat_interval_ms = 1000;
    bopts.session_timeout_ms = 9000;
    bopts.extra_flags = {"--group_initial_rebalance_delay_ms=0",
                         "--offsets_topic_num_partitions=10"};
    keel::testing::BrokerSet brokers(&controllers, bopts);
    if (!controllers.StartAll() || controllers.WaitForLeader(seconds(30)) <= 0) {
      return Fail("cannot start the controller");
    }
    keel::client::AdminClientOptions admin_options;
    for (int id : controllers.ids()) admin_options.controllers.push_back(controllers.Address(id));
    keel::testing::ControllerClient controller_client(admin_options.controllers);
    if (!brokers.StartAll() || !brokers.WaitAllUnfenced(&controller_client, seconds(30))) {
      return Fail("cannot start the brokers");
    }
    keel::bench::RememberChildren();
    auto admin = std::make_shared<keel::client::AdminClient>(admin_options);
    if (!admin->CreateTopic("rebalance", FLAGS_partitions, 1).ok() ||
        !admin->CreateTopic("produce", 1, rf).ok()) {
      return Fail("cannot create the topics");
    }

    // --- rebalance
    std::printf("\nrebalance: %d members + 1, %d partitions, %s\n", FLAGS_members,
                FLAGS_partitions, FLAGS_strategy.c_str());
    std::vector<std::unique_ptr<Member>> members;
    for (int i = 0; i < FLAGS_members; ++i) {
      members.push_back(std::make_unique<Member>(admin, "rebalance"));
      if (!members.back()->ok()) return Fail("a member could not subscribe");
    }
    const double formed = WaitSettled(members, FLAGS_partitions, nullptr, Clock::now(), seconds(120));
    if (formed < 0) return Fail("the group never settled");
    std::vector<double> joins, leaves;
    for (int round = 0; round < FLAGS_rounds; ++round) {
      auto start = Clock::now();
      members.push_back(std::make_unique<Member>(admin, "rebalance"));
      const double join_ms =
          WaitSettled(members, FLAGS_partitions, members.back().get(), start, seconds(60));
      start = Clock::now();
      members.back()->Stop();
      members.pop_back();
      const double leave_ms = WaitSettled(members, FLAGS_partitions, nullptr, start, seconds(60));
      std::printf("  round %d: join %.0f ms, leave %.0f ms\n", round + 1, join_ms, leave_ms);
      std::fflush(stdout);
      if (join_ms < 0 || leave_ms < 0) {
        code = 1;
        break;
      }
      joins.push_back(join_ms);
      leaves.push_back(leave_ms);
    }
    if (!joins.empty()) {
      std::printf("%-34s median %.0f ms over %zu\n", "member joins -> all reassigned",
                  keel::bench::Median(joins), joins.size());
      std::printf("%-34s median %.0f ms over %zu\n", "member leaves -> all reassigned",
                  keel::bench::Median(leaves), leaves.size());
    }
    members.clear();

    // --- commits vs produce, same threads, same run
    std::printf("\ncommit vs produce: %d threads, one call at a time each, %.0f s each, "
                "RF %d acks=all\n",
                FLAGS_threads, FLAGS_seconds, rf);
    auto metadata = std::make_shared<keel::client::MetadataCache>(admin, std::vector<std::string>{});
    keel::client::GroupClientOptions group_options;
    for (int id : brokers.ids()) group_options.bootstrap_brokers.push_back(brokers.Address(id));
    auto group_client = std::make_shared<keel::client::GroupClient>(group_options, metadata);
    Rate commits = RunThreads([&](int thread, int64_t i) {
      keel::group::OffsetCommitRequest request;
      request.set_group_id("bench-commits");
      request.set_generation_id(-1);  // a simple commit: the group has no members
      auto* t = request.add_topics();
      t->set_topic("rebalance");
      auto* p = t->add_partitions();
      p->set_partition(thread % FLAGS_partitions);
      p->set_offset(i);
      p->set_leader_epoch(-1);
      auto answer = group_client->OffsetCommit(request, milliseconds(10000));
      return answer.ok() && answer->error() == keel::NONE &&
             answer->topics(0).partitions(0).error() == keel::NONE;
    });
    PrintRate("OffsetCommit (1 partition)", commits);

    keel::client::ProducerConfig pconfig;
    pconfig.acks = keel::broker::ACKS_ALL;
    pconfig.linger_ms = 0;
    keel::client::Producer producer(pconfig, metadata);
    const std::string value(FLAGS_record_bytes, 'v');
    Rate produces = RunThreads([&](int, int64_t) {
      keel::client::ProducerRecord r;
      r.topic = "produce";
      r.partition = 0;
      r.value = value;
      return producer.Send(std::move(r)).get().ok();
    });
    PrintRate("Produce acks=all (1 record)", produces);
    std::printf("load average at the end %s\n", keel::bench::LoadAverage().c_str());
  }
  std::filesystem::remove_all(root);
  return code;
}

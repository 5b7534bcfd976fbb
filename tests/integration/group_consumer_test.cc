// client::Consumer group membership against real processes (1 controller, 2 brokers serving
// GroupService): Kafka's rebalance scenarios for the gRPC consumer. Each member polls on its
// own thread, as an application would; the test reads what each holds and consumed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "client/admin_client.h"
#include "client/consumer.h"
#include "client/metadata_cache.h"
#include "client/producer.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/client_cluster.h"
#include "tests/integration/controller_cluster.h"
#include "tests/integration/keelctl_runner.h"

namespace keel::testing {
namespace {

using client::TopicPartition;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

bool WaitFor(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return done();
}

// One group member polling on its own thread.
class Member {
 public:
  Member(std::shared_ptr<client::MetadataCache> metadata, client::Properties properties,
         std::function<absl::Status(client::Consumer*, client::RebalanceListener)> subscribe) {
    auto made = client::Consumer::Create(properties, std::move(metadata));
    EXPECT_TRUE(made.ok()) << made.status();
    consumer_ = std::move(*made);
    client::RebalanceListener listener;
    listener.on_partitions_revoked = [this](const std::vector<TopicPartition>& p) {
      std::lock_guard<std::mutex> lock(mu_);
      revoked_ += p.size();
    };
    listener.on_partitions_assigned = [this](const std::vector<TopicPartition>& p) {
      std::lock_guard<std::mutex> lock(mu_);
      assigned_calls_++;
      (void)p;
    };
    absl::Status s = subscribe(consumer_.get(), listener);
    EXPECT_TRUE(s.ok()) << s;
    thread_ = std::thread([this] { Run(); });
  }
  ~Member() { Stop(); }

  // Stops polling and closes (commits with auto-commit, leaves the group).
  void Stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    absl::Status s = consumer_->Close();
    EXPECT_TRUE(s.ok()) << s;
  }

  std::set<TopicPartition> assignment() const {
    std::lock_guard<std::mutex> lock(mu_);
    return assignment_;
  }
  std::vector<client::ConsumerRecord> records() const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }
  size_t revoked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return revoked_;
  }
  absl::Status error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }
  client::Consumer* consumer() { return consumer_.get(); }

 private:
  void Run() {
    while (!stop_) {
      auto polled = consumer_->Poll(milliseconds(200));
      std::vector<TopicPartition> held = consumer_->Assignment();
      std::lock_guard<std::mutex> lock(mu_);
      assignment_ = std::set<TopicPartition>(held.begin(), held.end());
      if (!polled.ok()) {
        error_ = polled.status();
        continue;
      }
      for (auto& r : *polled) records_.push_back(std::move(r));
    }
  }

  std::unique_ptr<client::Consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::set<TopicPartition> assignment_;
  std::vector<client::ConsumerRecord> records_;
  size_t revoked_ = 0;
  int assigned_calls_ = 0;
  absl::Status error_;
};

class GroupConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerSetOptions options;
    options.brokers = 2;
    options.extra_flags = {"--group_initial_rebalance_delay_ms=100",
                           "--group_min_session_timeout_ms=500",
                           "--offsets_topic_num_partitions=4",
                           "--offsets_topic_replication_factor=2"};
    ASSERT_TRUE(cluster_.Start(options));
    metadata_ = std::make_shared<client::MetadataCache>(cluster_.admin, std::vector<std::string>{});
  }

  void TearDown() override {
    if (HasFailure()) PrintBrokerLogTails(*cluster_.brokers, 25);
  }

  // Each member's own cache: members are separate clients.
  std::shared_ptr<client::MetadataCache> NewMetadata() {
    return std::make_shared<client::MetadataCache>(cluster_.admin, std::vector<std::string>{}, 500);
  }

  client::Properties Props(const std::string& group, const std::string& strategy) {
    return {{"group.id", group},
            {"partition.assignment.strategy", strategy},
            {"session.timeout.ms", "10000"},
            {"heartbeat.interval.ms", "200"},
            {"max.poll.interval.ms", "10000"},
            {"auto.offset.reset", "earliest"},
            {"fetch.max.wait.ms", "100"},
            {"metadata.max.age.ms", "500"},
            {"request.timeout.ms", "5000"}};
  }

  std::unique_ptr<Member> Join(const client::Properties& props,
                               std::vector<std::string> topics) {
    return std::make_unique<Member>(
        NewMetadata(), props, [topics](client::Consumer* c, client::RebalanceListener l) {
          return c->Subscribe(topics, std::move(l));
        });
  }

  void Produce(const std::string& topic, int partitions, int per_partition,
               const std::string& tag) {
    client::ProducerConfig config;
    config.acks = broker::ACKS_ALL;
    client::Producer producer(config, metadata_);
    for (int p = 0; p < partitions; ++p) {
      for (int i = 0; i < per_partition; ++i) {
        client::ProducerRecord r;
        r.topic = topic;
        r.partition = p;
        r.value = tag + "-" + std::to_string(p) + "-" + std::to_string(i);
        ASSERT_TRUE(producer.Send(std::move(r), nullptr).ok());
      }
    }
    producer.Flush();
  }

  // True when the members' assignments are disjoint, cover `total` partitions and have
  // these sizes (sorted descending).
  static bool Holds(const std::vector<Member*>& members, size_t total,
                    std::vector<size_t> sizes) {
    std::set<TopicPartition> all;
    std::vector<size_t> got;
    size_t sum = 0;
    for (Member* m : members) {
      auto a = m->assignment();
      got.push_back(a.size());
      sum += a.size();
      all.insert(a.begin(), a.end());
    }
    std::sort(got.rbegin(), got.rend());
    return all.size() == total && sum == total && got == sizes;
  }

  ClientCluster cluster_;
  std::shared_ptr<client::MetadataCache> metadata_;
};


class GroupRebalanceTest : public GroupConsumerTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(GroupRebalanceTest, ThreeGetTwoEachAFourthSpreadsThemAndACloseRebalancesAtOnce) {
  const std::string group = "g-six";
  ASSERT_TRUE(cluster_.admin->CreateTopic("six", 6, 2).ok());
  Produce("six", 6, 5, "a");
  auto props = Props(group, GetParam());
  auto m1 = Join(props, {"six"});
  auto m2 = Join(props, {"six"});
  auto m3 = Join(props, {"six"});
  ASSERT_TRUE(WaitFor([&] { return Holds({m1.get(), m2.get(), m3.get()}, 6, {2, 2, 2}); },
                      seconds(20)))
      << m1->assignment().size() << " " << m2->assignment().size() << " "
      << m3->assignment().size() << " " << m1->error();
  // Every record read once across the members (each partition has one owner throughout).
  ASSERT_TRUE(WaitFor(
      [&] { return m1->records().size() + m2->records().size() + m3->records().size() == 30; },
      seconds(10)));

  const size_t revoked_before = m1->revoked() + m2->revoked() + m3->revoked();
  auto m4 = Join(props, {"six"});
  ASSERT_TRUE(WaitFor(
      [&] { return Holds({m1.get(), m2.get(), m3.get(), m4.get()}, 6, {2, 2, 1, 1}); },
      seconds(20)));
  if (GetParam() == "cooperative-sticky") {
    // 2/2/2 -> 2/2/1/1: only the one partition that moved was revoked (eager revokes all six).
    EXPECT_EQ(m1->revoked() + m2->revoked() + m3->revoked() - revoked_before, 1u);
  }

  // A clean close rebalances at once (session.timeout.ms is 10 s).
  const auto closed_at = Clock::now();
  m4->Stop();
  ASSERT_TRUE(WaitFor([&] { return Holds({m1.get(), m2.get(), m3.get()}, 6, {2, 2, 2}); },
                      seconds(5)));
  const auto took_ms =
      std::chrono::duration_cast<milliseconds>(Clock::now() - closed_at).count();
  EXPECT_LT(took_ms, 5000);
  std::printf("rebalance after a close took %ld ms\n", static_cast<long>(took_ms));

  Produce("six", 6, 1, "b");
  ASSERT_TRUE(WaitFor(
      [&] {
        return m1->records().size() + m2->records().size() + m3->records().size() +
                   m4->records().size() >=
               36;
      },
      seconds(10)));
  for (Member* m : {m1.get(), m2.get(), m3.get(), m4.get()}) EXPECT_TRUE(m->error().ok()) << m->error();
}

INSTANTIATE_TEST_SUITE_P(Strategies, GroupRebalanceTest,
                         ::testing::Values("range,cooperative-sticky", "cooperative-sticky",
                                           "roundrobin"));

TEST_F(GroupConsumerTest, AddedPartitionsAreAssignedAndConsumed) {
  ASSERT_TRUE(cluster_.admin->CreateTopic("grow", 2, 2).ok());
  auto props = Props("g-grow", "range");
  auto m1 = Join(props, {"grow"});
  auto m2 = Join(props, {"grow"});
  ASSERT_TRUE(WaitFor([&] { return Holds({m1.get(), m2.get()}, 2, {1, 1}); }, seconds(20)));
  ASSERT_TRUE(cluster_.admin->CreatePartitions("grow", 4).ok());
  // The leader sees 4 partitions in its metadata (max age 500 ms) and rejoins.
  ASSERT_TRUE(WaitFor([&] { return Holds({m1.get(), m2.get()}, 4, {2, 2}); }, seconds(20)));
  Produce("grow", 4, 3, "x");
  ASSERT_TRUE(WaitFor([&] { return m1->records().size() + m2->records().size() == 12; },
                      seconds(10)));
  std::set<int32_t> partitions;
  for (Member* m : {m1.get(), m2.get()}) {
    for (const auto& r : m->records()) partitions.insert(r.partition);
  }
  EXPECT_EQ(partitions, (std::set<int32_t>{0, 1, 2, 3}));
}

TEST_F(GroupConsumerTest, APatternSubscriptionPicksUpNewTopics) {
  ASSERT_TRUE(cluster_.admin->CreateTopic("pat-a", 1, 2).ok());
  ASSERT_TRUE(cluster_.admin->CreateTopic("other", 1, 2).ok());
  auto m = std::make_unique<Member>(
      NewMetadata(), Props("g-pat", "range"),
      [](client::Consumer* c, client::RebalanceListener l) {
        return c->Subscribe(client::TopicPattern::Of("pat-.*"), std::move(l));
      });
  ASSERT_TRUE(WaitFor([&] { return m->assignment().size() == 1; }, seconds(20)));
  ASSERT_TRUE(cluster_.admin->CreateTopic("pat-b", 2, 2).ok());
  ASSERT_TRUE(WaitFor([&] { return m->assignment().size() == 3; }, seconds(20)));
  Produce("pat-b", 2, 2, "p");
  Produce("other", 1, 2, "o");
  ASSERT_TRUE(WaitFor([&] { return m->records().size() == 4; }, seconds(10)));
  for (const auto& r : m->records()) EXPECT_EQ(r.topic, "pat-b");
  EXPECT_EQ(m->consumer()->Subscription(), (std::vector<std::string>{"pat-a", "pat-b"}));
}

TEST_F(GroupConsumerTest, CommittedOffsetsCarryToTheNextConsumer) {
  ASSERT_TRUE(cluster_.admin->CreateTopic("log", 2, 2).ok());
  Produce("log", 2, 5, "first");
  auto props = Props("g-commit", "range");
  props["enable.auto.commit"] = "false";
  {
    auto made = client::Consumer::Create(props, NewMetadata());
    ASSERT_TRUE(made.ok()) << made.status();
    client::Consumer& c = **made;
    ASSERT_TRUE(c.Subscribe({"log"}).ok());
    size_t read = 0;
    const auto deadline = Clock::now() + seconds(20);
    while (read < 10 && Clock::now() < deadline) {
      auto polled = c.Poll(milliseconds(200));
      ASSERT_TRUE(polled.ok()) << polled.status();
      read += polled->size();
    }
    ASSERT_EQ(read, 10u);
    // CommitAsync's callback runs inside a later call on this thread.
    std::atomic<bool> called{false};
    c.CommitAsync([&](const client::OffsetMap& offsets, const absl::Status& s) {
      EXPECT_TRUE(s.ok()) << s;
      EXPECT_EQ(offsets.size(), 2u);
      called = true;
    });
    ASSERT_TRUE(c.CommitSync().ok());
    ASSERT_TRUE(WaitFor(
        [&] {
          (void)c.Poll(milliseconds(50));
          return called.load();
        },
        seconds(5)));
    auto committed = c.Committed({{"log", 0}, {"log", 1}});
    ASSERT_TRUE(committed.ok()) << committed.status();
    EXPECT_EQ(committed->at({"log", 0}), 5);
    EXPECT_EQ(committed->at({"log", 1}), 5);
    ASSERT_TRUE(c.Close().ok());
  }
  Produce("log", 2, 3, "second");
  // A new member of the group starts at the commits: exactly the 6 new records.
  props["enable.auto.commit"] = "true";
  auto next = Join(props, {"log"});
  ASSERT_TRUE(WaitFor([&] { return next->records().size() >= 6; }, seconds(20)));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(next->records().size(), 6u);
  for (const auto& r : next->records()) EXPECT_EQ(r.value.rfind("second", 0), 0u) << r.value;
  next->Stop();  // auto-commit on close
  auto check = client::Consumer::Create(props, NewMetadata());
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE((*check)->Subscribe({"log"}).ok());
  auto committed = (*check)->Committed({{"log", 0}, {"log", 1}});
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(committed->at({"log", 0}), 8);
  EXPECT_EQ(committed->at({"log", 1}), 8);
}

TEST_F(GroupConsumerTest, BadGroupConfigurationIsAClearError) {
  auto no_group = client::Consumer::Create({}, NewMetadata());
  ASSERT_TRUE(no_group.ok());
  absl::Status s = (*no_group)->Subscribe({"t"});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_FALSE(client::Consumer::Create({{"partition.assignment.strategy", "bogus"}}).ok());
  auto c = client::Consumer::Create({{"group.id", "g"}}, NewMetadata());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(absl::IsInvalidArgument((*c)->Subscribe(client::TopicPattern::Of("(["))));
  ASSERT_TRUE((*c)->Subscribe({"t"}).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition((*c)->AssignChecked({{"t", 0}})));
}

// Static membership (KIP-345): a static member that closes (no LeaveGroup) and comes back
// with the same group.instance.id within session.timeout.ms gets its partitions back and
// the other member sees no rebalance.
TEST_F(GroupConsumerTest, AStaticMemberComesBackWithoutARebalance) {
  ASSERT_TRUE(cluster_.admin->CreateTopic("st", 4, 2).ok());
  auto props_a = Props("g-static", "range");
  props_a["group.instance.id"] = "a";
  auto props_b = Props("g-static", "range");
  props_b["group.instance.id"] = "b";
  auto a = Join(props_a, {"st"});
  auto b = Join(props_b, {"st"});
  ASSERT_TRUE(WaitFor([&] { return Holds({a.get(), b.get()}, 4, {2, 2}); }, seconds(20)));
  const auto a_held = a->assignment();
  const auto b_held = b->assignment();
  const int32_t generation = b->consumer()->generation();
  const size_t b_revoked = b->revoked();
  a->Stop();
  auto again = Join(props_a, {"st"});
  ASSERT_TRUE(WaitFor([&] { return again->assignment() == a_held; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(1000));  // a few of b's heartbeats
  EXPECT_EQ(b->consumer()->generation(), generation);
  EXPECT_EQ(b->assignment(), b_held);
  EXPECT_EQ(b->revoked(), b_revoked);
}

// keelctl consume --group: reads the group's share from its committed offsets and commits
// what it printed, so a second run prints only what is new.
TEST_F(GroupConsumerTest, KeelctlConsumeGroupCommitsWhatItPrinted) {
  ASSERT_TRUE(cluster_.admin->CreateTopic("cli", 2, 2).ok());
  Produce("cli", 2, 3, "r");
  CtlOptions options;
  options.env["KEEL_CONTROLLERS"] = cluster_.controllers->AllAddresses();
  auto consume = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"consume", "cli", "--group", "kg", "--timeout-ms=20000"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunKeelctl(args, options);
  };
  CtlResult first = consume({"--from-beginning"});
  ASSERT_EQ(first.code, 0) << first.Describe();
  EXPECT_EQ(std::count(first.out.begin(), first.out.end(), '\n'), 6) << first.out;
  EXPECT_NE(first.err.find("Processed a total of 6 messages"), std::string::npos) << first.err;

  CtlResult again = consume({"--from-beginning"});
  ASSERT_EQ(again.code, 0) << again.Describe();
  EXPECT_EQ(again.out, "");

  Produce("cli", 2, 1, "new");
  CtlResult next = consume({"--max-messages", "2", "--print-offset"});
  ASSERT_EQ(next.code, 0) << next.Describe();
  EXPECT_NE(next.out.find("Offset:3\tnew-0-0"), std::string::npos) << next.out;
  EXPECT_NE(next.out.find("Offset:3\tnew-1-0"), std::string::npos) << next.out;

  CtlResult bad = consume({"--partition", "0"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("--partition cannot be used with --group"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace keel::testing

#include "client/consumer.h"

#include <gtest/gtest.h>

#include "client/testing/fake_cluster.h"

namespace keel::client {
namespace {

using std::chrono::milliseconds;
using testing::FakeBroker;
using testing::FakeController;

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    controller_.SetBroker(1, b1_.address());
    controller_.SetBroker(2, b2_.address());
    controller_.SetTopic("t", {1, 1});
    for (int i = 0; i < 10; ++i) {
      broker::Record r;
      r.set_key("k" + std::to_string(i));
      r.set_value("v" + std::to_string(i));
      r.set_timestamp_ms(1000 + i * 100);
      b1_.Append("t", 0, r);
    }
  }
  std::unique_ptr<Consumer> Make(const std::string& reset = "earliest") {
    AdminClientOptions options;
    options.controllers = {controller_.address()};
    auto metadata = std::make_shared<MetadataCache>(std::make_shared<AdminClient>(options),
                                                    std::vector<std::string>{});
    ConsumerConfig c;
    c.auto_offset_reset = reset;
    c.fetch_max_wait_ms = 100;
    c.retry_backoff_ms = 20;
    c.request_timeout_ms = 2000;
    return std::make_unique<Consumer>(c, metadata);
  }
  static std::vector<int64_t> Offsets(const std::vector<ConsumerRecord>& records) {
    std::vector<int64_t> out;
    for (const auto& r : records) out.push_back(r.offset);
    return out;
  }

  FakeController controller_;
  FakeBroker b1_{1};
  FakeBroker b2_{2};
};

TEST_F(ConsumerTest, PollsFromTheBeginningAndAdvancesThePosition) {
  auto consumer = Make("earliest");
  TopicPartition tp{"t", 0};
  consumer->Assign({tp});
  auto records = consumer->Poll(milliseconds(2000));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 10u);
  EXPECT_EQ((*records)[3].key, "k3");
  EXPECT_EQ((*records)[3].value, "v3");
  EXPECT_EQ((*records)[3].offset, 3);
  EXPECT_EQ(*consumer->Position(tp), 10);
  EXPECT_EQ(consumer->HighWatermark(tp), 10);
  // Nothing new: an empty answer after the timeout.
  auto none = consumer->Poll(milliseconds(200));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(ConsumerTest, NullKeysAndValuesAreToldFromEmptyOnes) {
  broker::Record tombstone;
  tombstone.set_key("k");  // value unset: null
  b1_.Append("t", 1, tombstone);
  broker::Record empty;
  empty.set_key("");
  empty.set_value("");
  b1_.Append("t", 1, empty);
  auto consumer = Make("earliest");
  consumer->Assign({{"t", 1}});
  auto records = consumer->Poll(milliseconds(2000));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_FALSE((*records)[0].null_key);
  EXPECT_TRUE((*records)[0].null_value);
  EXPECT_FALSE((*records)[1].null_key);
  EXPECT_FALSE((*records)[1].null_value);
}

TEST_F(ConsumerTest, LatestResetStartsAtTheEnd) {
  auto consumer = Make("latest");
  TopicPartition tp{"t", 0};
  consumer->Assign({tp});
  EXPECT_EQ(*consumer->Position(tp), 10);
  broker::Record r;
  r.set_value("new");
  b1_.Append("t", 0, r);
  auto records = consumer->Poll(milliseconds(2000));
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].value, "new");
}

TEST_F(ConsumerTest, SeeksToOffsetBeginningEndAndTimestamp) {
  auto consumer = Make();
  TopicPartition tp{"t", 0};
  consumer->Assign({tp});
  ASSERT_TRUE(consumer->Seek(tp, 7).ok());
  auto records = consumer->Poll(milliseconds(2000));
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(Offsets(*records), (std::vector<int64_t>{7, 8, 9}));
  ASSERT_TRUE(consumer->SeekToBeginning({tp}).ok());
  EXPECT_EQ(*consumer->Position(tp), 0);
  ASSERT_TRUE(consumer->SeekToEnd({tp}).ok());
  EXPECT_EQ(*consumer->Position(tp), 10);
  ASSERT_TRUE(consumer->SeekToTimestamp({tp}, 1450).ok());  // first record at or after: 5
  EXPECT_EQ(*consumer->Position(tp), 5);
  EXPECT_TRUE(absl::IsFailedPrecondition(consumer->Seek({"other", 0}, 0)));
  EXPECT_TRUE(absl::IsInvalidArgument(consumer->Seek(tp, -3)));
}

TEST_F(ConsumerTest, FollowsALeaderMove) {
  auto consumer = Make();
  TopicPartition tp{"t", 0};
  consumer->Assign({tp});
  ASSERT_TRUE(consumer->Seek(tp, 0).ok());
  // The partition moved to b2, which has the same records; b1 names it.
  for (const auto& r : b1_.Log("t", 0)) b2_.Append("t", 0, r);
  keel::NodeAddress leader;
  leader.set_node_id(2);
  leader.set_address(b2_.address());
  b1_.SetNotLeader("t", 0, leader);
  auto records = consumer->Poll(milliseconds(3000));
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 10u);
}

TEST_F(ConsumerTest, RefreshesMetadataWhenTheOldLeaderNamesNoOne) {
  auto consumer = Make();
  TopicPartition tp{"t", 0};
  consumer->Assign({tp});
  ASSERT_TRUE(consumer->Seek(tp, 0).ok());
  // Learn that b1 leads, then move the partition to b2 behind the consumer's back.
  ASSERT_EQ(*consumer->OffsetForTime(tp, kLatestOffset, milliseconds(2000)), 10);
  for (const auto& r : b1_.Log("t", 0)) b2_.Append("t", 0, r);
  b1_.SetNotLeader("t", 0, keel::NodeAddress());
  controller_.SetTopic("t", {2, 1});
  auto records = consumer->Poll(milliseconds(3000));
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 10u);
  EXPECT_GE(controller_.describe_topics_calls(), 2);
}

TEST_F(ConsumerTest, OutOfRangeWithResetNoneIsAnError) {
  auto consumer = Make("none");
  TopicPartition tp{"t", 0};
  consumer->Assign({tp});
  EXPECT_TRUE(absl::IsOutOfRange(consumer->Position(tp).status()));
  ASSERT_TRUE(consumer->Seek(tp, 50).ok());
  EXPECT_FALSE(consumer->Poll(milliseconds(1000)).ok());
}

TEST_F(ConsumerTest, ReturnsAtMostMaxPollRecordsAndKeepsTheRestForTheNextPoll) {
  AdminClientOptions options;
  options.controllers = {controller_.address()};
  auto metadata = std::make_shared<MetadataCache>(std::make_shared<AdminClient>(options),
                                                  std::vector<std::string>{});
  ConsumerConfig c;
  c.max_poll_records = 3;
  c.fetch_max_wait_ms = 50;
  Consumer consumer(c, metadata);
  TopicPartition tp{"t", 0};
  consumer.Assign({tp});
  ASSERT_TRUE(consumer.Seek(tp, 0).ok());
  std::vector<int64_t> offsets;
  for (int i = 0; i < 4; ++i) {
    auto records = consumer.Poll(milliseconds(1000));
    ASSERT_TRUE(records.ok());
    EXPECT_LE(records->size(), 3u);
    for (const auto& r : *records) offsets.push_back(r.offset);
    EXPECT_EQ(*consumer.Position(tp), offsets.back() + 1);
  }
  EXPECT_EQ(offsets, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // A seek drops what was buffered and reads from the new position.
  auto first = consumer.Poll(milliseconds(100));
  ASSERT_TRUE(consumer.Seek(tp, 1).ok());
  auto again = consumer.Poll(milliseconds(1000));
  ASSERT_TRUE(again.ok());
  ASSERT_FALSE(again->empty());
  EXPECT_EQ((*again)[0].offset, 1);
}

TEST_F(ConsumerTest, PollsSeveralPartitions) {
  broker::Record r;
  r.set_value("p1");
  b1_.Append("t", 1, r);
  auto consumer = Make();
  consumer->Assign({{"t", 0}, {"t", 1}});
  size_t total = 0;
  for (int i = 0; i < 10 && total < 11; ++i) {
    auto records = consumer->Poll(milliseconds(500));
    ASSERT_TRUE(records.ok());
    total += records->size();
  }
  EXPECT_EQ(total, 11u);
}

}  // namespace
}  // namespace keel::client

namespace keel::client {
namespace {

TEST(ConsumerConfigTest, GroupPropertiesHaveKafkasDefaultsAndParse) {
  auto defaults = ConsumerConfig::FromProperties({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->group.session_timeout_ms, 45000);
  EXPECT_EQ(defaults->group.heartbeat_interval_ms, 3000);
  EXPECT_EQ(defaults->group.max_poll_interval_ms, 300000);
  EXPECT_EQ(defaults->group.assignment_strategies,
            (std::vector<std::string>{"range", "cooperative-sticky"}));
  EXPECT_TRUE(defaults->enable_auto_commit);
  EXPECT_EQ(defaults->auto_commit_interval_ms, 5000);

  auto c = ConsumerConfig::FromProperties({{"group.id", "g"},
                                           {"group.instance.id", "i-1"},
                                           {"session.timeout.ms", "6000"},
                                           {"heartbeat.interval.ms", "500"},
                                           {"max.poll.interval.ms", "9000"},
                                           {"partition.assignment.strategy",
                                            "cooperative-sticky, roundrobin"},
                                           {"enable.auto.commit", "false"},
                                           {"auto.commit.interval.ms", "100"},
                                           {"request.timeout.ms", "1234"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->group.group_id, "g");
  EXPECT_EQ(*c->group.group_instance_id, "i-1");
  EXPECT_EQ(c->group.session_timeout_ms, 6000);
  EXPECT_EQ(c->group.heartbeat_interval_ms, 500);
  EXPECT_EQ(c->group.max_poll_interval_ms, 9000);
  EXPECT_EQ(c->group.assignment_strategies,
            (std::vector<std::string>{"cooperative-sticky", "roundrobin"}));
  EXPECT_FALSE(c->enable_auto_commit);
  EXPECT_EQ(c->auto_commit_interval_ms, 100);
  EXPECT_EQ(c->group.request_timeout_ms, 1234);
}

TEST(ConsumerConfigTest, BadGroupPropertiesAreRefused) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"partition.assignment.strategy", "sticky-ish"},
           {"partition.assignment.strategy", ""},
           {"enable.auto.commit", "yes"},
           {"session.timeout.ms", "0"},
           {"heartbeat.interval.ms", "-1"},
           {"group.instance.id", ""}}) {
    auto c = ConsumerConfig::FromProperties({{key, value}});
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << key << "=" << value;
  }
  auto inverted = ConsumerConfig::FromProperties(
      {{"session.timeout.ms", "1000"}, {"heartbeat.interval.ms", "1000"}});
  EXPECT_TRUE(absl::IsInvalidArgument(inverted.status()));
}

TEST(ConsumerGroupTest, SubscribeNeedsAGroupIdAndExcludesAssign) {
  auto metadata = std::make_shared<MetadataCache>(nullptr, std::vector<std::string>{"127.0.0.1:1"});
  Consumer plain(ConsumerConfig(), metadata);
  EXPECT_TRUE(absl::IsInvalidArgument(plain.Subscribe({"t"})));
  EXPECT_TRUE(absl::IsFailedPrecondition(plain.CommitSync()));
  ConsumerConfig config;
  config.group.group_id = "g";
  Consumer assigned(config, metadata);
  assigned.Assign({{"t", 0}});
  EXPECT_TRUE(absl::IsFailedPrecondition(assigned.Subscribe({"t"})));
  EXPECT_TRUE(absl::IsInvalidArgument(assigned.Subscribe(TopicPattern::Of("(["))));
}

}  // namespace
}  // namespace keel::client

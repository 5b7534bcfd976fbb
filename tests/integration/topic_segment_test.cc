// Topic configs and null values through real processes (1 controller, 1 broker with the
// default 1 GiB --log_segment_bytes):
// - segment.bytes set at create rolls the partition's segments; one set later by
//   AlterConfigs takes effect on the broker's next appends (docs/compaction.md);
// - client::Producer writes a tombstone (null value) and an empty value, and client::Consumer
//   reads them back told apart (docs/client.md).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "client/admin_client.h"
#include "client/consumer.h"
#include "client/metadata_cache.h"
#include "client/producer.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/client_cluster.h"
#include "tests/integration/controller_cluster.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class TopicSegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerSetOptions options;
    options.brokers = 1;
    ASSERT_TRUE(cluster_.Start(options));
    metadata_ = std::make_shared<client::MetadataCache>(cluster_.admin, std::vector<std::string>{});
  }

  void TearDown() override {
    if (HasFailure()) PrintBrokerLogTails(*cluster_.brokers, 25);
  }

  // Segment files of topic-0 on the broker.
  size_t Segments(const std::string& topic) {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator(cluster_.brokers->DataDir(1) + "/" + topic + "-0", ec)) {
      if (absl::EndsWith(e.path().filename().string(), ".log")) ++n;
    }
    return n;
  }

  void Produce(DataClient* data, const std::string& topic, int records) {
    for (int i = 0; i < records; ++i) {
      auto produced = data->Produce(topic, 0, {{"k" + std::to_string(i), std::string(100, 'v')}});
      ASSERT_EQ(produced.error, keel::NONE) << produced.message;
    }
  }

  ClientCluster cluster_;
  std::shared_ptr<client::MetadataCache> metadata_;
};

TEST_F(TopicSegmentTest, SegmentBytesRollsThePartitionAndAnAlterTakesEffect) {
  ASSERT_EQ(CreateTopicWithConfigs(cluster_.controller_client.get(), "small", 1, 1, {{"segment.bytes", "1024"}}), "");
  ASSERT_EQ(CreateTopicWithConfigs(cluster_.controller_client.get(), "plain", 1, 1, {}), "");
  // Below the floor: INVALID_CONFIG, nothing created.
  const std::string refused =
      CreateTopicWithConfigs(cluster_.controller_client.get(), "tiny", 1, 1, {{"segment.bytes", "100"}});
  EXPECT_NE(refused.find("segment.bytes"), std::string::npos) << refused;
  DataClient data(cluster_.controller_client.get());
  Produce(&data, "small", 40);  // about 6 KB
  Produce(&data, "plain", 40);
  EXPECT_GE(Segments("small"), 4u);
  EXPECT_EQ(Segments("plain"), 1u);

  auto altered = cluster_.admin->AlterConfigs("plain", {{"segment.bytes", "1024"}}, {});
  ASSERT_TRUE(altered.ok()) << altered.status();
  ASSERT_EQ(altered->result().error(), keel::NONE) << altered->result().error_message();
  // The broker applies the alter when the metadata reaches it: appends roll soon after.
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (Segments("plain") < 3 && std::chrono::steady_clock::now() < deadline) {
    Produce(&data, "plain", 5);
  }
  EXPECT_GE(Segments("plain"), 3u);
  // Below the floor: refused (AdminClient turns INVALID_CONFIG into InvalidArgument).
  auto bad = cluster_.admin->AlterConfigs("plain", {{"segment.bytes", "14"}}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_NE(bad.status().message().find("segment.bytes"), absl::string_view::npos)
      << bad.status();
}

TEST_F(TopicSegmentTest, TheProducerWritesTombstonesAndTheConsumerTellsThemFromEmptyValues) {
  ASSERT_EQ(CreateTopicWithConfigs(cluster_.controller_client.get(), "users", 1, 1, {{"cleanup.policy", "compact"}}),
            "");
  client::ProducerConfig config;
  client::Producer producer(config, metadata_);
  client::ProducerRecord set;
  set.topic = "users";
  set.partition = 0;
  set.key = "u1";
  set.value = "alice";
  client::ProducerRecord tombstone;
  tombstone.topic = "users";
  tombstone.partition = 0;
  tombstone.key = "u1";  // value unset: null
  client::ProducerRecord empty;
  empty.topic = "users";
  empty.partition = 0;
  empty.key = "u2";
  empty.value = "";
  for (auto* r : {&set, &tombstone, &empty}) {
    auto sent = producer.Send(std::move(*r)).get();
    ASSERT_TRUE(sent.ok()) << sent.status();
  }
  client::ConsumerConfig consumer_config;
  consumer_config.auto_offset_reset = "earliest";
  consumer_config.fetch_max_wait_ms = 100;
  client::Consumer consumer(consumer_config, metadata_);
  consumer.Assign({{"users", 0}});
  std::vector<client::ConsumerRecord> read;
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (read.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto polled = consumer.Poll(milliseconds(200));
    ASSERT_TRUE(polled.ok()) << polled.status();
    read.insert(read.end(), polled->begin(), polled->end());
  }
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].value, "alice");
  EXPECT_FALSE(read[0].null_value);
  EXPECT_EQ(read[1].key, "u1");
  EXPECT_TRUE(read[1].null_value);
  EXPECT_EQ(read[2].key, "u2");
  EXPECT_FALSE(read[2].null_value);
  EXPECT_FALSE(read[2].null_key);
  EXPECT_EQ(read[2].value, "");
}

}  // namespace
}  // namespace keel::testing

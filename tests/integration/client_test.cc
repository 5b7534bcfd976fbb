// The client library (client/) against real processes: 3 controllers, 3 brokers. Admin calls
// through AdminClient; a Producer with acks=all keeps every record and each partition's order
// while the leader broker of a partition is killed; a Consumer reads everything back.
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "client/admin_client.h"
#include "client/consumer.h"
#include "client/metadata_cache.h"
#include "client/partitioner.h"
#include "client/producer.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    controllers_ = std::make_unique<ControllerCluster>(ControllerClusterOptions{});
    ASSERT_TRUE(controllers_->StartAll());
    ASSERT_GT(controllers_->WaitForLeader(seconds(20)), 0);
    std::vector<std::string> addresses;
    for (int id : controllers_->ids()) addresses.push_back(controllers_->Address(id));
    controller_client_ = std::make_unique<ControllerClient>(addresses);
    BrokerSetOptions options;
    options.brokers = 3;
    options.session_timeout_ms = 2500;
    brokers_ = std::make_unique<BrokerSet>(controllers_.get(), options);
    ASSERT_TRUE(brokers_->StartAll());
    ASSERT_TRUE(brokers_->WaitAllUnfenced(controller_client_.get(), seconds(20)));
    client::AdminClientOptions admin_options;
    admin_options.controllers = addresses;
    admin_ = std::make_shared<client::AdminClient>(admin_options);
    metadata_ = std::make_shared<client::MetadataCache>(admin_, std::vector<std::string>{});
  }

  void TearDown() override {
    if (HasFailure()) PrintBrokerLogTails(*brokers_, 25);
  }

  std::unique_ptr<ControllerCluster> controllers_;
  std::unique_ptr<ControllerClient> controller_client_;
  std::unique_ptr<BrokerSet> brokers_;
  std::shared_ptr<client::AdminClient> admin_;
  std::shared_ptr<client::MetadataCache> metadata_;
};

TEST_F(ClientTest, AdminCallsAgainstARealQuorum) {
  ASSERT_TRUE(admin_->CreateTopic("admin-t", 2, 3, {{"retention.ms", "60000"}}).ok());
  absl::Status again = admin_->CreateTopic("admin-t", 2, 3);
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  EXPECT_NE(admin_->LeaderAddress(), "");

  ASSERT_TRUE(admin_->CreatePartitions("admin-t", 4).ok());
  ASSERT_TRUE(admin_->AlterConfigs("admin-t", {{"cleanup.policy", "delete"}}, {"retention.ms"}).ok());
  // Reads may lag the leader by a heartbeat: wait for the change to show.
  controller::TopicDescription t;
  for (int i = 0; i < 50; ++i) {
    auto described = admin_->DescribeTopics({"admin-t"});
    ASSERT_TRUE(described.ok()) << described.status();
    t = described->topics(0);
    if (t.partitions_size() == 4 && t.configs().count("retention.ms") == 0) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(t.partitions_size(), 4);
  EXPECT_EQ(t.configs().at("cleanup.policy"), "delete");
  EXPECT_EQ(t.configs().count("retention.ms"), 0u);

  auto cluster = admin_->DescribeCluster();
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(cluster->brokers_size(), 3);
  auto quorum = admin_->DescribeQuorum();
  ASSERT_TRUE(quorum.ok());
  EXPECT_EQ(quorum->cluster_id(), controllers_->cluster_id());
  auto listed = admin_->ListTopics(/*linearizable=*/true);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->names_size(), 1);

  ASSERT_TRUE(admin_->DeleteTopics({"admin-t"}).ok());
  EXPECT_FALSE(admin_->CreatePartitions("no-such-topic", 3).ok());
}

TEST_F(ClientTest, ProducerKeepsEveryRecordInOrderAcrossALeaderKill) {
  constexpr int kPartitions = 3;
  ASSERT_TRUE(admin_->CreateTopic("orders", kPartitions, 3).ok());
  client::ProducerConfig config;
  config.acks = broker::ACKS_ALL;
  config.linger_ms = 5;
  config.batch_size_bytes = 2048;  // many batches
  config.request_timeout_ms = 3000;
  config.delivery_timeout_ms = 60000;
  client::Producer producer(config, metadata_);

  constexpr int kKeys = 12;
  constexpr int kRecords = 6000;
  std::atomic<int> acked{0};
  std::atomic<int> failed{0};
  std::mutex mu;
  std::string first_error;
  std::thread killer;
  for (int i = 0; i < kRecords; ++i) {
    client::ProducerRecord r;
    r.topic = "orders";
    r.key = "key-" + std::to_string(i % kKeys);
    r.value = std::to_string(i);
    ASSERT_TRUE(producer
                    .Send(std::move(r),
                          [&, key = i % kKeys](const absl::StatusOr<client::RecordMetadata>& m) {
                            if (m.ok()) {
                              EXPECT_EQ(m->partition,
                                        client::KeyPartition("key-" + std::to_string(key),
                                                             kPartitions));
                              ++acked;
                              return;
                            }
                            ++failed;
                            std::lock_guard<std::mutex> lock(mu);
                            if (first_error.empty()) first_error = m.status().ToString();
                          })
                    .ok());
    if (i == kRecords / 3) {
      // Kill the broker leading partition 0 while records keep coming.
      auto topic = metadata_->Topic("orders", seconds(5));
      ASSERT_TRUE(topic.ok());
      const int leader = (*topic)->Find(0)->leader_id;
      ASSERT_GT(leader, 0);
      brokers_->KillBroker(leader);
    }
    if (i % 500 == 0) std::this_thread::sleep_for(milliseconds(20));  // spread over time
  }
  producer.Flush();
  EXPECT_EQ(failed.load(), 0) << first_error;
  EXPECT_EQ(acked.load(), kRecords);
  EXPECT_GE(producer.metrics().retries + producer.metrics().metadata_refreshes, 1);

  // Read everything back: each key's values ascend (per-partition order), every value is
  // there (duplicates from retried calls are allowed: at-least-once).
  client::ConsumerConfig cc;
  cc.auto_offset_reset = "earliest";
  cc.fetch_max_wait_ms = 200;
  client::Consumer consumer(cc, metadata_);
  std::vector<client::TopicPartition> tps;
  for (int p = 0; p < kPartitions; ++p) tps.push_back({"orders", p});
  consumer.Assign(tps);
  std::map<std::string, int> last_value;
  std::set<int> seen;
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (static_cast<int>(seen.size()) < kRecords && std::chrono::steady_clock::now() < deadline) {
    auto records = consumer.Poll(milliseconds(1000));
    ASSERT_TRUE(records.ok()) << records.status();
    for (const auto& r : *records) {
      const int v = std::stoi(r.value);
      auto it = last_value.find(r.key);
      if (it != last_value.end() && !seen.count(v)) {
        EXPECT_GT(v, it->second) << "key " << r.key << " out of order";
      }
      if (!seen.count(v)) last_value[r.key] = v;
      seen.insert(v);
      EXPECT_EQ(r.partition, client::KeyPartition(r.key, kPartitions));
    }
  }
  EXPECT_EQ(static_cast<int>(seen.size()), kRecords);
  EXPECT_TRUE(producer.Close(seconds(5)).ok());
}

}  // namespace
}  // namespace keel::testing

// A broker's /metrics with real processes: per-topic traffic, per-partition offsets, gRPC
// server metrics, and a scrape that passes `promtool check metrics`.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "observability/http_get.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"
#include "tests/integration/prometheus_text.h"
#include "tools/ctl/health.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A 3-controller quorum and a client of it; each test starts its own brokers.
class BrokerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(controllers_.StartAll());
    ASSERT_GT(controllers_.WaitForLeader(seconds(20)), 0);
    std::vector<std::string> addresses;
    for (int id : controllers_.ids()) addresses.push_back(controllers_.Address(id));
    client_ = std::make_unique<ControllerClient>(addresses);
  }

  ControllerCluster controllers_{ControllerClusterOptions{}};
  std::unique_ptr<ControllerClient> client_;
};

TEST_F(BrokerProcessTest, MetricsShowTrafficOffsetsAndRpcsAndPassPromtool) {
  const int metrics_port = PickFreePort();
  BrokerSetOptions options;
  options.brokers = 1;
  options.extra_flags = {"--metrics_address=127.0.0.1:" + std::to_string(metrics_port)};
  BrokerSet brokers(&controllers_, options);
  ASSERT_TRUE(brokers.StartAll());
  ASSERT_TRUE(brokers.WaitAllUnfenced(client_.get(), seconds(20)));
  auto scrape = [&] {
    auto r = observability::HttpGet("127.0.0.1", metrics_port, "/metrics", seconds(5));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->body : std::string();
  };

  controller::CreateTopicsResponse created;
  ASSERT_TRUE(client_->CreateTopic("metered", 1, 1, &created).ok());
  DataClient data(client_.get());
  std::vector<std::pair<std::string, std::string>> records;
  for (int i = 0; i < 10; ++i) records.emplace_back("k", std::string(100, 'v'));
  ASSERT_EQ(data.Produce("metered", 0, records).error, keel::NONE);
  ASSERT_EQ(data.Produce("metered", 0, records).error, keel::NONE);
  auto fetched = data.Fetch("metered", 0, 0);
  ASSERT_EQ(fetched.error(), keel::NONE);
  int fetched_records = 0;
  for (const auto& b : fetched.batches()) fetched_records += b.records_size();

  const std::string text = scrape();
  const std::string topic = "topic=\"metered\"";
  EXPECT_EQ(Sum(text, "keel_broker_topic_received_records_total", {topic}), 20);
  EXPECT_GT(Sum(text, "keel_broker_topic_received_bytes_total", {topic}), 20 * 100);
  EXPECT_EQ(Sum(text, "keel_broker_topic_sent_records_total", {topic}), fetched_records);
  EXPECT_EQ(Sum(text, "keel_broker_partition_log_end_offset", {topic, "partition=\"0\""}), 20);
  EXPECT_EQ(Sum(text, "keel_broker_partition_high_watermark", {topic, "partition=\"0\""}), 20);
  EXPECT_EQ(Sum(text, "keel_broker_leader_partitions"), 1);
  EXPECT_EQ(Sum(text, "keel_broker_under_replicated_partitions"), 0);
  EXPECT_GE(Sum(text, "keel_grpc_server_requests_total", {"Produce", "code=\"OK\""}), 2);
  EXPECT_GE(Sum(text, "keel_grpc_server_request_duration_seconds_count", {"Fetch"}), 1);

  // Counters move with traffic.
  ASSERT_EQ(data.Produce("metered", 0, records).error, keel::NONE);
  EXPECT_EQ(Sum(scrape(), "keel_broker_topic_received_records_total", {topic}), 30);

  const char* promtool = "/usr/bin/promtool";
  ASSERT_EQ(access(promtool, X_OK), 0) << promtool << " missing: run tools/install-deps.sh";
  const std::string path = MakeTempDir("broker-scrape") + "/metrics.txt";
  std::ofstream(path) << scrape();
  std::string output;
  const int code = RunCommand(
      {"/bin/sh", "-c", std::string(promtool) + " check metrics < " + path}, &output, seconds(30));
  EXPECT_EQ(code, 0) << "promtool says:\n" << output;
}

// grpc.health.v1 on a broker follows its own view of its session: SERVING once registered and
// unfenced, NOT_SERVING when it can no longer reach the quorum (it stops acting as a leader).
TEST_F(BrokerProcessTest, HealthIsServingWhileUnfencedAndNotServingOnceCutOffFromTheQuorum) {
  BrokerSetOptions options;
  options.brokers = 1;
  options.extra_flags = {"--heartbeat_interval_ms=200", "--broker_session_timeout_ms=1500"};
  BrokerSet brokers(&controllers_, options);
  ASSERT_TRUE(brokers.StartAll());
  const std::string address = brokers.Address(brokers.ids().front());
  auto wait_for = [&](const std::string& want, std::chrono::milliseconds timeout) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      got = keelctl::CheckHealth(address, milliseconds(1000));
      if (got == want) return got;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return got;
  };
  ASSERT_TRUE(brokers.WaitAllUnfenced(client_.get(), seconds(20)));
  EXPECT_EQ(wait_for("SERVING", seconds(5)), "SERVING");
  for (int id : controllers_.ids()) controllers_.KillNode(id);
  // Session 1.5 s without an unfenced heartbeat answer, checked every 200 ms.
  EXPECT_EQ(wait_for("NOT_SERVING", seconds(10)), "NOT_SERVING");
}

}  // namespace
}  // namespace keel::testing

// /metrics of a real 3-controller quorum: the series the issue asks for exist, move as
// requests are made, agree across the quorum, and pass `promtool check metrics`.
//
// Every process binds 127.0.0.1 on ephemeral ports and is killed by the fixture.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "observability/http_get.h"
#include "tests/integration/controller_cluster.h"
#include "tests/integration/prometheus_text.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPromtool[] = "/usr/bin/promtool";

class MetricsControllerTest : public ::testing::Test {
 protected:
  void StartCluster(std::vector<std::string> extra_flags = {}) {
    ControllerClusterOptions options;
    options.serve_metrics = true;
    options.extra_flags = std::move(extra_flags);
    cluster_ = std::make_unique<ControllerCluster>(options);
    ASSERT_TRUE(cluster_->StartAll());
    leader_ = cluster_->WaitForLeader(seconds(15));
    ASSERT_GT(leader_, 0) << "no leader; node 1 log:\n" << cluster_->NodeLog(1);
    std::vector<std::string> addresses;
    for (int id : cluster_->ids()) addresses.push_back(cluster_->Address(id));
    client_ = std::make_unique<ControllerClient>(addresses);
  }

  std::string Scrape(int id) {
    // A node answers gRPC a moment before its metrics server is up: retry a refused connect.
    auto response = observability::HttpGet("127.0.0.1", cluster_->MetricsPort(id), "/metrics",
                                           milliseconds(5000));
    for (int attempt = 0; attempt < 50 && !response.ok(); ++attempt) {
      std::this_thread::sleep_for(milliseconds(100));
      response = observability::HttpGet("127.0.0.1", cluster_->MetricsPort(id), "/metrics",
                                        milliseconds(5000));
    }
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return "";
    EXPECT_EQ(response->status_code, 200) << response->headers;
    return response->body;
  }

  // Polls node `id` until Sum(name, labels) satisfies `ok`, for at most `timeout`.
  template <typename Pred>
  bool WaitForMetric(int id, const std::string& name, const std::vector<std::string>& labels,
                     Pred ok, milliseconds timeout = milliseconds(10000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ok(Sum(Scrape(id), name, labels))) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }

  // Registers fake broker `id`, heartbeats, and waits until the controller unfences it.
  FakeBroker* StartBroker(int id) {
    auto broker = std::make_unique<FakeBroker>(client_.get(), id, cluster_->cluster_id());
    grpc::Status status = broker->Register(seconds(10));
    EXPECT_TRUE(status.ok()) << status.error_message();
    broker->StartHeartbeats();
    auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (broker->fenced() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    EXPECT_FALSE(broker->fenced()) << "broker " << id << " never unfenced";
    brokers_.push_back(std::move(broker));
    return brokers_.back().get();
  }

  void TearDown() override {
    for (auto& b : brokers_) b->StopHeartbeats();
  }

  std::unique_ptr<ControllerCluster> cluster_;
  std::unique_ptr<ControllerClient> client_;
  std::vector<std::unique_ptr<FakeBroker>> brokers_;
  int leader_ = -1;
};

TEST_F(MetricsControllerTest, SeriesMoveWithRequestsAndAgreeAcrossTheQuorum) {
  StartCluster();
  // Exactly one active controller, and every node names the same leader.
  ASSERT_TRUE(WaitForMetric(leader_, "keel_controller_active", {}, [](double v) { return v == 1; }))
      << Scrape(leader_);
  double active = 0;
  for (int id : cluster_->ids()) {
    std::string text = Scrape(id);
    active += Sum(text, "keel_controller_active");
    EXPECT_EQ(Sum(text, "keel_raft_leader_id"), leader_) << "node " << id;
    EXPECT_EQ(Sum(text, "keel_raft_state", {"state=\"leader\""}), id == leader_ ? 1 : 0);
    EXPECT_GE(Sum(text, "keel_raft_epoch"), 1);
    EXPECT_GE(Sum(text, "keel_raft_election_duration_seconds_count"), 1) << "node " << id;
    // Raft traffic: this node both served and sent RaftService/Send.
    EXPECT_GT(Sum(text, "keel_grpc_server_requests_total",
                  {"method=\"/keel.raft.RaftService/Send\"", "code=\"OK\""}),
              0);
    EXPECT_GT(Sum(text, "keel_grpc_client_requests_total",
                  {"method=\"/keel.raft.RaftService/Send\"", "target=\"127.0.0.1:"}),
              0);
  }
  EXPECT_EQ(active, 1);

  const std::string before = Scrape(leader_);
  const std::vector<std::string> create_ok = {
      "method=\"/keel.controller.AdminService/CreateTopics\"", "code=\"OK\""};
  const double creates_before = std::max(0.0, Sum(before, "keel_grpc_server_requests_total",
                                                  create_ok));

  // One broker, then three topics of two partitions each.
  StartBroker(1);
  for (int i = 0; i < 3; ++i) {
    controller::CreateTopicsResponse response;
    grpc::Status status = client_->CreateTopic("metrics-" + std::to_string(i), 2, 1, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  const std::string after = Scrape(leader_);
  EXPECT_EQ(Sum(after, "keel_grpc_server_requests_total", create_ok), creates_before + 3)
      << after;
  const std::string create = "method=\"/keel.controller.AdminService/CreateTopics\"";
  EXPECT_GE(Sum(after, "keel_grpc_server_request_duration_seconds_count", {create}), 3);
  EXPECT_GT(Sum(after, "keel_grpc_server_request_duration_seconds_sum", {create}), 0);
  EXPECT_GT(Sum(after, "keel_grpc_server_received_bytes_total", {create}), 0);
  EXPECT_GT(Sum(after, "keel_grpc_server_sent_bytes_total", {create}), 0);
  EXPECT_GE(Sum(after, "keel_grpc_server_requests_total",
                {"method=\"/keel.controller.BrokerLifecycleService/RegisterBroker\""}),
            1);
  EXPECT_GT(Sum(after, "keel_raft_commit_duration_seconds_count"),
            Sum(before, "keel_raft_commit_duration_seconds_count"));
  EXPECT_GT(Sum(after, "keel_raft_log_fsync_duration_seconds_count"),
            Sum(before, "keel_raft_log_fsync_duration_seconds_count"));
  EXPECT_GT(Sum(after, "keel_raft_high_watermark"), Sum(before, "keel_raft_high_watermark"));

  // Every node applies the topics; image counts are read at scrape time.
  for (int id : cluster_->ids()) {
    EXPECT_TRUE(WaitForMetric(id, "keel_controller_partitions", {},
                              [](double v) { return v == 6; }))
        << "node " << id << "\n"
        << Scrape(id);
    std::string text = Scrape(id);
    EXPECT_EQ(Sum(text, "keel_controller_topics"), 3);
    EXPECT_EQ(Sum(text, "keel_controller_offline_partitions"), 0);
    EXPECT_EQ(Sum(text, "keel_controller_active_brokers"), 1);
    EXPECT_EQ(Sum(text, "keel_controller_fenced_brokers"), 0);
    EXPECT_GE(Sum(text, "keel_controller_last_applied_offset"), 1);
    EXPECT_GE(Sum(text, "keel_raft_log_end_offset"), Sum(text, "keel_raft_high_watermark"));
  }
}

TEST_F(MetricsControllerTest, BrokerSessionTimeoutIsCountedAndFencesIt) {
  StartCluster({"--broker_session_timeout_ms=1500"});
  FakeBroker* broker = StartBroker(7);
  ASSERT_FALSE(broker->fenced());
  EXPECT_TRUE(WaitForMetric(leader_, "keel_controller_active_brokers", {},
                            [](double v) { return v == 1; }));
  broker->StopHeartbeats();
  EXPECT_TRUE(WaitForMetric(leader_, "keel_controller_broker_session_timeouts_total", {},
                            [](double v) { return v == 1; }))
      << Scrape(leader_);
  for (int id : cluster_->ids()) {
    EXPECT_TRUE(WaitForMetric(id, "keel_controller_fenced_brokers", {},
                              [](double v) { return v == 1; }))
        << "node " << id;
  }
  EXPECT_NE(cluster_->NodeLog(leader_).find("broker 7 fenced at offset"), std::string::npos)
      << cluster_->NodeLog(leader_);
}

TEST_F(MetricsControllerTest, ScrapesPassPromtool) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " missing: run tools/install-deps.sh";
  StartCluster();
  controller::CreateTopicsResponse response;
  (void)client_->CreateTopic("no-brokers", 1, 1, &response);  // an error code series, too
  for (int id : cluster_->ids()) {
    const std::string text = Scrape(id);
    ASSERT_FALSE(text.empty());
    const std::string path = MakeTempDir("scrape") + "/metrics.txt";
    std::ofstream(path) << text;
    std::string output;
    int code = RunCommand({"/bin/sh", "-c", std::string(kPromtool) + " check metrics < " + path},
                          &output, seconds(30));
    EXPECT_EQ(code, 0) << "node " << id << ": promtool says:\n" << output << "\non:\n" << text;
  }
}

}  // namespace
}  // namespace keel::testing

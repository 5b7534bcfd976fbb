#include "controller/observability/raft_metrics.h"

#include <gtest/gtest.h>

#include "controller/observability/controller_metrics.h"

namespace keel::observability {
namespace {

using std::chrono::milliseconds;

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(RaftMetricsTest, CountsElectionsAndLeaderChangesFromStatus) {
  auto registry = MetricsRegistry::Create();
  RaftMetrics metrics(*registry);
  auto t0 = RaftMetrics::Clock::now();
  metrics.SetStatus(raft::Role::kFollower, 0, 0, 0, 0, t0);
  metrics.SetStatus(raft::Role::kPreCandidate, 0, 0, 0, 0, t0 + milliseconds(300));
  metrics.SetStatus(raft::Role::kCandidate, 0, 1, 0, 0, t0 + milliseconds(310));
  metrics.SetStatus(raft::Role::kCandidate, 0, 1, 0, 0, t0 + milliseconds(320));  // same epoch
  metrics.SetStatus(raft::Role::kCandidate, 0, 2, 0, 0, t0 + milliseconds(900));  // retried
  metrics.SetStatus(raft::Role::kLeader, 3, 2, 1, 1, t0 + milliseconds(950));
  std::string text = registry->ScrapeText();
  EXPECT_TRUE(Has(text, "keel_raft_elections_total 2")) << text;
  EXPECT_TRUE(Has(text, "keel_raft_leader_changes_total 1")) << text;
  EXPECT_TRUE(Has(text, "keel_raft_leader_id 3")) << text;
  EXPECT_TRUE(Has(text, "keel_raft_epoch 2")) << text;
  EXPECT_TRUE(Has(text, "keel_raft_state{state=\"leader\"} 1")) << text;
  EXPECT_TRUE(Has(text, "keel_raft_state{state=\"candidate\"} 0")) << text;
  EXPECT_TRUE(Has(text, "keel_raft_election_duration_seconds_count 1")) << text;

  metrics.SetStatus(raft::Role::kFollower, 0, 3, 1, 1, t0 + milliseconds(2000));
  EXPECT_TRUE(Has(registry->ScrapeText(), "keel_raft_leader_id -1"));
}

TEST(ControllerMetricsTest, AppliedLagAndImageCounts) {
  auto registry = MetricsRegistry::Create();
  ControllerMetrics metrics(*registry);
  metrics.SetActive(true);
  metrics.SetApplied(10, 14);
  metrics.SetImageCounts({.fenced_brokers = 1,
                          .active_brokers = 2,
                          .topics = 3,
                          .partitions = 9,
                          .offline_partitions = 4});
  metrics.AddSessionTimeouts(2);
  std::string text = registry->ScrapeText();
  EXPECT_TRUE(Has(text, "keel_controller_active 1")) << text;
  EXPECT_TRUE(Has(text, "keel_controller_last_applied_offset 10")) << text;
  EXPECT_TRUE(Has(text, "keel_controller_last_applied_offset_lag 4")) << text;
  EXPECT_TRUE(Has(text, "keel_controller_offline_partitions 4")) << text;
  EXPECT_TRUE(Has(text, "keel_controller_broker_session_timeouts_total 2")) << text;
}

}  // namespace
}  // namespace keel::observability

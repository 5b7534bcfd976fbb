#include "observability/metrics_registry.h"

#include <gtest/gtest.h>

namespace keel::observability {
namespace {

TEST(CheckMetricNameTest, AcceptsKeelNames) {
  EXPECT_TRUE(CheckMetricName("keel_raft_elections_total", MetricKind::kCounter).ok());
  EXPECT_TRUE(CheckMetricName("keel_raft_commit_duration_seconds", MetricKind::kHistogram).ok());
  EXPECT_TRUE(CheckMetricName("keel_broker_log_size_bytes", MetricKind::kGauge).ok());
}

TEST(CheckMetricNameTest, RejectsNamesBreakingTheRules) {
  EXPECT_FALSE(CheckMetricName("raft_elections_total", MetricKind::kCounter).ok());
  EXPECT_FALSE(CheckMetricName("keel_raft_elections", MetricKind::kCounter).ok());
  EXPECT_FALSE(CheckMetricName("keel_raft_leader_total", MetricKind::kGauge).ok());
  EXPECT_FALSE(CheckMetricName("keel_raft_commit_ms", MetricKind::kHistogram).ok());
  EXPECT_FALSE(CheckMetricName("keel_raft_commit_milliseconds", MetricKind::kHistogram).ok());
  EXPECT_FALSE(CheckMetricName("keel_Raft_epoch", MetricKind::kGauge).ok());
  EXPECT_FALSE(CheckMetricName("keel_raft_epoch_count", MetricKind::kGauge).ok());
  EXPECT_FALSE(CheckMetricName("keel_raft__epoch", MetricKind::kGauge).ok());
}

TEST(MetricsRegistryTest, SameNameGivesSameFamily) {
  auto registry = MetricsRegistry::Create();
  auto& a = registry->Counter("keel_test_events_total", "Events.");
  auto& b = registry->Counter("keel_test_events_total", "Events.");
  EXPECT_EQ(&a, &b);
}

TEST(MetricsRegistryDeathTest, BadNameAborts) {
  auto registry = MetricsRegistry::Create();
  EXPECT_DEATH(registry->Counter("keel_test_events", "Events."), "must end in _total");
}

TEST(MetricsRegistryTest, ScrapeTextRunsHooksUntilRemoved) {
  auto registry = MetricsRegistry::Create();
  auto& gauge = registry->Gauge("keel_test_things", "Things.").Add({});
  int runs = 0;
  auto hook = registry->AddScrapeHook([&] { gauge.Set(++runs); });
  std::string text = registry->ScrapeText();
  EXPECT_NE(text.find("# TYPE keel_test_things gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("keel_test_things 1"), std::string::npos) << text;
  registry->ScrapeText();
  EXPECT_EQ(runs, 2);
  hook.reset();
  registry->ScrapeText();
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace keel::observability

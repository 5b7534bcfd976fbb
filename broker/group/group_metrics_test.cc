#include "broker/group/group_metrics.h"

#include "gtest/gtest.h"

namespace keel::broker::group {
namespace {

TEST(GroupMetricsTest, ScrapesShowGroupsByStateMembersAndRebalances) {
  auto registry = observability::MetricsRegistry::Create();
  int64_t now_ms = 0;
  MemOffsetStore store;
  GroupConfig config;
  config.initial_rebalance_delay_ms = 10;
  GroupCoordinator coordinator(config, [&] { return now_ms; }, &store, 1);
  GroupMetrics metrics(*registry, &coordinator);
  for (int i = 0; i < 2; ++i) {
    JoinRequest r;
    r.client_id = "c";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 10000;
    r.protocol_type = "consumer";
    r.protocols = {{"range", ""}};
    coordinator.Join("g", r, [](const JoinResult&) {});
  }
  coordinator.Commit("simple", {"", std::nullopt}, -1, {{{"t", 0}, {1, -1, std::nullopt}}});
  // The second member arrived during the initial delay, which waits once more.
  for (now_ms = 10; now_ms <= 20; now_ms += 10) coordinator.Tick();
  const std::string text = registry->ScrapeText();
  EXPECT_NE(text.find("keel_group_groups{state=\"CompletingRebalance\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("keel_group_groups{state=\"Empty\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_members{group=\"g\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_rebalances_total 1"), std::string::npos) << text;
  ASSERT_EQ(coordinator.Delete("simple"), 0);
  EXPECT_EQ(registry->ScrapeText().find("group=\"simple\""), std::string::npos);
}

}  // namespace
}  // namespace keel::broker::group

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

TEST(GroupMetricsTest, JoinSyncCommitLatenciesAndLagOfLedPartitions) {
  auto registry = observability::MetricsRegistry::Create();
  int64_t now_ms = 0;
  MemOffsetStore store;
  GroupConfig config;
  config.initial_rebalance_delay_ms = 10;
  GroupCoordinator coordinator(config, [&] { return now_ms; }, &store, 1);
  // This broker leads orders-0 (end 100) but not orders-1.
  GroupMetrics metrics(*registry, &coordinator, [](const TopicPartition& tp) {
    return tp.topic == "orders" && tp.partition == 0 ? int64_t{100} : int64_t{-1};
  });
  JoinRequest r;
  r.member_id = "";
  r.client_id = "c";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 10000;
  r.protocol_type = "consumer";
  r.protocols = {{"range", ""}};
  JoinResult joined;
  coordinator.Join("g", r, [&](const JoinResult& j) { joined = j; });
  now_ms = 250;  // the initial delay and then some: the join waited 250 ms
  coordinator.Tick();
  ASSERT_EQ(joined.error_code, 0);
  SyncRequest s;
  s.member_id = joined.member_id;
  s.generation_id = joined.generation_id;
  s.assignments[joined.member_id] = "a";
  coordinator.Sync("g", s, [](const SyncResult&) {});
  auto out = coordinator.Commit("g", {joined.member_id, std::nullopt}, joined.generation_id,
                                {{{"orders", 0}, {60, -1, std::nullopt}},
                                 {{"orders", 1}, {5, -1, std::nullopt}},
                                 {{"orders", 2}, {1, -1, std::string(5000, 'x')}}});
  const std::string text = registry->ScrapeText();
  EXPECT_NE(text.find("keel_group_join_duration_seconds_count 1"), std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_join_duration_seconds_sum 0.25"), std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_sync_duration_seconds_count 1"), std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_commit_duration_seconds_count 1"), std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_commits_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_committed_partitions_total{result=\"ok\"} 2"),
            std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_committed_partitions_total{result=\"error\"} 1"),
            std::string::npos) << text;
  EXPECT_NE(text.find("keel_group_lag{group=\"g\",partition=\"0\",topic=\"orders\"} 40"),
            std::string::npos) << text;
  EXPECT_EQ(text.find("partition=\"1\""), std::string::npos) << "not led here: no lag series";
  // A deleted group's lag goes with it.
  coordinator.Leave("g", {{joined.member_id, std::nullopt}});
  ASSERT_EQ(coordinator.Delete("g"), 0);
  EXPECT_EQ(registry->ScrapeText().find("keel_group_lag{"), std::string::npos);
}

}  // namespace
}  // namespace keel::broker::group

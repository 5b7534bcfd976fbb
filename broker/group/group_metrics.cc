#include "broker/group/group_metrics.h"

#include <vector>

namespace keel::broker::group {

GroupMetrics::GroupMetrics(observability::MetricsRegistry& registry,
                           GroupCoordinator* coordinator)
    : coordinator_(coordinator),
      groups_(registry.Gauge("keel_group_groups",
                             "Consumer groups this broker coordinates, by state.")),
      members_(registry.Gauge("keel_group_members", "Members of each consumer group.")),
      rebalances_(registry
                      .Counter("keel_group_rebalances_total",
                               "Consumer group rebalances completed (generations begun).")
                      .Add({})) {
  for (GroupState s : {GroupState::kEmpty, GroupState::kPreparingRebalance,
                       GroupState::kCompletingRebalance, GroupState::kStable}) {
    groups_.Add({{"state", std::string(StateName(s))}}).Set(0);
  }
  hook_ = registry.AddScrapeHook([this] { Refresh(); });
}

void GroupMetrics::Refresh() {
  std::map<std::string, int> by_state;
  std::map<std::string, prometheus::Gauge*> seen;
  for (const GroupSummary& g : coordinator_->List()) {
    ++by_state[std::string(StateName(g.state))];
    auto it = by_group_.find(g.group_id);
    prometheus::Gauge* gauge =
        it != by_group_.end() ? it->second : &members_.Add({{"group", g.group_id}});
    gauge->Set(static_cast<double>(g.member_count));
    seen[g.group_id] = gauge;
  }
  for (const auto& [id, gauge] : by_group_) {
    if (seen.count(id) == 0) members_.Remove(gauge);
  }
  by_group_ = std::move(seen);
  for (GroupState s : {GroupState::kEmpty, GroupState::kPreparingRebalance,
                       GroupState::kCompletingRebalance, GroupState::kStable}) {
    const std::string name(StateName(s));
    groups_.Add({{"state", name}}).Set(by_state[name]);
  }
  const uint64_t total = coordinator_->rebalances_total();
  if (total > rebalances_seen_) {
    rebalances_.Increment(static_cast<double>(total - rebalances_seen_));
    rebalances_seen_ = total;
  }
}

}  // namespace keel::broker::group

#include "broker/group/group_metrics.h"

#include <algorithm>
#include <vector>

namespace keel::broker::group {
namespace {

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

GroupMetrics::GroupMetrics(observability::MetricsRegistry& registry,
                           GroupCoordinator* coordinator, LogEndOffset log_end_offset)
    : coordinator_(coordinator),
      log_end_offset_(std::move(log_end_offset)),
      groups_(registry.Gauge("keel_group_groups",
                             "Consumer groups this broker coordinates, by state.")),
      members_(registry.Gauge("keel_group_members", "Members of each consumer group.")),
      rebalances_(registry
                      .Counter("keel_group_rebalances_total",
                               "Consumer group rebalances completed (generations begun).")
                      .Add({})),
      join_seconds_(registry
                        .Histogram("keel_group_join_duration_seconds",
                                   "JoinGroup answered with a generation, from arrival "
                                   "(the rebalance wait included).")
                        .Add({}, observability::DurationBucketsSeconds())),
      sync_seconds_(registry
                        .Histogram("keel_group_sync_duration_seconds",
                                   "SyncGroup answered with an assignment, from arrival.")
                        .Add({}, observability::DurationBucketsSeconds())),
      commit_seconds_(registry
                          .Histogram("keel_group_commit_duration_seconds",
                                     "OffsetCommit, its write to __consumer_offsets included.")
                          .Add({}, observability::DurationBucketsSeconds())),
      commits_(registry.Counter("keel_group_commits_total", "OffsetCommit requests answered.")
                   .Add({})),
      committed_ok_(registry
                        .Counter("keel_group_committed_partitions_total",
                                 "Partitions in OffsetCommit requests, by result.")
                        .Add({{"result", "ok"}})),
      committed_error_(registry
                           .Counter("keel_group_committed_partitions_total",
                                    "Partitions in OffsetCommit requests, by result.")
                           .Add({{"result", "error"}})),
      lag_(registry.Gauge("keel_group_lag",
                          "Log end offset (high watermark) minus the group's committed offset, "
                          "for partitions this broker leads.")) {
  for (GroupState s : {GroupState::kEmpty, GroupState::kPreparingRebalance,
                       GroupState::kCompletingRebalance, GroupState::kStable}) {
    groups_.Add({{"state", std::string(StateName(s))}}).Set(0);
  }
  coordinator_->SetObserver(this);
  hook_ = registry.AddScrapeHook([this] { Refresh(); });
}

GroupMetrics::~GroupMetrics() { coordinator_->SetObserver(nullptr); }

void GroupMetrics::OnJoin(int64_t latency_ms) { join_seconds_.Observe(Seconds(latency_ms)); }

void GroupMetrics::OnSync(int64_t latency_ms) { sync_seconds_.Observe(Seconds(latency_ms)); }

void GroupMetrics::OnCommit(int64_t latency_ms, size_t committed, size_t refused) {
  commit_seconds_.Observe(Seconds(latency_ms));
  commits_.Increment();
  committed_ok_.Increment(static_cast<double>(committed));
  committed_error_.Increment(static_cast<double>(refused));
}

void GroupMetrics::Refresh() {
  std::map<std::string, int> by_state;
  std::map<std::string, prometheus::Gauge*> seen;
  const std::vector<GroupSummary> groups = coordinator_->List();
  for (const GroupSummary& g : groups) {
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
  RefreshLag(groups);
}

void GroupMetrics::RefreshLag(const std::vector<GroupSummary>& groups) {
  if (!log_end_offset_) return;
  std::map<LagKey, prometheus::Gauge*> seen;
  for (const GroupSummary& g : groups) {
    for (const auto& [tp, committed] : coordinator_->FetchOffsets(g.group_id, std::nullopt)) {
      if (committed.offset < 0) continue;
      const int64_t end = log_end_offset_(tp);
      if (end < 0) continue;  // not led here: its leader's broker knows its end
      const LagKey key{g.group_id, tp.topic, tp.partition};
      auto it = lag_series_.find(key);
      prometheus::Gauge* gauge =
          it != lag_series_.end()
              ? it->second
              : &lag_.Add({{"group", g.group_id},
                           {"topic", tp.topic},
                           {"partition", std::to_string(tp.partition)}});
      gauge->Set(static_cast<double>(std::max<int64_t>(0, end - committed.offset)));
      seen[key] = gauge;
    }
  }
  for (const auto& [key, gauge] : lag_series_) {
    if (seen.count(key) == 0) lag_.Remove(gauge);
  }
  lag_series_ = std::move(seen);
}

}  // namespace keel::broker::group

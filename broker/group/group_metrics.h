// GroupMetrics: the group coordinator's Prometheus series (docs/observability.md naming),
// the same whichever front end (Kafka listener, gRPC GroupService) served the request:
//   keel_group_groups{state}              groups this broker coordinates, by Kafka state name
//   keel_group_members{group}             members per group (series of removed groups go away)
//   keel_group_rebalances_total           rebalances completed (generations begun)
//   keel_group_join_duration_seconds      JoinGroups answered with a generation, their wait
//                                         for the rebalance included (histogram)
//   keel_group_sync_duration_seconds      SyncGroups answered with an assignment (histogram)
//   keel_group_commit_duration_seconds    OffsetCommits, the durable write included (histogram)
//   keel_group_commits_total              OffsetCommit requests answered
//   keel_group_committed_partitions_total{result="ok"|"error"}  partitions in them
//   keel_group_lag{group,topic,partition} log end offset (high watermark) minus the committed
//                                         offset, for the partitions this broker leads
// Gauges are refreshed at each scrape; the latencies come from the coordinator's observer.
//
// Thread safety: the hook runs on the scraping thread; the observer methods on request
// threads (prometheus-cpp's metrics are thread-safe); the coordinator is thread-safe.
#ifndef KEEL_BROKER_GROUP_GROUP_METRICS_H_
#define KEEL_BROKER_GROUP_GROUP_METRICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "broker/group/group_coordinator.h"
#include "observability/metrics_registry.h"

namespace keel::broker::group {

class GroupMetrics : public GroupObserver {
 public:
  // The partition's log end offset (its high watermark, what a consumer can reach) when this
  // broker leads it, else -1.
  using LogEndOffset = std::function<int64_t(const TopicPartition&)>;

  // `coordinator` outlives this; this installs itself as its observer until destroyed.
  // Without `log_end_offset` no lag is exported.
  GroupMetrics(observability::MetricsRegistry& registry, GroupCoordinator* coordinator,
               LogEndOffset log_end_offset = nullptr);
  ~GroupMetrics() override;

  void OnJoin(int64_t latency_ms) override;
  void OnSync(int64_t latency_ms) override;
  void OnCommit(int64_t latency_ms, size_t committed, size_t refused) override;

 private:
  using LagKey = std::tuple<std::string, std::string, int32_t>;  // group, topic, partition
  void Refresh();
  void RefreshLag(const std::vector<GroupSummary>& groups);

  GroupCoordinator* const coordinator_;
  const LogEndOffset log_end_offset_;
  prometheus::Family<prometheus::Gauge>& groups_;
  prometheus::Family<prometheus::Gauge>& members_;
  prometheus::Counter& rebalances_;
  prometheus::Histogram& join_seconds_;
  prometheus::Histogram& sync_seconds_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Counter& commits_;
  prometheus::Counter& committed_ok_;
  prometheus::Counter& committed_error_;
  prometheus::Family<prometheus::Gauge>& lag_;
  uint64_t rebalances_seen_ = 0;                          // scraping thread only
  std::map<std::string, prometheus::Gauge*> by_group_;    // scraping thread only
  std::map<LagKey, prometheus::Gauge*> lag_series_;       // scraping thread only
  std::unique_ptr<observability::ScrapeHook> hook_;       // last: unhooked first
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_GROUP_METRICS_H_

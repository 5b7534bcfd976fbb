// GroupMetrics: the group coordinator's Prometheus series, refreshed at each scrape from the
// coordinator (docs/observability.md naming):
//   keel_group_groups{state}           groups this broker coordinates, by Kafka state name
//   keel_group_members{group}          members per group (series of removed groups go away)
//   keel_group_rebalances_total        rebalances completed (generations begun)
// Join, sync, heartbeat and commit rates and latencies are the Kafka listener's per-API
// series (keel_grpc_server_*{listener="kafka", api="JoinGroup"|...}).
//
// Thread safety: the hook runs on the scraping thread; the coordinator is thread-safe.
#ifndef KEEL_BROKER_GROUP_GROUP_METRICS_H_
#define KEEL_BROKER_GROUP_GROUP_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "broker/group/group_coordinator.h"
#include "observability/metrics_registry.h"

namespace keel::broker::group {

class GroupMetrics {
 public:
  // `coordinator` outlives this.
  GroupMetrics(observability::MetricsRegistry& registry, GroupCoordinator* coordinator);

 private:
  void Refresh();

  GroupCoordinator* const coordinator_;
  prometheus::Family<prometheus::Gauge>& groups_;
  prometheus::Family<prometheus::Gauge>& members_;
  prometheus::Counter& rebalances_;
  uint64_t rebalances_seen_ = 0;                          // scraping thread only
  std::map<std::string, prometheus::Gauge*> by_group_;    // scraping thread only
  std::unique_ptr<observability::ScrapeHook> hook_;       // last: unhooked first
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_GROUP_METRICS_H_

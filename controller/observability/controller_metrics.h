// ControllerMetrics: the controller's own metrics (keel_controller_*), recorded by
// ControllerNode. Image counts (brokers, topics, partitions) are set by a scrape hook from
// the committed image, so they cost nothing between scrapes.
//
// Thread safety: every method is thread-safe (plain gauge and counter updates).
#ifndef KEEL_CONTROLLER_OBSERVABILITY_CONTROLLER_METRICS_H_
#define KEEL_CONTROLLER_OBSERVABILITY_CONTROLLER_METRICS_H_

#include <cstdint>

#include "observability/metrics_registry.h"

namespace keel::observability {

// Counts over the committed metadata image.
struct ImageCounts {
  int64_t fenced_brokers = 0;
  int64_t active_brokers = 0;  // registered and unfenced
  int64_t topics = 0;
  int64_t partitions = 0;
  int64_t offline_partitions = 0;  // no leader
};

class ControllerMetrics {
 public:
  explicit ControllerMetrics(MetricsRegistry& registry);

  // 1 while this node is the active controller (the leader serving writes), else 0.
  void SetActive(bool active) { active_.Set(active ? 1 : 0); }
  void SetApplied(int64_t applied_offset, int64_t high_watermark);
  void SetImageCounts(const ImageCounts& counts);
  // Brokers fenced because their session lapsed.
  void AddSessionTimeouts(int64_t brokers) {
    session_timeouts_.Increment(static_cast<double>(brokers));
  }

 private:
  prometheus::Gauge& active_;
  prometheus::Gauge& last_applied_offset_;
  prometheus::Gauge& last_applied_offset_lag_;
  prometheus::Gauge& fenced_brokers_;
  prometheus::Gauge& active_brokers_;
  prometheus::Gauge& topics_;
  prometheus::Gauge& partitions_;
  prometheus::Gauge& offline_partitions_;
  prometheus::Counter& session_timeouts_;
};

}  // namespace keel::observability

#endif  // KEEL_CONTROLLER_OBSERVABILITY_CONTROLLER_METRICS_H_

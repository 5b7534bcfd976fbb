#include "controller/observability/controller_metrics.h"

#include <algorithm>

namespace keel::observability {
namespace {

prometheus::Gauge& NewGauge(MetricsRegistry& registry, const std::string& name,
                            const std::string& help) {
  return registry.Gauge(name, help).Add({});
}

}  // namespace

ControllerMetrics::ControllerMetrics(MetricsRegistry& registry)
    : active_(NewGauge(registry, "keel_controller_active",
                       "1 on the active controller (the leader serving writes), else 0; "
                       "summed over the quorum it is 1 when healthy.")),
      last_applied_offset_(NewGauge(registry, "keel_controller_last_applied_offset",
                                    "Offset of the last metadata log entry applied to this "
                                    "controller's image.")),
      last_applied_offset_lag_(NewGauge(registry, "keel_controller_last_applied_offset_lag",
                                        "Committed entries not yet applied to the image "
                                        "(high watermark minus last applied offset).")),
      fenced_brokers_(NewGauge(registry, "keel_controller_fenced_brokers",
                               "Registered brokers that are fenced.")),
      active_brokers_(NewGauge(registry, "keel_controller_active_brokers",
                               "Registered brokers that are not fenced.")),
      topics_(NewGauge(registry, "keel_controller_topics", "Topics in the committed image.")),
      partitions_(
          NewGauge(registry, "keel_controller_partitions", "Partitions in the committed image.")),
      offline_partitions_(
          NewGauge(registry, "keel_controller_offline_partitions", "Partitions without a leader.")),
      session_timeouts_(registry
                            .Counter("keel_controller_broker_session_timeouts_total",
                                     "Brokers this controller fenced because no heartbeat "
                                     "arrived within the session timeout.")
                            .Add({})) {}

void ControllerMetrics::SetApplied(int64_t applied_offset, int64_t high_watermark) {
  last_applied_offset_.Set(static_cast<double>(applied_offset));
  last_applied_offset_lag_.Set(
      static_cast<double>(std::max<int64_t>(0, high_watermark - applied_offset)));
}

void ControllerMetrics::SetImageCounts(const ImageCounts& counts) {
  fenced_brokers_.Set(static_cast<double>(counts.fenced_brokers));
  active_brokers_.Set(static_cast<double>(counts.active_brokers));
  topics_.Set(static_cast<double>(counts.topics));
  partitions_.Set(static_cast<double>(counts.partitions));
  offline_partitions_.Set(static_cast<double>(counts.offline_partitions));
}

}  // namespace keel::observability

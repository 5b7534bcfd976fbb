// BrokerMetrics: the broker's own Prometheus series (docs/observability.md, "Broker"):
// bytes and records in and out per topic, log end offset and high watermark per hosted
// partition, under-replicated partitions, ISR shrinks and expansions.
//
// Per-topic counters are looked up once per topic and cached (a map lookup under a mutex per
// request, not a label hash); per-partition gauges are set by a scrape hook from the
// PartitionManager, so appends cost nothing extra, and series of partitions that left this
// broker are removed.
//
// Thread safety: all methods are thread-safe.
#ifndef KEEL_BROKER_BROKER_METRICS_H_
#define KEEL_BROKER_BROKER_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "broker/partition_manager.h"
#include "observability/metrics_registry.h"

namespace keel::broker {

class BrokerMetrics {
 public:
  BrokerMetrics(std::shared_ptr<observability::MetricsRegistry> registry,
                PartitionManager* partitions);
  ~BrokerMetrics();

  void RecordProduced(const std::string& topic, int64_t records, int64_t bytes);
  void RecordFetched(const std::string& topic, int64_t records, int64_t bytes);
  void RecordIsrChange(bool shrink, bool expand);

 private:
  struct TopicSeries {
    prometheus::Counter* bytes_in;
    prometheus::Counter* bytes_out;
    prometheus::Counter* records_in;
    prometheus::Counter* records_out;
  };
  TopicSeries& Topic(const std::string& topic);
  void Refresh();  // the scrape hook

  std::shared_ptr<observability::MetricsRegistry> registry_;
  PartitionManager* const partitions_;
  prometheus::Family<prometheus::Counter>& bytes_in_;
  prometheus::Family<prometheus::Counter>& bytes_out_;
  prometheus::Family<prometheus::Counter>& records_in_;
  prometheus::Family<prometheus::Counter>& records_out_;
  prometheus::Family<prometheus::Gauge>& log_end_;
  prometheus::Family<prometheus::Gauge>& high_watermark_;
  prometheus::Gauge& under_replicated_;
  prometheus::Gauge& leader_partitions_;
  prometheus::Counter& isr_shrinks_;
  prometheus::Counter& isr_expands_;

  std::mutex mu_;
  std::map<std::string, TopicSeries> topics_;  // guarded by mu_
  // Per-partition gauges currently exported; only the scrape hook touches them.
  std::map<std::pair<std::string, int32_t>, std::pair<prometheus::Gauge*, prometheus::Gauge*>>
      partition_series_;
  std::unique_ptr<observability::ScrapeHook> hook_;
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_BROKER_METRICS_H_

// LogCleaner: the broker thread that compacts the partition logs whose topic's
// cleanup.policy includes "compact" (docs/compaction.md), as Kafka's log cleaner does. Every
// backoff_ms it runs storage::Log::Compact on each such replica, leader or follower alike
// (replicas compact independently; offsets never change, so they stay comparable).
//
// Metrics: keel_broker_log_cleaner_{bytes_cleaned,segments_rewritten,records_removed}_total
// and keel_broker_log_cleaner_last_run_timestamp_seconds / _last_run_duration_seconds.
//
// Thread safety: Start/Stop from one thread; RunOnce is thread-safe (serialized) and holds
// no lock of the broker while the logs do I/O.
#ifndef KEEL_BROKER_LOG_CLEANER_H_
#define KEEL_BROKER_LOG_CLEANER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "broker/partition_manager.h"
#include "observability/metrics_registry.h"

namespace keel::broker {

struct LogCleanerOptions {
  int64_t backoff_ms = 15000;  // Kafka's log.cleaner.backoff.ms
  // Clock for tombstone expiry (delete.retention.ms against segment timestamps, which are
  // record times in ms since the epoch).
  std::function<int64_t()> now_ms;
};

struct LogCleanerTotals {
  int64_t runs = 0;
  int64_t bytes_cleaned = 0;
  int64_t segments_rewritten = 0;
  int64_t records_removed = 0;
  int64_t errors = 0;
};

class LogCleaner {
 public:
  // `registry` may be null (no metrics).
  LogCleaner(PartitionManager* partitions, LogCleanerOptions options,
             std::shared_ptr<observability::MetricsRegistry> registry);
  ~LogCleaner();

  void Start();
  void Stop();
  // One pass over every hosted replica of a compacted topic.
  void RunOnce();
  LogCleanerTotals totals() const;

 private:
  void Loop();

  PartitionManager* const partitions_;
  const LogCleanerOptions options_;
  std::shared_ptr<observability::MetricsRegistry> registry_;
  prometheus::Counter* bytes_cleaned_ = nullptr;
  prometheus::Counter* segments_rewritten_ = nullptr;
  prometheus::Counter* records_removed_ = nullptr;
  prometheus::Gauge* last_run_seconds_ = nullptr;
  prometheus::Gauge* last_run_duration_seconds_ = nullptr;

  std::mutex run_mu_;  // serializes RunOnce (held across log I/O, but no one else takes it)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;   // guarded by mu_
  LogCleanerTotals totals_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_LOG_CLEANER_H_

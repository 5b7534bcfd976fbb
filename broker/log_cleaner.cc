#include "broker/log_cleaner.h"

#include <chrono>

#include "common/logging.h"

namespace keel::broker {

LogCleaner::LogCleaner(PartitionManager* partitions, LogCleanerOptions options,
                       std::shared_ptr<observability::MetricsRegistry> registry)
    : partitions_(partitions), options_(std::move(options)), registry_(std::move(registry)) {
  if (registry_ == nullptr) return;
  bytes_cleaned_ = &registry_
                        ->Counter("keel_broker_log_cleaner_bytes_cleaned_total",
                                  "Bytes of closed segments the log cleaner read and compacted.")
                        .Add({});
  segments_rewritten_ = &registry_
                             ->Counter("keel_broker_log_cleaner_segments_rewritten_total",
                                       "Segments the log cleaner replaced by a compacted copy.")
                             .Add({});
  records_removed_ = &registry_
                          ->Counter("keel_broker_log_cleaner_records_removed_total",
                                    "Records compaction removed (superseded, expired "
                                    "tombstones, null keys).")
                          .Add({});
  last_run_seconds_ = &registry_
                      ->Gauge("keel_broker_log_cleaner_last_run_timestamp_seconds",
                              "When the log cleaner last finished a pass (since the epoch).")
                      .Add({});
  last_run_duration_seconds_ = &registry_
                               ->Gauge("keel_broker_log_cleaner_last_run_duration_seconds",
                                       "How long the log cleaner's last pass took.")
                               .Add({});
}

LogCleaner::~LogCleaner() { Stop(); }

void LogCleaner::Start() { thread_ = std::thread([this] { Loop(); }); }

void LogCleaner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

LogCleanerTotals LogCleaner::totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return totals_;
}

void LogCleaner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    RunOnce();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(options_.backoff_ms), [this] { return stopping_; });
  }
}

void LogCleaner::RunOnce() {
  std::lock_guard<std::mutex> running(run_mu_);
  const auto started = std::chrono::steady_clock::now();
  LogCleanerTotals pass;
  for (const std::shared_ptr<Partition>& p : partitions_->All()) {
    const TopicPolicy policy = p->policy();
    if (!policy.compact) continue;
    storage::CompactOptions compact;
    compact.now_ms = options_.now_ms();
    compact.delete_retention_ms = policy.delete_retention_ms;
    compact.min_cleanable_dirty_ratio = policy.min_cleanable_dirty_ratio;
    auto result = p->log()->Compact(compact);
    if (!result.ok()) {
      // Level-triggered: the next pass retries; the error is counted and logged.
      ++pass.errors;
      KEEL_LOG_WARN("log cleaner: {}-{}: {}", p->topic(), p->partition(),
                    result.status().ToString());
      continue;
    }
    if (!result->ran) continue;
    pass.bytes_cleaned += result->bytes_read;
    pass.segments_rewritten += result->segments_rewritten;
    pass.records_removed += result->records_removed;
    if (result->segments_rewritten > 0) {
      KEEL_LOG_INFO("log cleaner: {}-{}: {} segment(s) rewritten, {} record(s) and {} bytes "
                    "removed ({} tombstones)",
                    p->topic(), p->partition(), result->segments_rewritten,
                    result->records_removed, result->bytes_removed, result->tombstones_removed);
    }
  }
  const int64_t duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
  if (registry_ != nullptr) {
    bytes_cleaned_->Increment(static_cast<double>(pass.bytes_cleaned));
    segments_rewritten_->Increment(static_cast<double>(pass.segments_rewritten));
    records_removed_->Increment(static_cast<double>(pass.records_removed));
    last_run_seconds_->Set(static_cast<double>(options_.now_ms()) / 1000.0);
    last_run_duration_seconds_->Set(static_cast<double>(duration_ms) / 1000.0);
  }
  std::lock_guard<std::mutex> lock(mu_);
  totals_.runs += 1;
  totals_.bytes_cleaned += pass.bytes_cleaned;
  totals_.segments_rewritten += pass.segments_rewritten;
  totals_.records_removed += pass.records_removed;
  totals_.errors += pass.errors;
}

}  // namespace keel::broker

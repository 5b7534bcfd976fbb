// RaftMetrics: the controller quorum's Raft metrics (keel_raft_*), recorded by the driver
// (ControllerNode) from the core's Status and around the I/O it does for each Ready. The
// Raft core itself stays free of metrics.
//
// Thread safety: SetStatus and the Observe* calls must come from one thread (the node's loop
// thread: SetStatus keeps the previous status to count elections); scrapes read the series
// concurrently, which prometheus-cpp allows.
#ifndef KEEL_CONTROLLER_OBSERVABILITY_RAFT_METRICS_H_
#define KEEL_CONTROLLER_OBSERVABILITY_RAFT_METRICS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "controller/raft/ready.h"
#include "observability/metrics_registry.h"

namespace keel::observability {

class RaftMetrics {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RaftMetrics(MetricsRegistry& registry);

  // The node's current view; call after every step of the loop. Counts an election each
  // time the node campaigns in a new epoch as candidate, a leader change each time it
  // learns of a different leader, and measures election duration as the time the node
  // spent without a known leader (from losing it, or from start, to learning the next).
  void SetStatus(raft::Role role, uint64_t leader_id, uint64_t epoch, uint64_t high_watermark,
                 uint64_t log_end_offset, Clock::time_point now);

  void ObserveAppend(double seconds, size_t entries);
  void ObserveFsync(double seconds);
  // From a leader's proposal to the commit of that entry.
  void ObserveCommit(double seconds);
  void SnapshotTaken(size_t size_bytes);
  void SnapshotInstalled(size_t size_bytes);

 private:
  static constexpr int kRoles = 4;  // raft::Role values
  std::array<prometheus::Gauge*, kRoles> state_;
  prometheus::Gauge& leader_id_;
  prometheus::Gauge& epoch_;
  prometheus::Gauge& high_watermark_;
  prometheus::Gauge& log_end_offset_;
  prometheus::Counter& elections_;
  prometheus::Counter& leader_changes_;
  prometheus::Histogram& election_duration_;
  prometheus::Histogram& commit_duration_;
  prometheus::Histogram& append_duration_;
  prometheus::Histogram& fsync_duration_;
  prometheus::Counter& appended_entries_;
  prometheus::Counter& snapshots_taken_;
  prometheus::Counter& snapshots_installed_;
  prometheus::Gauge& snapshot_size_;

  // Loop-thread state for the derived counters.
  int last_role_ = -1;
  uint64_t last_leader_ = 0;
  uint64_t last_candidate_epoch_ = 0;
  std::optional<Clock::time_point> leaderless_since_;
};

}  // namespace keel::observability

#endif  // KEEL_CONTROLLER_OBSERVABILITY_RAFT_METRICS_H_

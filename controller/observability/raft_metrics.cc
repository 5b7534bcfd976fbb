#include "controller/observability/raft_metrics.h"

namespace keel::observability {
namespace {

// Label values of keel_raft_state; indexed by raft::Role.
constexpr const char* kStateNames[] = {"follower", "precandidate", "candidate", "leader"};

prometheus::Histogram& DurationHistogram(MetricsRegistry& registry, const std::string& name,
                                         const std::string& help) {
  return registry.Histogram(name, help).Add({}, DurationBucketsSeconds());
}

}  // namespace

RaftMetrics::RaftMetrics(MetricsRegistry& registry)
    : leader_id_(
          registry.Gauge("keel_raft_leader_id", "The leader this node knows (-1: none known).")
              .Add({})),
      epoch_(registry.Gauge("keel_raft_epoch", "The current Raft term (Kafka's epoch).").Add({})),
      high_watermark_(registry
                          .Gauge("keel_raft_high_watermark",
                                 "Offset of the last committed metadata log entry "
                                 "(the commit index).")
                          .Add({})),
      log_end_offset_(
          registry.Gauge("keel_raft_log_end_offset", "Offset of the last entry in this node's log.")
              .Add({})),
      elections_(registry
                     .Counter("keel_raft_elections_total",
                              "Elections this node started as candidate (one per epoch).")
                     .Add({})),
      leader_changes_(
          registry
              .Counter("keel_raft_leader_changes_total", "Times this node learned of a new leader.")
              .Add({})),
      election_duration_(DurationHistogram(
          registry, "keel_raft_election_duration_seconds",
          "Time this node spent without a known leader before learning the next one.")),
      commit_duration_(
          DurationHistogram(registry, "keel_raft_commit_duration_seconds",
                            "On the leader: time from proposing an entry to its commit.")),
      append_duration_(DurationHistogram(registry, "keel_raft_log_append_duration_seconds",
                                         "Time to append one Ready's entries to the log "
                                         "(before fsync).")),
      fsync_duration_(DurationHistogram(registry, "keel_raft_log_fsync_duration_seconds",
                                        "Time to fsync the log after an append.")),
      appended_entries_(registry
                            .Counter("keel_raft_log_appended_entries_total",
                                     "Entries appended to this node's log.")
                            .Add({})),
      snapshots_taken_(registry
                           .Counter("keel_raft_snapshots_taken_total",
                                    "Snapshots of the metadata image this node wrote.")
                           .Add({})),
      snapshots_installed_(registry
                               .Counter("keel_raft_snapshots_installed_total",
                                        "Snapshots received from the leader and installed.")
                               .Add({})),
      snapshot_size_(registry
                         .Gauge("keel_raft_snapshot_size_bytes",
                                "Size of the latest snapshot taken or installed.")
                         .Add({})) {
  auto& state =
      registry.Gauge("keel_raft_state", "1 for this node's current Raft role, 0 for the others.");
  for (int i = 0; i < kRoles; ++i) state_[i] = &state.Add({{"state", kStateNames[i]}});
  leader_id_.Set(-1);
  leaderless_since_ = Clock::now();
}

void RaftMetrics::SetStatus(raft::Role role, uint64_t leader_id, uint64_t epoch,
                            uint64_t high_watermark, uint64_t log_end_offset,
                            Clock::time_point now) {
  const int role_index = static_cast<int>(role);
  if (role_index != last_role_) {
    for (int i = 0; i < kRoles; ++i) state_[i]->Set(i == role_index ? 1 : 0);
    last_role_ = role_index;
  }
  if (role == raft::Role::kCandidate && epoch > last_candidate_epoch_) {
    elections_.Increment();
    last_candidate_epoch_ = epoch;
  }
  if (leader_id != last_leader_) {
    if (leader_id == 0) {
      leaderless_since_ = now;
    } else {
      leader_changes_.Increment();
      if (leaderless_since_.has_value()) {
        election_duration_.Observe(std::chrono::duration<double>(now - *leaderless_since_).count());
        leaderless_since_.reset();
      }
    }
    last_leader_ = leader_id;
  }
  leader_id_.Set(leader_id == 0 ? -1 : static_cast<double>(leader_id));
  epoch_.Set(static_cast<double>(epoch));
  high_watermark_.Set(static_cast<double>(high_watermark));
  log_end_offset_.Set(static_cast<double>(log_end_offset));
}

void RaftMetrics::ObserveAppend(double seconds, size_t entries) {
  append_duration_.Observe(seconds);
  appended_entries_.Increment(static_cast<double>(entries));
}

void RaftMetrics::ObserveFsync(double seconds) { fsync_duration_.Observe(seconds); }

void RaftMetrics::ObserveCommit(double seconds) { commit_duration_.Observe(seconds); }

void RaftMetrics::SnapshotTaken(size_t size_bytes) {
  snapshots_taken_.Increment();
  snapshot_size_.Set(static_cast<double>(size_bytes));
}

void RaftMetrics::SnapshotInstalled(size_t size_bytes) {
  snapshots_installed_.Increment();
  snapshot_size_.Set(static_cast<double>(size_bytes));
}

}  // namespace keel::observability

// Partition: one replica of a topic partition on this broker: its segmented log plus what the
// committed metadata says about it (leader, leader epoch, ISR) and the high watermark.
//
// The log is opened with FlushPolicy::Never and flushed here instead, because the topic's flush
// policy (flush.messages / flush.ms) is a dynamic topic config: an AlterConfigs takes effect
// on the next append, with no reopen. Kafka's defaults (no fsync; durability comes from
// replication) apply when the topic sets neither.
//
// High watermark: the leader advances it to the minimum log end offset over the maximal ISR
// (itself included): the committed ISR plus every replica an ISR expansion this leader sent
// may add, until the metadata shows the outcome (a new partition epoch). Kafka does the same
// (KIP-497's "maximal ISR"): a replica the controller may already count as in sync, and so
// may elect, must hold every record below the high watermark. With an ISR of one the high
// watermark follows the log end. It never moves backwards while the leader epoch stays the
// same. Followers take it from the leader's fetch responses.
//
// Thread safety: all methods are thread-safe. The log has its own lock; mu_ guards the
// metadata-derived state, the follower positions and the leader-epoch history.
#ifndef KEEL_BROKER_PARTITION_H_
#define KEEL_BROKER_PARTITION_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/log.h"
#include "storage/state_keys.h"

namespace keel::broker {

// The topic configs the data path needs, resolved with broker defaults.
struct TopicPolicy {
  int64_t max_message_bytes = 1048588;  // Kafka's message.max.bytes default
  int64_t flush_messages = 0;           // fsync after this many unflushed batches; 0 = never
  int64_t flush_ms = 0;                 // fsync when the last one is older; 0 = never
  int32_t min_insync_replicas = 1;
  bool unclean_leader_election = false;
  // cleanup.policy (docs/compaction.md): retention deletes old segments unless the policy
  // is compact only; compaction runs when it includes compact.
  bool delete_old = true;
  bool compact = false;
  int64_t delete_retention_ms = 86400000;  // Kafka's delete.retention.ms default
  double min_cleanable_dirty_ratio = 0.5;  // Kafka's min.cleanable.dirty.ratio default
  // segment.bytes / segment.ms: when the active segment rolls. 0: the broker's log options
  // (--log_segment_bytes; segment.ms has no broker flag: 7 days, Kafka's log.roll.ms).
  int64_t segment_bytes = 0;
  int64_t segment_ms = 0;
};

// What the committed metadata says about this partition.
struct PartitionAssignment {
  std::string topic_id;  // 16 raw bytes
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
};

class Partition {
 public:
  // Opens (or creates) the log in `dir`. `local_id` is this broker's id.
  static absl::StatusOr<std::unique_ptr<Partition>> Open(std::string dir, std::string topic,
                                                         int32_t partition, int32_t local_id,
                                                         const storage::LogOptions& options);
  ~Partition();

  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }
  const std::string& dir() const { return dir_; }
  storage::Log* log() const { return log_.get(); }

  // Applies the newest committed assignment and topic policy. Returns true when this call
  // made the broker the leader of a newer leader epoch (the caller persists the epoch history).
  bool Update(const PartitionAssignment& assignment, const TopicPolicy& policy, int64_t now_ms);

  PartitionAssignment assignment() const;
  TopicPolicy policy() const;
  bool IsLeader() const;
  // True while this broker is the leader in exactly `leader_epoch`.
  bool IsLeaderAt(int32_t leader_epoch) const;
  // True while this broker is a follower in exactly `leader_epoch`.
  bool IsFollowingAt(int32_t leader_epoch) const;

  // Leader path: appends `records` as one batch in the current leader epoch and fsyncs if the
  // topic's flush policy asks for it. Advances the high watermark when the ISR allows.
  // `leader_epoch`, when given, receives the epoch the batch was written in: a high
  // watermark covers the batch only while that leadership lasts (see IsLeaderAt).
  absl::StatusOr<storage::AppendInfo> AppendAsLeader(std::vector<storage::Record> records,
                                                      int64_t now_ms,
                                                      int32_t* leader_epoch = nullptr);

  // The leader learns a follower's log end offset from its fetch. Kafka's caught-up rule: a
  // fetch at or past the leader's log end at this fetch makes the follower caught up now; one
  // at or past the leader's log end at its previous fetch, caught up as of that fetch.
  // Returns true if the high watermark moved.
  bool UpdateFollowerPosition(int32_t replica_id, int64_t log_end_offset, int64_t now_ms);

  // Follower path. Each takes the leader epoch the fetch was sent in and fails with
  // FailedPrecondition, changing nothing, unless this replica still follows in that epoch:
  // an answer from a deposed leader, arriving after the metadata moved on, must not touch
  // a log that already follows (or is) the new leader. Checked under the lock Update takes.
  //
  // Appends a batch fetched from the leader (its base offset must be the log end). Returns
  // true when the batch started a newer leader epoch (history to persist).
  absl::StatusOr<bool> AppendAsFollower(const storage::RecordBatch& batch, int32_t fetch_epoch);
  // Removes everything at or after `offset` (a divergent suffix) and the epoch-history
  // entries that start there.
  absl::Status TruncateTo(int64_t offset, int32_t fetch_epoch);
  // The leader no longer has our log end (retention): start over at `offset`.
  absl::Status ResetTo(int64_t offset, int32_t fetch_epoch);
  // Epoch of the last batch in the log; -1 when empty.
  int32_t LastFetchedEpoch() const;

  // Leader path: the ISR this replica would propose now, or nullopt when it should not
  // change: members not caught up within `lag_max_ms` leave; non-members at or past both the
  // high watermark and the start of the current leader epoch join, if `may_join` (when
  // given) holds them: the controller refuses fenced and shutting-down brokers (KIP-841).
  std::optional<std::vector<int32_t>> ProposedIsr(int64_t now_ms, int64_t lag_max_ms,
                                                  const std::set<int32_t>* may_join = nullptr) const;
  // The same, for a proposal about to be sent: under the same lock, every replica it adds
  // joins the maximal ISR (counted in the high watermark) until the partition epoch changes
  // or IsrProposalRefused. Call it only when the proposal will be sent.
  struct IsrProposal {
    PartitionAssignment base;  // the committed state the proposal was computed from
    std::vector<int32_t> isr;
  };
  std::optional<IsrProposal> ProposeIsr(int64_t now_ms, int64_t lag_max_ms,
                                        const std::set<int32_t>* may_join = nullptr);
  // The controller refused the proposal made at `partition_epoch` with an answer that proves
  // it did not and will not commit it: the added replicas leave the maximal ISR.
  void IsrProposalRefused(int32_t partition_epoch);
  // Committed ISR plus replicas of pending expansions (what the high watermark waits for).
  std::vector<int32_t> maximal_isr() const;

  int64_t high_watermark() const { return high_watermark_.load(std::memory_order_acquire); }
  // Follower path: the leader's high watermark, capped by the local log end; ignored unless
  // this replica still follows in `fetch_epoch`.
  void SetHighWatermarkFromLeader(int64_t leader_high_watermark, int32_t fetch_epoch);
  // Restart: the checkpointed value, capped by the log end.
  void RestoreHighWatermark(int64_t high_watermark);

  // Leader-epoch history (Kafka's leader-epoch-checkpoint): each epoch with its first offset.
  std::vector<storage::state_keys::EpochEntry> epoch_history() const;
  void RestoreEpochHistory(std::vector<storage::state_keys::EpochEntry> history);
  // The end offset of `epoch` as this replica knows it: the start offset of the first larger
  // epoch, or the log end if none; and the largest epoch <= `epoch` (KIP-279). {-1, -1} when
  // `epoch` is older than everything known.
  std::pair<int32_t, int64_t> EndOffsetForEpoch(int32_t epoch) const;

  // Times the replicas last caught up to the leader's log end (for ISR decisions).
  std::map<int32_t, int64_t> follower_caught_up_ms() const;
  std::map<int32_t, int64_t> follower_log_end_offsets() const;

  absl::Status Close();

 private:
  Partition(std::string dir, std::string topic, int32_t partition, int32_t local_id,
            std::unique_ptr<storage::Log> log, const storage::LogOptions& options);
  void MaybeAdvanceHighWatermarkLocked();
  absl::Status CheckFollowingLocked(int32_t fetch_epoch) const;
  bool InMaximalIsrLocked(int32_t id) const;
  std::optional<std::vector<int32_t>> ProposedIsrLocked(int64_t now_ms, int64_t lag_max_ms,
                                                        const std::set<int32_t>* may_join) const;
  void RecordEpochLocked(int32_t epoch, int64_t start_offset);
  absl::Status MaybeFlush(const TopicPolicy& policy, int64_t now_ms);

  const std::string dir_;
  const std::string topic_;
  const int32_t partition_;
  const int32_t local_id_;
  std::unique_ptr<storage::Log> log_;
  // The log's roll limits when the topic sets none (the broker's log options).
  const int64_t default_segment_bytes_;
  const int64_t default_segment_ms_;

  mutable std::mutex mu_;
  PartitionAssignment assignment_;  // guarded by mu_
  TopicPolicy policy_;              // guarded by mu_
  struct Follower {
    int64_t log_end_offset = 0;
    int64_t last_caught_up_ms = 0;
    int64_t last_fetch_ms = 0;
    int64_t leader_end_at_last_fetch = 0;
  };
  std::map<int32_t, Follower> followers_;                 // guarded by mu_
  std::vector<storage::state_keys::EpochEntry> epochs_;  // guarded by mu_
  // Replicas that ISR expansions sent at assignment_.partition_epoch may add; cleared when
  // the partition epoch or the leadership changes.
  std::vector<int32_t> pending_isr_additions_;  // guarded by mu_
  int64_t batches_since_flush_ = 0;                       // guarded by mu_
  int64_t last_flush_ms_ = 0;                             // guarded by mu_
  std::mutex append_mu_;  // one leader append at a time: epoch history and offsets agree
  std::atomic<int64_t> high_watermark_{0};
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_PARTITION_H_

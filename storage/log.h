// Log: a segmented, indexed, append-only log of record batches: the metadata log of the
// controller quorum and every partition log of a broker (docs/formats/segment.md).
//
// Offsets are assigned on append, from the log end offset, one per record. Compact() may
// later remove records but never moves one: a batch keeps its offset range with gaps
// (RecordBatch::OffsetOf), so a read of a removed offset returns the batch that covers it. A read finds the
// segment by base offset (binary search), then the batch by the segment's sparse index
// (binary search plus a short header scan): never a scan of the segment.
//
// Durability: FlushPolicy decides when appends are fsynced. With every_batch, Append returns
// only after its batch is durable, and concurrent appenders share fsyncs (group commit: one
// thread syncs everything written so far while the others wait for it). The directory is
// fsynced whenever a segment is created or deleted. Close() writes a clean-shutdown marker;
// Open() without it validates the active segment batch by batch (CRC32C), truncates a torn
// or corrupt tail, and rebuilds missing or damaged indexes. A corrupt batch met inside a
// closed segment is never skipped: reads stop short of it, a read of it is DataLoss, and no
// offset at or beyond it is served again.
//
// Thread safety: every method is thread-safe. mu_ (a reader/writer lock) guards the segment
// set and the segments' in-memory state: appends, truncation, prefix deletion, retention
// and Reset take it exclusively; Read, EpochAt and OffsetForTimestamp take it shared, so
// reads run concurrently with each other (pread on immutable bytes) but not with a write.
// fsyncs run outside mu_, so reads and further appends proceed during a group commit.
// log_start_offset(), log_end_offset() and flushed_offset() are lock-free snapshots.
//
// Errors: ResourceExhausted (ENOSPC) from an append leaves the log exactly as before it
// and the append may be retried. Any other write or fsync failure leaves the log's
// durable state unknown (after a failed fsync the kernel may have dropped dirty pages), so
// the log refuses every later write with that error until it is reopened, which recovers
// from what is really on disk.
#ifndef KEEL_STORAGE_LOG_H_
#define KEEL_STORAGE_LOG_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/env.h"
#include "storage/record.h"
#include "storage/segment.h"

namespace keel::storage {

// When appends are fsynced. every_batch is what the metadata log needs (Raft persists
// before it acknowledges). Otherwise an append that brings the unsynced batches to
// every_n_batches, or comes every_ms after the last fsync, syncs; with both 0 only Flush()
// and segment rolls sync. The time rule is checked on append: a caller that wants a bound
// on how long an idle log stays unsynced calls Flush() from its own timer.
struct FlushPolicy {
  bool every_batch = true;
  int64_t every_n_batches = 0;  // 0 = off
  int64_t every_ms = 0;         // 0 = off
  static FlushPolicy EveryBatch() { return FlushPolicy{}; }
  static FlushPolicy Every(int64_t n_batches, int64_t ms) {
    return FlushPolicy{false, n_batches, ms};
  }
  static FlushPolicy Never() { return FlushPolicy{false, 0, 0}; }
};

struct LogOptions {
  Env* env = Env::Default();
  int64_t segment_size_bytes = int64_t{1} << 30;
  int64_t index_interval_bytes = 4096;
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;  // roll the active segment at this age
  int64_t retention_bytes = -1;                 // -1: unlimited
  int64_t retention_ms = -1;                    // -1: unlimited
  FlushPolicy flush;
  int64_t initial_offset = 0;  // offset of the first record of a new log
  // Wall clock for segment ages and timestamps; injectable for tests.
  int64_t (*now_ms)() = nullptr;
};

// Log compaction (docs/compaction.md): keep the newest record per key in closed segments.
struct CompactOptions {
  int64_t now_ms = 0;                        // the injected clock, for tombstone expiry
  int64_t delete_retention_ms = 86400000;    // Kafka's delete.retention.ms default
  double min_cleanable_dirty_ratio = 0.5;    // Kafka's min.cleanable.dirty.ratio default
  // Test hook for crash tests: called before every step that touches the disk, named; an
  // error stops Compact right there, as a crash would.
  std::function<absl::Status(const char* step)> before_step;
};

struct CompactResult {
  bool ran = false;  // false: nothing closed, or less dirty than min_cleanable_dirty_ratio
  double dirty_ratio = 0;
  int64_t segments_rewritten = 0;
  int64_t bytes_read = 0;      // bytes of the closed segments cleaned (both passes count once)
  int64_t bytes_removed = 0;   // how much smaller the rewritten segments are
  int64_t records_removed = 0;
  int64_t tombstones_removed = 0;
};

struct AppendInfo {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t size_bytes = 0;
};

class KeyMap;  // storage/cleaner.h

class Log {
 public:
  static absl::StatusOr<std::unique_ptr<Log>> Open(const std::string& dir,
                                                   const LogOptions& options);
  ~Log();

  // Appends `records` as one batch at the log end and returns once the flush policy is
  // satisfied. InvalidArgument for an empty batch or one over 64 MiB encoded.
  absl::StatusOr<AppendInfo> Append(int32_t leader_epoch, std::vector<Record> records);
  // Appends a batch that already has offsets (a follower, or Raft): InvalidArgument unless
  // its base offset equals log_end_offset(). Same flush policy as Append.
  absl::StatusOr<AppendInfo> AppendBatch(const RecordBatch& batch);

  // Whole batches from the one containing `offset`, up to max_bytes (at least one batch).
  // Empty at the log end; OutOfRange below the log start or beyond the end. DataLoss when
  // the batch holding `offset` is corrupt, or lies at or past corruption found earlier; a
  // read that meets corruption after some intact batches returns those batches.
  absl::StatusOr<std::vector<RecordBatch>> Read(int64_t offset, int64_t max_bytes) const;

  // Removes every batch at or after the one containing `offset`. Truncation is at batch
  // granularity: the log end becomes that batch's base offset, which is `offset` whenever
  // offset is a batch boundary, as it is for Raft entries and leader-epoch end offsets. A
  // broker truncating inside a batch loses the batch's earlier records too and re-fetches
  // them from the leader (check log_end_offset() afterwards). When nothing at or above the
  // log start would remain, the log restarts empty at min(offset, log start). Durable when
  // it returns.
  absl::Status TruncateFrom(int64_t offset);
  // Raises the log start offset to `offset` and deletes every segment wholly below it.
  absl::Status DeletePrefixBefore(int64_t offset);
  // Deletes everything and restarts the log empty at `new_start_offset` (snapshot install).
  // Crash-safe: an intent file is written first and recovery finishes an interrupted reset.
  absl::Status Reset(int64_t new_start_offset);
  // Size and time retention: deletes oldest closed segments beyond the limits.
  absl::Status ApplyRetention(int64_t now_ms);
  // Changes when the active segment rolls (Kafka's topic configs segment.bytes and
  // segment.ms, which may be altered while the log is open): the next append compares the
  // active segment with the new limits. InvalidArgument, changing nothing, for a size
  // outside (batch header, 4 GiB] or an age below 1 ms.
  absl::Status SetSegmentRoll(int64_t segment_size_bytes, int64_t segment_ms);
  // Compacts the closed segments (never the active one) when their dirty ratio reaches
  // options.min_cleanable_dirty_ratio: every record that is not its key's newest among
  // them goes, as do null-key records and tombstones past delete_retention_ms. Offsets are
  // kept. Each segment is rewritten into <dir>/cleaner/, fsynced, and only then swapped in
  // by rename under the write lock; a crash at any point leaves the old segment or the new
  // one, and Open deletes leftovers. Reads and appends run during the rewrite. Compact calls
  // are serialized.
  absl::StatusOr<CompactResult> Compact(const CompactOptions& options);

  absl::Status Flush();
  // Flushes, seals the active segment and writes the clean-shutdown marker (not after a
  // write error: the next Open then validates). Writes fail afterwards; reads still work.
  absl::Status Close();

  // First offset of the first batch whose max timestamp is >= timestamp_ms, not below the
  // log start; log_end_offset() if none (ListOffsets). Segments whose newest timestamp is
  // older are skipped; in the segment that has it, an index lookup plus a short scan.
  absl::StatusOr<int64_t> OffsetForTimestamp(int64_t timestamp_ms) const;
  // Leader epoch (Raft term) of the batch holding `offset`; OutOfRange outside the log.
  absl::StatusOr<int32_t> EpochAt(int64_t offset) const;

  int64_t log_start_offset() const;
  int64_t log_end_offset() const;
  int64_t flushed_offset() const;
  int64_t size_bytes() const;
  // Bytes the last Open cut off the active segment as a torn or corrupt tail (0 after a
  // clean shutdown); worth logging, since with a lax flush policy they were acknowledged.
  int64_t recovered_truncated_bytes() const { return recovered_truncated_bytes_; }
  size_t segment_count() const;

 private:
  using WriteLock = std::unique_lock<std::shared_mutex>;
  using ReadLock = std::shared_lock<std::shared_mutex>;

  Log(std::string dir, LogOptions options);
  absl::Status Recover();
  absl::Status FinishResetLocked(int64_t new_start_offset);
  absl::StatusOr<AppendInfo> AppendLocked(WriteLock& lock, const std::string& encoded,
                                          const BatchHeader& h);
  absl::Status RollLocked(int64_t now_ms);
  absl::Status SyncUpTo(WriteLock& lock, int64_t offset);
  absl::Status DeleteSegmentLocked(int64_t base_offset);
  absl::Status PersistLogStartLocked();
  void WaitForSyncLocked(WriteLock& lock);
  // Records a failure that leaves the durable state unknown (see "Errors" above).
  absl::Status PoisonLocked(absl::Status s);
  void PublishOffsetsLocked();
  int64_t LogEndLocked() const { return segments_.rbegin()->second->next_offset(); }
  Segment* SegmentForLocked(int64_t offset) const;
  int64_t NowMs() const;
  // Rewrites closed segment `base` through the cleaner and swaps it in (log_compact.cc).
  struct ClosedSegment {
    int64_t base_offset;
    int64_t next_offset;
    uint64_t size_bytes;
    int64_t max_timestamp_ms;
  };
  absl::Status ForEachBatch(int64_t from, int64_t below,
                            const std::function<void(RecordBatch)>& fn) const;
  absl::Status CleanSegment(const ClosedSegment& seg, const KeyMap& keys,
                            const CompactOptions& options, CompactResult* result);
  absl::Status SwapInCleanedLocked(const ClosedSegment& seg, const CompactOptions& options);

  const std::string dir_;
  const LogOptions options_;
  // The roll limits now in force: options_' at Open, then SetSegmentRoll's. Guarded by mu_.
  int64_t segment_size_bytes_;
  int64_t segment_ms_;
  mutable std::shared_mutex mu_;
  std::condition_variable_any sync_cv_;                   // signalled when a sync ends
  std::map<int64_t, std::unique_ptr<Segment>> segments_;  // by base offset; never empty
  int64_t log_start_offset_ = 0;                          // guarded by mu_
  int64_t flushed_offset_ = 0;             // every offset below this is durable; guarded by mu_
  bool sync_in_progress_ = false;          // guarded by mu_
  int64_t batches_since_sync_ = 0;         // guarded by mu_
  int64_t last_sync_ms_ = 0;               // guarded by mu_
  absl::Status write_error_;               // guarded by mu_; refuses writes once set
  bool closed_ = false;                    // guarded by mu_
  int64_t recovered_truncated_bytes_ = 0;  // set by Open, then constant
  std::mutex compact_mu_;                  // serializes Compact; never taken under mu_
  int64_t cleaned_through_offset_ = 0;     // guarded by mu_; closed segments below are clean
  // Lowest offset known to sit at or after corrupt data, -1 when none: written under the
  // shared lock by readers that discover corruption, hence atomic.
  mutable std::atomic<int64_t> corrupt_from_offset_{-1};
  // Lock-free copies of the offsets, published under mu_ after every change.
  std::atomic<int64_t> published_start_{0};
  std::atomic<int64_t> published_end_{0};
  std::atomic<int64_t> published_flushed_{0};
};

}  // namespace keel::storage

#endif  // KEEL_STORAGE_LOG_H_

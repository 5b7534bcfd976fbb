// Log: a segmented, indexed, append-only log of record batches: the metadata log of the
// controller quorum and every partition log of a broker (docs/formats/segment.md).
//
// Offsets are assigned on append, from the log end offset, one per record. A read finds the
// segment by base offset (binary search), then the batch by the segment's sparse index
// (binary search plus a short header scan): never a scan of the segment.
//
// Durability: FlushPolicy decides when appends are fsynced. With every_batch, Append returns
// only after its batch is durable, and concurrent appenders share fsyncs (group commit: one
// thread syncs everything written so far while the others wait for it). The directory is
// fsynced whenever a segment is created or deleted. Close() writes a clean-shutdown marker;
// Open() without it validates the active segment batch by batch (CRC32C), truncates a torn
// or corrupt tail, and rebuilds missing or damaged indexes. A corrupt batch met inside a
// closed segment is a DataLoss error, and no offset at or beyond it is served again.
//
// Thread safety: all methods are thread-safe; mu_ guards the segment set and the active
// segment's writers; fsyncs run outside mu_.
#ifndef KEEL_STORAGE_LOG_H_
#define KEEL_STORAGE_LOG_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/env.h"
#include "storage/record.h"
#include "storage/segment.h"

namespace keel::storage {

struct FlushPolicy {
  bool every_batch = true;       // fsync before Append returns (the metadata log)
  int64_t every_n_batches = 0;   // otherwise: fsync after this many batches (0 = off)
  int64_t every_ms = 0;          // ...or when this long has passed since the last fsync
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

struct AppendInfo {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t size_bytes = 0;
};

class Log {
 public:
  static absl::StatusOr<std::unique_ptr<Log>> Open(const std::string& dir,
                                                   const LogOptions& options);
  ~Log();

  // Appends `records` as one batch at the log end. InvalidArgument for an empty batch.
  absl::StatusOr<AppendInfo> Append(int32_t leader_epoch, std::vector<Record> records);
  // Appends a batch that already has offsets (a follower, or Raft): its base offset must
  // equal log_end_offset().
  absl::StatusOr<AppendInfo> AppendBatch(const RecordBatch& batch);

  // Whole batches from the one containing `offset`, up to max_bytes (at least one batch).
  // Empty at the log end; OutOfRange below the log start or beyond the end.
  absl::StatusOr<std::vector<RecordBatch>> Read(int64_t offset, int64_t max_bytes) const;

  // Removes every batch at or after the one containing `offset` (truncation is at batch
  // granularity: the log end becomes that batch's base offset, which is `offset` whenever
  // offset is a batch boundary, as it is for Raft entries and leader-epoch end offsets).
  absl::Status TruncateFrom(int64_t offset);
  // Raises the log start offset to `offset` and deletes every segment wholly below it.
  absl::Status DeletePrefixBefore(int64_t offset);
  // Deletes everything and restarts the log empty at `new_start_offset` (snapshot install).
  absl::Status Reset(int64_t new_start_offset);
  // Size and time retention: deletes oldest closed segments beyond the limits.
  absl::Status ApplyRetention(int64_t now_ms);

  absl::Status Flush();
  // Flushes and writes the clean-shutdown marker. The log is unusable afterwards.
  absl::Status Close();

  // First offset whose batch has max timestamp >= timestamp_ms (a scan of batch headers);
  // log_end_offset() if none.
  absl::StatusOr<int64_t> OffsetForTimestamp(int64_t timestamp_ms) const;
  // Leader epoch of the batch holding `offset`.
  absl::StatusOr<int32_t> EpochAt(int64_t offset) const;

  int64_t log_start_offset() const;
  int64_t log_end_offset() const;
  int64_t flushed_offset() const;
  int64_t size_bytes() const;
  size_t segment_count() const;

 private:
  Log(std::string dir, LogOptions options);
  absl::Status Recover();
  absl::StatusOr<AppendInfo> AppendLocked(std::unique_lock<std::mutex>& lock,
                                          const std::string& encoded, const BatchHeader& h);
  absl::Status RollLocked(int64_t now_ms);
  absl::Status SyncUpTo(std::unique_lock<std::mutex>& lock, int64_t offset);
  absl::Status DeleteSegmentLocked(int64_t base_offset);
  absl::Status PersistLogStartLocked();
  void WaitForSyncLocked(std::unique_lock<std::mutex>& lock);
  Segment* SegmentForLocked(int64_t offset) const;
  int64_t NowMs() const;

  const std::string dir_;
  const LogOptions options_;
  mutable std::mutex mu_;
  std::condition_variable sync_cv_;
  std::map<int64_t, std::unique_ptr<Segment>> segments_;  // by base offset; guarded by mu_
  int64_t log_start_offset_ = 0;                           // guarded by mu_
  int64_t flushed_offset_ = 0;   // every offset below this is durable; guarded by mu_
  bool sync_in_progress_ = false;  // guarded by mu_
  int64_t batches_since_sync_ = 0;  // guarded by mu_
  int64_t last_sync_ms_ = 0;        // guarded by mu_
  mutable int64_t corrupt_from_offset_ = -1;  // guarded by mu_; -1 when none seen
  bool closed_ = false;
};

}  // namespace keel::storage

#endif  // KEEL_STORAGE_LOG_H_

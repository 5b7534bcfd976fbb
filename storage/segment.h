// Segment: one `<base>.log` file of record batches and its sparse `<base>.index`.
//
// The index holds (offset - base, byte position, newest timestamp before) for the first
// batch and then one entry whenever index_interval_bytes have been written since the last
// entry, so an offset or timestamp lookup is a binary search plus a scan of at most
// ~index_interval_bytes of batch headers.
//
// Thread safety: none; the owning Log serializes access (reads of closed segments may run
// concurrently because they only use the immutable index and pread).
#ifndef KEEL_STORAGE_SEGMENT_H_
#define KEEL_STORAGE_SEGMENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/batch_codec.h"
#include "storage/env.h"

namespace keel::storage {

struct IndexEntry {
  uint32_t relative_offset;  // offset - segment base
  uint32_t position;         // byte position of that batch in the .log
  // Largest batch timestamp before this batch in the segment (-1 if none): never
  // decreases from entry to entry, so a timestamp lookup is a binary search too.
  int64_t max_timestamp_before_ms;
};

struct BatchLocation {
  uint64_t position;    // byte position in the .log
  int64_t base_offset;  // the base offset the batch there must carry
};

class Segment {
 public:
  // File names for a segment of `dir` starting at `base_offset` (20 zero-padded digits).
  static std::string LogPath(const std::string& dir, int64_t base_offset);
  static std::string IndexPath(const std::string& dir, int64_t base_offset);

  // Creates an empty segment (files created; the caller syncs the directory).
  static absl::StatusOr<std::unique_ptr<Segment>> Create(Env* env, const std::string& dir,
                                                         int64_t base_offset,
                                                         int64_t index_interval_bytes,
                                                         int64_t created_ms);
  // Opens an existing segment. With `validate`, every batch is CRC-checked and a torn or
  // corrupt tail is truncated away (the active segment after an unclean shutdown); the
  // index is rebuilt whenever it is missing or does not fit the log file. Its age (for
  // rolling by time) counts from its first batch's max timestamp when that is in the past,
  // else from now_ms.
  static absl::StatusOr<std::unique_ptr<Segment>> Open(Env* env, const std::string& dir,
                                                       int64_t base_offset,
                                                       int64_t index_interval_bytes, bool validate,
                                                       int64_t now_ms);

  // Appends an encoded batch whose base offset is next_offset(). On a write error (e.g.
  // ResourceExhausted for ENOSPC) the log and index files are cut back to their previous
  // sizes and that error is returned, so the segment never holds half a batch; Internal if
  // even cutting back failed (the caller must stop writing).
  absl::Status Append(const std::string& encoded, const BatchHeader& header);
  absl::Status Sync();
  // Makes the segment read-only (the active segment rolled): syncs log and index.
  absl::Status Seal();

  // Where the batch containing `offset` (base_offset() <= offset < next_offset()) starts,
  // found by index lookup plus a header scan. DataLoss if the scan meets a corrupt header
  // or a batch that does not start where the previous one ended.
  absl::StatusOr<BatchLocation> FindPosition(int64_t offset) const;
  // Appends whole batches starting at `at` to *out while *bytes_read stays within max_bytes
  // (one batch always, if *out is empty). Sets *reached_end when the segment was read to
  // its end. Each batch must carry the offset that follows the previous one: the base
  // offset is outside the CRC (as in Kafka), so continuity is what catches a flipped one.
  absl::Status ReadBatches(BatchLocation at, int64_t max_bytes, std::vector<RecordBatch>* out,
                           int64_t* bytes_read, bool* reached_end) const;
  // The first batch whose max timestamp is >= timestamp_ms and that holds offsets at or
  // above min_offset; nullopt if there is none in this segment. Index search plus a short
  // scan when timestamps grow with offsets; a longer scan where they go back in time.
  absl::StatusOr<std::optional<BatchLocation>> FindTimestamp(int64_t timestamp_ms,
                                                             int64_t min_offset) const;
  absl::StatusOr<BatchHeader> ReadHeader(uint64_t position) const;
  // Drops every batch from byte `position` on (the batch there included).
  absl::Status TruncateAt(uint64_t position, int64_t new_next_offset);
  absl::Status Delete();

  int64_t base_offset() const { return base_offset_; }
  int64_t next_offset() const { return next_offset_; }
  uint64_t size_bytes() const { return size_bytes_; }
  int64_t created_ms() const { return created_ms_; }
  // Bytes a validating Open cut off as a torn or corrupt tail.
  uint64_t truncated_bytes() const { return truncated_bytes_; }
  // Largest batch timestamp in the segment; -1 when empty.
  int64_t max_timestamp_ms() const { return max_timestamp_ms_; }
  const std::vector<IndexEntry>& index() const { return index_; }

 private:
  Segment(Env* env, std::string dir, int64_t base_offset, int64_t index_interval_bytes);
  absl::Status OpenFiles(bool create);
  absl::Status Scan(bool validate);
  absl::Status LoadIndex(bool* usable);
  absl::Status RewriteIndex();
  absl::Status UndoAppend(uint64_t position, const absl::Status& cause);
  absl::StatusOr<BatchLocation> ScanFor(int64_t offset, BatchLocation from) const;

  Env* env_;
  std::string dir_;
  int64_t base_offset_;
  int64_t index_interval_bytes_;
  int64_t next_offset_;
  uint64_t size_bytes_ = 0;
  uint64_t bytes_since_index_ = 0;
  uint64_t truncated_bytes_ = 0;
  int64_t created_ms_ = 0;
  int64_t max_timestamp_ms_ = -1;
  std::vector<IndexEntry> index_;
  std::unique_ptr<WritableFile> log_writer_;
  std::unique_ptr<WritableFile> index_writer_;
  std::unique_ptr<RandomAccessFile> reader_;
};

}  // namespace keel::storage

#endif  // KEEL_STORAGE_SEGMENT_H_

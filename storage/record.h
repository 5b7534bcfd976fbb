// Records and record batches: the unit of the segmented log, for the metadata log and for
// partitions alike.
#ifndef KEEL_STORAGE_RECORD_H_
#define KEEL_STORAGE_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace keel::storage {

struct Header {
  std::string key;
  std::string value;
  bool operator==(const Header&) const = default;
};

// A key or value is either bytes (possibly empty) or null, as in Kafka: a null value is a
// tombstone, which log compaction uses to delete a key. When null_key / null_value is set
// the matching string is empty and means nothing.
struct Record {
  std::string key;
  std::string value;
  std::vector<Header> headers;
  int64_t timestamp_ms = 0;
  bool null_key = false;
  bool null_value = false;
  bool operator==(const Record&) const = default;
};

// A batch covers the offsets base_offset .. next_offset() - 1. As appended it is dense: one
// record per offset. After log compaction (storage/cleaner.h) it keeps its whole offset
// range but only the surviving records, each at base_offset + offset_deltas[i]; it may then
// hold no record at all, which keeps offsets contiguous from batch to batch.
struct RecordBatch {
  int64_t base_offset = 0;
  int32_t leader_epoch = 0;
  int64_t max_timestamp_ms = 0;
  std::vector<Record> records;
  // Empty: dense (record i is at base_offset + i). Otherwise one strictly increasing delta
  // per record, each below offset_count.
  std::vector<int64_t> offset_deltas{};
  // Offsets the batch covers; 0 means records.size() (a dense batch).
  int64_t offset_count = 0;

  int64_t span() const {
    return offset_count > 0 ? offset_count : static_cast<int64_t>(records.size());
  }
  bool dense() const {
    return offset_deltas.empty() && span() == static_cast<int64_t>(records.size());
  }
  int64_t OffsetOf(size_t i) const {
    return base_offset + (offset_deltas.empty() ? static_cast<int64_t>(i) : offset_deltas[i]);
  }
  int64_t last_offset() const { return base_offset + span() - 1; }
  int64_t next_offset() const { return base_offset + span(); }
  bool operator==(const RecordBatch&) const = default;
};

// Narrows `batch` to the offsets in [from, below): its range shrinks to them and the records
// outside go. False (batch unchanged) when the batch holds none of them.
inline bool TrimBatch(RecordBatch* batch, int64_t from, int64_t below) {
  const int64_t lo = batch->base_offset > from ? batch->base_offset : from;
  const int64_t hi = batch->next_offset() < below ? batch->next_offset() : below;
  if (lo >= hi) return false;
  if (lo == batch->base_offset && hi == batch->next_offset()) return true;
  std::vector<Record> kept;
  std::vector<int64_t> deltas;
  for (size_t i = 0; i < batch->records.size(); ++i) {
    const int64_t offset = batch->OffsetOf(i);
    if (offset < lo || offset >= hi) continue;
    kept.push_back(std::move(batch->records[i]));
    deltas.push_back(offset - lo);
  }
  batch->base_offset = lo;
  batch->records = std::move(kept);
  batch->offset_count = hi - lo;
  batch->offset_deltas = std::move(deltas);
  if (static_cast<int64_t>(batch->records.size()) == batch->offset_count) {
    batch->offset_deltas.clear();  // dense again
    batch->offset_count = 0;
  }
  return true;
}

}  // namespace keel::storage

#endif  // KEEL_STORAGE_RECORD_H_

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

struct Record {
  std::string key;
  std::string value;
  std::vector<Header> headers;
  int64_t timestamp_ms = 0;
  bool operator==(const Record&) const = default;
};

struct RecordBatch {
  int64_t base_offset = 0;
  int32_t leader_epoch = 0;
  int64_t max_timestamp_ms = 0;
  std::vector<Record> records;
  int64_t last_offset() const { return base_offset + static_cast<int64_t>(records.size()) - 1; }
  int64_t next_offset() const { return base_offset + static_cast<int64_t>(records.size()); }
  bool operator==(const RecordBatch&) const = default;
};

}  // namespace keel::storage

#endif  // KEEL_STORAGE_RECORD_H_

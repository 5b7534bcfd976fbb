// Encoding and decoding of record batches (format in log_format.h / docs/formats/segment.md).
#ifndef KEEL_STORAGE_BATCH_CODEC_H_
#define KEEL_STORAGE_BATCH_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "storage/record.h"

namespace keel::storage {

struct BatchHeader {
  int64_t base_offset = 0;
  uint32_t length_bytes = 0;
  uint32_t crc = 0;
  uint32_t magic = 0;
  int32_t leader_epoch = 0;
  uint32_t record_count = 0;
  int64_t max_timestamp_ms = 0;
  int64_t next_offset() const { return base_offset + record_count; }
};

// The encoded max timestamp is the larger of batch.max_timestamp_ms and every record's.
std::string EncodeBatch(const RecordBatch& batch);

// Parses the fixed header; DataLoss if the magic or length is impossible.
absl::StatusOr<BatchHeader> DecodeBatchHeader(const char* data, size_t size);

// Decodes a whole batch, verifying its CRC; DataLoss naming the offset when it fails.
absl::StatusOr<RecordBatch> DecodeBatch(const char* data, size_t size);

// Whether `data` holds a complete batch whose CRC matches (used by recovery).
bool BatchIsValid(const char* data, size_t size);

}  // namespace keel::storage

#endif  // KEEL_STORAGE_BATCH_CODEC_H_

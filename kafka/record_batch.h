// Kafka record batches, magic 2 (the format of Produce requests' and Fetch responses'
// `records` field, and of Kafka's log). docs/formats/kafka-wire.md draws the layout:
//
//   base_offset INT64, batch_length INT32 (bytes after this field),
//   partition_leader_epoch INT32, magic INT8 (= 2), crc UINT32 (CRC-32C of everything from
//   attributes to the end), attributes INT16, last_offset_delta INT32, base_timestamp INT64,
//   max_timestamp INT64, producer_id INT64, producer_epoch INT16, base_sequence INT32,
//   record_count INT32, then the records (compressed as one block when compression != none).
//
// Because the CRC starts at attributes, a broker may rewrite base_offset and
// partition_leader_epoch of a client's batch without recomputing it (SetBaseOffset...).
//
// Decoding validates before it trusts: lengths against the bytes present, the magic, the
// CRC, record lengths against their contents, the record count against the records found,
// and decompressed sizes against a limit. Every failure is an absl::Status (CORRUPT_MESSAGE
// for a client).
#ifndef KEEL_KAFKA_RECORD_BATCH_H_
#define KEEL_KAFKA_RECORD_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kafka/compression.h"

namespace keel::kafka {

// Bytes from base_offset through record_count.
inline constexpr size_t kBatchHeaderBytes = 61;
// Bytes before the batch_length field ends (base_offset + batch_length): a batch occupies
// kBatchLengthEnd + batch_length bytes.
inline constexpr size_t kBatchLengthEnd = 12;
// Where the CRC'd part (attributes) begins, and where the CRC itself sits.
inline constexpr size_t kBatchCrcOffset = 17;
inline constexpr size_t kBatchAttributesOffset = 21;
inline constexpr int8_t kMagicV2 = 2;

// Attribute bits.
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kTimestampTypeLogAppendTime = 0x08;
inline constexpr int16_t kTransactionalFlag = 0x10;
inline constexpr int16_t kControlFlag = 0x20;
inline constexpr int16_t kDeleteHorizonFlag = 0x40;

enum class TimestampType { kCreateTime = 0, kLogAppendTime = 1 };

struct RecordHeader {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const RecordHeader&) const = default;
};

struct Record {
  int8_t attributes = 0;  // unused by Kafka; kept as read
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<RecordHeader> headers;
  bool operator==(const Record&) const = default;
};

// The fixed fields of a batch (everything but the records).
struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = -1;
  int8_t magic = kMagicV2;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  Compression compression() const {
    return static_cast<Compression>(attributes & kCompressionMask);
  }
  TimestampType timestamp_type() const {
    return (attributes & kTimestampTypeLogAppendTime) != 0 ? TimestampType::kLogAppendTime
                                                           : TimestampType::kCreateTime;
  }
  bool is_transactional() const { return (attributes & kTransactionalFlag) != 0; }
  bool is_control() const { return (attributes & kControlFlag) != 0; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  bool operator==(const BatchHeader&) const = default;
};

struct RecordBatch {
  BatchHeader header;
  std::vector<Record> records;
  bool operator==(const RecordBatch&) const = default;
};

// One batch found in a records field: its header and where its bytes are.
struct BatchView {
  BatchHeader header;
  std::string_view bytes;    // the whole batch, base_offset to the end
  std::string_view records;  // after record_count; compressed unless compression is none
};

struct BatchLimits {
  // Refuse a batch whose records decompress to more than this (decompression bombs).
  size_t max_uncompressed_bytes = 64 << 20;
  // Fetch responses may end in a partial batch (max_bytes cut it); produce requests may not.
  bool allow_truncated_tail = false;
  // Verify each batch's CRC-32C.
  bool verify_crc = true;
};

// Splits a records field into its batches, checking each one's length, magic (2; older
// magics are refused with a clear error) and CRC. Records are not parsed.
absl::StatusOr<std::vector<BatchView>> SplitBatches(std::string_view records,
                                                    const BatchLimits& limits = {});

// Decompresses (if needed) and parses the records of one batch; checks that record_count
// matches the records found and that no record's offset delta exceeds last_offset_delta
// (a compacted batch may have lost its last records; a produce handler that wants exact
// agreement checks it itself).
absl::StatusOr<std::vector<Record>> DecodeRecords(const BatchView& batch,
                                                  const BatchLimits& limits = {});

// SplitBatches + DecodeRecords for every batch.
absl::StatusOr<std::vector<RecordBatch>> DecodeBatches(std::string_view records,
                                                       const BatchLimits& limits = {});

// Encodes one batch: the header fields as given except magic, batch_length, crc,
// record_count (computed) and the compression bits of attributes (from `compression`).
// last_offset_delta is taken from header (callers set it to the last record's delta).
absl::StatusOr<std::string> EncodeBatch(const RecordBatch& batch, Compression compression);

// In-place rewrites of a stored batch (bytes as returned in BatchView::bytes). The first
// two fields sit before the CRC'd part, so the CRC stays valid; SetLogAppendTime changes the
// timestamp type and max_timestamp and recomputes the CRC.
absl::Status SetBaseOffset(std::string& batch, int64_t base_offset);
absl::Status SetPartitionLeaderEpoch(std::string& batch, int32_t epoch);
absl::Status SetLogAppendTime(std::string& batch, int64_t log_append_time_ms);

// CRC-32C of a batch's CRC'd part (from attributes to the end).
uint32_t BatchCrc(std::string_view batch);

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_RECORD_BATCH_H_

// Conversions between Kafka record batches v2 (kafka/record_batch.h) and the log's records
// (storage/record.h). Keel stores what the records say (keys, values, headers, timestamps)
// in its own batch format, shared with the gRPC API, not the client's batch bytes: one log
// read by two APIs at the same offsets (docs/kafka.md, "Storage"). A produced batch is
// therefore decompressed and parsed, and a fetched one encoded (uncompressed).
//
// Nulls: a null key or value is stored as null (storage::Record::null_key / null_value) and
// fetched as null; an empty one stays empty, both ways. (Before the log could say null,
// null was stored as empty; such old records are fetched with an empty value and key.) A
// header's null value is still stored, and fetched, as empty.
#ifndef KEEL_BROKER_KAFKA_BATCH_CONVERSION_H_
#define KEEL_BROKER_KAFKA_BATCH_CONVERSION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/partition.h"
#include "broker/produce_validation.h"
#include "storage/record.h"

namespace keel::broker::kafka {

// The largest records field the log can take as one batch (its encoded-batch limit is
// 64 MiB; the rest is room for the per-record framing).
inline constexpr int64_t kMaxRecordListBytes = 60 << 20;

struct ProducedBatchInfo {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;
};

// Decodes a Produce request's records field for one partition into `out`: CRC checked
// (CORRUPT_MESSAGE), each batch no larger than the topic's max.message.bytes
// (MESSAGE_TOO_LARGE), the field within kMaxRecordListBytes (RECORD_LIST_TOO_LARGE), no
// transactional or control batches (INVALID_REQUEST: transactions are not supported), no
// record without a key when the topic is compacted (INVALID_RECORD, as Kafka).
// Timestamps are the records' own (CreateTime) unless `log_append_time`, then `now_ms`; a
// record without a timestamp (-1) gets `now_ms` too. `info`, if given, receives the first
// batch's producer fields.
ValidationError KafkaRecordsToStorage(std::string_view records, const TopicPolicy& policy,
                                      bool log_append_time, int64_t now_ms,
                                      std::vector<storage::Record>* out,
                                      ProducedBatchInfo* info = nullptr);

// Appends `batch` to `out` as one uncompressed Kafka record batch v2 with the stored
// offsets, leader epoch and timestamps (no producer id). A compacted batch keeps its offset
// range (lastOffsetDelta) and its records their offset deltas; an empty one still goes out
// so the consumer moves past it.
void AppendKafkaBatch(storage::RecordBatch&& batch, bool log_append_time, std::string* out);

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_BATCH_CONVERSION_H_

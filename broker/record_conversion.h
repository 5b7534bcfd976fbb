// Conversions between the wire records (proto/broker.proto) and the log's records
// (storage/record.h), and the byte size the limits are measured in.
#ifndef KEEL_BROKER_RECORD_CONVERSION_H_
#define KEEL_BROKER_RECORD_CONVERSION_H_

#include <cstdint>
#include <vector>

#include "proto/broker.pb.h"
#include "storage/record.h"

namespace keel::broker {

// A header the Kafka listener adds to the first record of an idempotent producer's batch
// (producer id, epoch, first sequence, count; broker/kafka/producer_state.h), so a new
// leader can rebuild the producer state from its log. Reserved: never shown to consumers.
inline constexpr char kProducerStateHeader[] = "__keel.producer";

// Records for an append; a timestamp of 0 is stamped with `append_time_ms` (the broker's
// clock), as with Kafka's CreateTime when the producer leaves it unset.
std::vector<storage::Record> ToStorageRecords(
    const google::protobuf::RepeatedPtrField<keel::broker::Record>& records,
    int64_t append_time_ms);

// Appends the records of `batch` with offsets in [from_offset, below_offset) to `out`, each
// with its offset and null key / value left unset, and sets out's last_offset (the batch may
// have gaps after compaction).
// Returns the bytes added (RecordBytes of each). Reserved headers (kProducerStateHeader)
// are left out unless `keep_reserved_headers` (replication copies the log as it is).
int64_t AppendWireBatch(const storage::RecordBatch& batch, int64_t from_offset,
                        int64_t below_offset, keel::broker::RecordBatch* out,
                        bool keep_reserved_headers = false);

// The size a record counts for in max.message.bytes and fetch budgets: key, value and
// headers plus a fixed per-record overhead, close to its encoded size in the log.
int64_t RecordBytes(const keel::broker::Record& record);
int64_t RecordBytes(const storage::Record& record);

}  // namespace keel::broker

#endif  // KEEL_BROKER_RECORD_CONVERSION_H_

// Produce requests written straight in protobuf wire format, the way Kafka's producer appends
// records to a batch's byte buffer: a record is encoded once, into its batch, when sent;
// batches are concatenated into a request without building a message object per record.
// (At a million 100-byte records a second, allocating, serialising and freeing one
// keel.broker.Record object each costs more CPU than the broker's append.)
//
// The bytes are exactly what ProduceRequest's generated code parses (produce_encoding_test
// checks the two agree); the schema is proto/broker.proto.
#ifndef KEEL_CLIENT_PRODUCE_ENCODING_H_
#define KEEL_CLIENT_PRODUCE_ENCODING_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/broker.pb.h"

namespace keel::client {

// Appends one `records` entry (field 2 of ProducePartitionData, a keel.broker.Record) to `out`.
// A key or value that is present is written even when empty (Record's fields are proto3
// `optional`, so the broker tells empty from null); nullopt leaves it out: null.
void AppendRecordEntry(std::optional<absl::string_view> key,
                       std::optional<absl::string_view> value,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       int64_t timestamp_ms, std::string* out);

// One partition of a request: its records as runs of AppendRecordEntry output, in order.
struct EncodedPartition {
  int32_t partition = 0;
  std::vector<const std::string*> record_runs;
};

struct EncodedTopic {
  std::string topic;
  std::vector<EncodedPartition> partitions;
};

// A serialized keel.broker.ProduceRequest as pieces to send in order: small framing pieces
// backed by `framing`, and the record runs themselves (not copied: they must outlive the
// pieces' use). Lets a transport send the batches' bytes without concatenating them.
struct WirePieces {
  std::deque<std::string> framing;  // deque: growing it keeps earlier views valid
  std::vector<absl::string_view> pieces;
  std::vector<bool> is_framing;  // parallel to pieces
};
void EncodeProduceRequestPieces(broker::Acks acks, int32_t timeout_ms,
                                const std::vector<EncodedTopic>& topics, WirePieces* out);

// The same, concatenated.
std::string EncodeProduceRequest(broker::Acks acks, int32_t timeout_ms,
                                 const std::vector<EncodedTopic>& topics);

}  // namespace keel::client

#endif  // KEEL_CLIENT_PRODUCE_ENCODING_H_

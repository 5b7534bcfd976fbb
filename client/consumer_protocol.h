// Kafka's ConsumerProtocol: the subscription a consumer sends in JoinGroup's protocol
// metadata and the assignment its group's leader hands out in SyncGroup (the bytes the
// broker keeps opaque; kafka-protocol/messages/ConsumerProtocol{Subscription,Assignment}.json,
// classic non-flexible encoding, big-endian):
//
//   Subscription: version int16 | topics [string] | user_data nullable bytes
//                 | v1+: owned_partitions [topic string, partitions [int32]]
//                 | v2+: generation_id int32 | v3+: rack_id nullable string
//   Assignment:   version int16 | assigned_partitions [topic string, partitions [int32]]
//                 | user_data nullable bytes
//
// Decoding reads the fields of the version it finds and ignores bytes after them (a newer
// client's additions), as Kafka's consumers do. Used by client/'s group Consumer (which can
// share a group with librdkafka or the Java client) and by keelctl groups describe.
#ifndef KEEL_CLIENT_CONSUMER_PROTOCOL_H_
#define KEEL_CLIENT_CONSUMER_PROTOCOL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace keel::client {

// The protocol type of Kafka's consumers in JoinGroup.
inline constexpr char kConsumerProtocolType[] = "consumer";

// topic -> partitions, in the order written (topics sorted by name).
using TopicPartitionsMap = std::map<std::string, std::vector<int32_t>>;

struct ConsumerSubscription {
  int16_t version = 1;  // what we write; 0..3 read
  std::vector<std::string> topics;
  std::optional<std::string> user_data;
  TopicPartitionsMap owned_partitions;  // v1+
  int32_t generation_id = -1;           // v2+
  std::optional<std::string> rack_id;   // v3+
};

struct ConsumerAssignment {
  int16_t version = 1;  // 0..3 share one layout
  TopicPartitionsMap partitions;
  std::optional<std::string> user_data;
};

std::string EncodeSubscription(const ConsumerSubscription& subscription);
// InvalidArgument on truncated or malformed bytes or a negative version.
absl::StatusOr<ConsumerSubscription> DecodeSubscription(std::string_view bytes);

std::string EncodeAssignment(const ConsumerAssignment& assignment);
// An empty input is an empty assignment (what a member the leader left out receives).
absl::StatusOr<ConsumerAssignment> DecodeAssignment(std::string_view bytes);

}  // namespace keel::client

#endif  // KEEL_CLIENT_CONSUMER_PROTOCOL_H_

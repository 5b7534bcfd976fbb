// OffsetForLeaderEpoch (key 23), v0-4 (KIP-320): the end offset of a leader epoch, which a
// client uses to detect log truncation after a leader change.
#ifndef KEEL_KAFKA_OFFSET_FOR_LEADER_EPOCH_H_
#define KEEL_KAFKA_OFFSET_FOR_LEADER_EPOCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

struct OffsetForLeaderEpochRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetForLeaderEpoch;
  static constexpr bool kIsRequest = true;

  struct Partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;  // v2+
    int32_t leader_epoch = 0;
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  int32_t replica_id = -2;  // v3+; -2 = a consumer (debug), -1 = a consumer
  std::vector<Topic> topics;

  void Io(FieldIo& io);
  bool operator==(const OffsetForLeaderEpochRequest&) const = default;
};

struct OffsetForLeaderEpochResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetForLeaderEpoch;
  static constexpr bool kIsRequest = false;

  struct Partition {
    int16_t error_code = 0;
    int32_t partition = 0;
    int32_t leader_epoch = -1;  // v1+
    int64_t end_offset = -1;
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<Topic> topics;

  void Io(FieldIo& io);
  bool operator==(const OffsetForLeaderEpochResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_OFFSET_FOR_LEADER_EPOCH_H_

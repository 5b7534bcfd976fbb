// Produce (key 0), v0-11. `records` is the raw record-batch bytes as the client sent them
// (kafka/record_batch.h reads them, and refuses the message formats 0/1 of v0-2); the codec
// does not look inside.
#ifndef KEEL_KAFKA_PRODUCE_H_
#define KEEL_KAFKA_PRODUCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

struct ProduceRequest {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;
  static constexpr bool kIsRequest = true;

  struct Partition {
    int32_t index = 0;
    std::optional<std::string> records;
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  std::optional<std::string> transactional_id;  // v3+
  int16_t acks = 0;  // 0 = no response, 1 = leader, -1 = all in-sync replicas
  int32_t timeout_ms = 0;
  std::vector<Topic> topics;

  void Io(FieldIo& io);
  bool operator==(const ProduceRequest&) const = default;
};

// A leader hint (v10+ tagged fields of Produce and Fetch responses).
struct LeaderIdAndEpoch {
  int32_t leader_id = -1;
  int32_t leader_epoch = -1;
  bool IsDefault() const { return leader_id == -1 && leader_epoch == -1; }
  void Io(FieldIo& io);
  bool operator==(const LeaderIdAndEpoch&) const = default;
};

// A broker address sent with leader hints (v10+ Produce, v16+ Fetch tagged field).
struct NodeEndpoint {
  int32_t node_id = 0;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
  void Io(FieldIo& io);
  bool operator==(const NodeEndpoint&) const = default;
};

struct ProduceResponse {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;
  static constexpr bool kIsRequest = false;

  struct RecordError {  // v8+
    int32_t batch_index = 0;
    std::optional<std::string> batch_index_error_message;
    void Io(FieldIo& io);
    bool operator==(const RecordError&) const = default;
  };
  struct Partition {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t base_offset = 0;
    int64_t log_append_time_ms = -1;           // v2+; -1 unless the topic uses LogAppendTime
    int64_t log_start_offset = -1;             // v5+
    std::vector<RecordError> record_errors;    // v8+
    std::optional<std::string> error_message;  // v8+
    LeaderIdAndEpoch current_leader;           // v10+, tag 0
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> responses;
  int32_t throttle_time_ms = 0;              // v1+
  std::vector<NodeEndpoint> node_endpoints;  // v10+, tag 0

  void Io(FieldIo& io);
  bool operator==(const ProduceResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_PRODUCE_H_

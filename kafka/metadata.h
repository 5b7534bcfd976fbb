// Metadata (key 3), v0-12: brokers, controller id and per-partition leaders, replicas, ISR.
// Request topics: v0 has no null, and an empty list means "all topics"; from v1 null means
// all topics and an empty list none. v10+ may name topics by id (name null).
#ifndef KEEL_KAFKA_METADATA_H_
#define KEEL_KAFKA_METADATA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"
#include "kafka/wire.h"

namespace keel::kafka {

// Kafka's "authorized operations not requested" value.
inline constexpr int32_t kAuthorizedOperationsUnset = INT32_MIN;

struct MetadataRequest {
  static constexpr ApiKey kApiKey = ApiKey::kMetadata;
  static constexpr bool kIsRequest = true;

  struct Topic {
    Uuid topic_id;                    // v10+
    std::optional<std::string> name;  // nullable v10+
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  std::optional<std::vector<Topic>> topics;            // null (v1+) = all topics
  bool allow_auto_topic_creation = true;               // v4+
  bool include_cluster_authorized_operations = false;  // v8-10
  bool include_topic_authorized_operations = false;    // v8+

  void Io(FieldIo& io);
  bool operator==(const MetadataRequest&) const = default;
};

struct MetadataResponse {
  static constexpr ApiKey kApiKey = ApiKey::kMetadata;
  static constexpr bool kIsRequest = false;

  struct Broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;  // v1+
    void Io(FieldIo& io);
    bool operator==(const Broker&) const = default;
  };
  struct Partition {
    int16_t error_code = 0;
    int32_t partition_index = 0;
    int32_t leader_id = 0;
    int32_t leader_epoch = -1;  // v7+
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;  // v5+
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    int16_t error_code = 0;
    std::optional<std::string> name;  // nullable v12+
    Uuid topic_id;                    // v10+
    bool is_internal = false;         // v1+
    std::vector<Partition> partitions;
    int32_t topic_authorized_operations = kAuthorizedOperationsUnset;  // v8+
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;  // v2+
  int32_t controller_id = -1;             // v1+
  std::vector<Topic> topics;
  int32_t cluster_authorized_operations = kAuthorizedOperationsUnset;  // v8-10

  void Io(FieldIo& io);
  bool operator==(const MetadataResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_METADATA_H_

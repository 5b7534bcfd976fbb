// Topic administration: CreateTopics (key 19, v0-7), DeleteTopics (key 20, v0-6) and
// CreatePartitions (key 37, v0-3). Clients send these to Metadata's controller_id.
#ifndef KEEL_KAFKA_TOPIC_ADMIN_H_
#define KEEL_KAFKA_TOPIC_ADMIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"
#include "kafka/wire.h"

namespace keel::kafka {

struct CreateTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;
  static constexpr bool kIsRequest = true;

  struct Assignment {
    int32_t partition_index = 0;
    std::vector<int32_t> broker_ids;
    void Io(FieldIo& io);
    bool operator==(const Assignment&) const = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    void Io(FieldIo& io);
    bool operator==(const Config&) const = default;
  };
  struct Topic {
    std::string name;
    int32_t num_partitions = 0;      // -1: the broker default (v4+)
    int16_t replication_factor = 0;  // -1: the broker default (v4+)
    std::vector<Assignment> assignments;
    std::vector<Config> configs;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;  // v1+

  void Io(FieldIo& io);
  bool operator==(const CreateTopicsRequest&) const = default;
};

struct CreateTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;
  static constexpr bool kIsRequest = false;

  struct Config {  // v5+
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    int8_t config_source = -1;
    bool is_sensitive = false;
    void Io(FieldIo& io);
    bool operator==(const Config&) const = default;
  };
  struct Topic {
    std::string name;
    Uuid topic_id;  // v7+
    int16_t error_code = 0;
    std::optional<std::string> error_message;    // v1+
    int16_t topic_config_error_code = 0;         // v5+, tag 0
    int32_t num_partitions = -1;                 // v5+
    int16_t replication_factor = -1;             // v5+
    std::optional<std::vector<Config>> configs;  // v5+, nullable
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<Topic> topics;

  void Io(FieldIo& io);
  bool operator==(const CreateTopicsResponse&) const = default;
};

struct DeleteTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;
  static constexpr bool kIsRequest = true;

  struct Topic {  // v6+: by name or by id
    std::optional<std::string> name;
    Uuid topic_id;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> topics;             // v6+
  std::vector<std::string> topic_names;  // v0-5
  int32_t timeout_ms = 0;

  void Io(FieldIo& io);
  bool operator==(const DeleteTopicsRequest&) const = default;
};

struct DeleteTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;
  static constexpr bool kIsRequest = false;

  struct Result {
    std::optional<std::string> name;  // nullable v6+
    Uuid topic_id;                    // v6+
    int16_t error_code = 0;
    std::optional<std::string> error_message;  // v5+
    void Io(FieldIo& io);
    bool operator==(const Result&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  std::vector<Result> responses;

  void Io(FieldIo& io);
  bool operator==(const DeleteTopicsResponse&) const = default;
};

struct CreatePartitionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreatePartitions;
  static constexpr bool kIsRequest = true;

  struct Assignment {
    std::vector<int32_t> broker_ids;
    void Io(FieldIo& io);
    bool operator==(const Assignment&) const = default;
  };
  struct Topic {
    std::string name;
    int32_t count = 0;  // the new total partition count
    std::optional<std::vector<Assignment>> assignments;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;

  void Io(FieldIo& io);
  bool operator==(const CreatePartitionsRequest&) const = default;
};

struct CreatePartitionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreatePartitions;
  static constexpr bool kIsRequest = false;

  struct Result {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    void Io(FieldIo& io);
    bool operator==(const Result&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  void Io(FieldIo& io);
  bool operator==(const CreatePartitionsResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_TOPIC_ADMIN_H_

// Configuration APIs: DescribeConfigs (key 32, v0-4) and IncrementalAlterConfigs (key 44,
// v0-1). Resource types: 2 = topic, 4 = broker; config operations: 0 set, 1 delete,
// 2 append, 3 subtract.
#ifndef KEEL_KAFKA_CONFIGS_H_
#define KEEL_KAFKA_CONFIGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

inline constexpr int8_t kResourceTypeTopic = 2;
inline constexpr int8_t kResourceTypeBroker = 4;

struct DescribeConfigsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;
  static constexpr bool kIsRequest = true;

  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys;  // null = all
    void Io(FieldIo& io);
    bool operator==(const Resource&) const = default;
  };

  std::vector<Resource> resources;
  bool include_synonyms = false;       // v1+
  bool include_documentation = false;  // v3+

  void Io(FieldIo& io);
  bool operator==(const DescribeConfigsRequest&) const = default;
};

struct DescribeConfigsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;
  static constexpr bool kIsRequest = false;

  struct Synonym {  // v1+
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
    void Io(FieldIo& io);
    bool operator==(const Synonym&) const = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;    // v0 only
    int8_t config_source = -1;  // v1+
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;             // v1+
    int8_t config_type = 0;                    // v3+
    std::optional<std::string> documentation;  // v3+
    void Io(FieldIo& io);
    bool operator==(const Config&) const = default;
  };
  struct Result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
    void Io(FieldIo& io);
    bool operator==(const Result&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  void Io(FieldIo& io);
  bool operator==(const DescribeConfigsResponse&) const = default;
};

struct IncrementalAlterConfigsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kIncrementalAlterConfigs;
  static constexpr bool kIsRequest = true;

  struct Config {
    std::string name;
    int8_t config_operation = 0;
    std::optional<std::string> value;
    void Io(FieldIo& io);
    bool operator==(const Config&) const = default;
  };
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
    void Io(FieldIo& io);
    bool operator==(const Resource&) const = default;
  };

  std::vector<Resource> resources;
  bool validate_only = false;

  void Io(FieldIo& io);
  bool operator==(const IncrementalAlterConfigsRequest&) const = default;
};

struct IncrementalAlterConfigsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kIncrementalAlterConfigs;
  static constexpr bool kIsRequest = false;

  struct Result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    void Io(FieldIo& io);
    bool operator==(const Result&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Result> responses;

  void Io(FieldIo& io);
  bool operator==(const IncrementalAlterConfigsResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_CONFIGS_H_

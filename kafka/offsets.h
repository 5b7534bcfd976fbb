// Committed consumer offsets: OffsetCommit (key 8, v0-9) and OffsetFetch (key 9, v0-9).
// OffsetFetch v8+ batches several groups; v0-7 carry one group at the top level.
#ifndef KEEL_KAFKA_OFFSETS_H_
#define KEEL_KAFKA_OFFSETS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

struct OffsetCommitRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;
  static constexpr bool kIsRequest = true;

  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;  // v6+
    int64_t commit_timestamp = -1;        // v1 only
    std::optional<std::string> committed_metadata;
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  std::string group_id;
  int32_t generation_id_or_member_epoch = -1;    // v1+
  std::string member_id;                         // v1+
  std::optional<std::string> group_instance_id;  // v7+
  int64_t retention_time_ms = -1;                // v2-4
  std::vector<Topic> topics;

  void Io(FieldIo& io);
  bool operator==(const OffsetCommitRequest&) const = default;
};

struct OffsetCommitResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;
  static constexpr bool kIsRequest = false;

  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Topic> topics;

  void Io(FieldIo& io);
  bool operator==(const OffsetCommitResponse&) const = default;
};

struct OffsetFetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;
  static constexpr bool kIsRequest = true;

  struct Topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };
  struct Group {  // v8+
    std::string group_id;
    std::optional<std::string> member_id;      // v9+
    int32_t member_epoch = -1;                 // v9+
    std::optional<std::vector<Topic>> topics;  // null = all topics
    void Io(FieldIo& io);
    bool operator==(const Group&) const = default;
  };

  std::string group_id;                      // v0-7
  std::optional<std::vector<Topic>> topics;  // v0-7; null (v2+) = all topics
  std::vector<Group> groups;                 // v8+
  bool require_stable = false;               // v7+

  void Io(FieldIo& io);
  bool operator==(const OffsetFetchRequest&) const = default;
};

struct OffsetFetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;
  static constexpr bool kIsRequest = false;

  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;  // v5+
    std::optional<std::string> metadata;
    int16_t error_code = 0;
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };
  struct Group {  // v8+
    std::string group_id;
    std::vector<Topic> topics;
    int16_t error_code = 0;
    void Io(FieldIo& io);
    bool operator==(const Group&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Topic> topics;     // v0-7
  int16_t error_code = 0;        // v2-7
  std::vector<Group> groups;     // v8+

  void Io(FieldIo& io);
  bool operator==(const OffsetFetchResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_OFFSETS_H_

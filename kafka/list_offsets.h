// ListOffsets (key 2), v0-10: the offset for a timestamp, or the earliest (-2) / latest (-1)
// offset (and -3 max timestamp, v7+). v0 answers with old_style_offsets instead of one
// timestamp/offset pair.
#ifndef KEEL_KAFKA_LIST_OFFSETS_H_
#define KEEL_KAFKA_LIST_OFFSETS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

inline constexpr int64_t kListOffsetsLatest = -1;
inline constexpr int64_t kListOffsetsEarliest = -2;
inline constexpr int64_t kListOffsetsMaxTimestamp = -3;

struct ListOffsetsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;
  static constexpr bool kIsRequest = true;

  struct Partition {
    int32_t partition_index = 0;
    int32_t current_leader_epoch = -1;  // v4+
    int64_t timestamp = 0;
    int32_t max_num_offsets = 1;  // v0 only
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  int32_t replica_id = -1;
  int8_t isolation_level = 0;  // v2+
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;  // v10+

  void Io(FieldIo& io);
  bool operator==(const ListOffsetsRequest&) const = default;
};

struct ListOffsetsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;
  static constexpr bool kIsRequest = false;

  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    std::vector<int64_t> old_style_offsets;  // v0 only
    int64_t timestamp = -1;                  // v1+
    int64_t offset = -1;                     // v1+
    int32_t leader_epoch = -1;               // v4+
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<Topic> topics;

  void Io(FieldIo& io);
  bool operator==(const ListOffsetsResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_LIST_OFFSETS_H_

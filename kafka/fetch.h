// Fetch (key 1), v0-17. Up to v12 topics are named, from v13 they are identified by topic id
// (the name field is then empty). Fetch sessions (KIP-227, v7+): a broker that answers
// session_id 0 makes the client send full fetches every time.
#ifndef KEEL_KAFKA_FETCH_H_
#define KEEL_KAFKA_FETCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"
#include "kafka/produce.h"  // LeaderIdAndEpoch, NodeEndpoint
#include "kafka/wire.h"

namespace keel::kafka {

struct FetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;
  static constexpr bool kIsRequest = true;

  struct Partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;  // v9+
    int64_t fetch_offset = 0;
    int32_t last_fetched_epoch = -1;  // v12+
    int64_t log_start_offset = -1;    // v5+
    int32_t partition_max_bytes = 0;
    Uuid replica_directory_id;  // v17+, tag 0
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string topic;  // v4-12
    Uuid topic_id;      // v13+
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };
  struct ForgottenTopic {  // v7+
    std::string topic;     // v7-12
    Uuid topic_id;         // v13+
    std::vector<int32_t> partitions;
    void Io(FieldIo& io);
    bool operator==(const ForgottenTopic&) const = default;
  };
  struct ReplicaState {  // v15+, tag 1
    int32_t replica_id = -1;
    int64_t replica_epoch = -1;
    void Io(FieldIo& io);
    bool operator==(const ReplicaState&) const = default;
  };

  std::optional<std::string> cluster_id;  // v12+, tag 0
  int32_t replica_id = -1;                // v4-14 (-1 for consumers)
  ReplicaState replica_state;             // v15+, tag 1
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = 0x7fffffff;
  int8_t isolation_level = 0;  // 0 read_uncommitted, 1 read_committed
  int32_t session_id = 0;      // v7+
  int32_t session_epoch = -1;  // v7+
  std::vector<Topic> topics;
  std::vector<ForgottenTopic> forgotten_topics_data;  // v7+
  std::string rack_id;                                // v11+

  void Io(FieldIo& io);
  bool operator==(const FetchRequest&) const = default;
};

struct FetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;
  static constexpr bool kIsRequest = false;

  struct EpochEndOffset {  // tag 0 of a partition, v12+
    int32_t epoch = -1;
    int64_t end_offset = -1;
    void Io(FieldIo& io);
    bool operator==(const EpochEndOffset&) const = default;
  };
  struct SnapshotId {  // tag 2 of a partition, v12+
    int64_t end_offset = -1;
    int32_t epoch = -1;
    void Io(FieldIo& io);
    bool operator==(const SnapshotId&) const = default;
  };
  struct AbortedTransaction {
    int64_t producer_id = 0;
    int64_t first_offset = 0;
    void Io(FieldIo& io);
    bool operator==(const AbortedTransaction&) const = default;
  };
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t high_watermark = 0;
    int64_t last_stable_offset = -1;                                      // v4+
    int64_t log_start_offset = -1;                                        // v5+
    EpochEndOffset diverging_epoch;                                       // v12+, tag 0
    LeaderIdAndEpoch current_leader;                                      // v12+, tag 1
    SnapshotId snapshot_id;                                               // v12+, tag 2
    std::optional<std::vector<AbortedTransaction>> aborted_transactions;  // v4+, nullable
    int32_t preferred_read_replica = -1;                                  // v11+
    std::optional<std::string> records;
    void Io(FieldIo& io);
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string topic;  // v4-12
    Uuid topic_id;      // v13+
    std::vector<Partition> partitions;
    void Io(FieldIo& io);
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;        // v7+
  int32_t session_id = 0;        // v7+
  std::vector<Topic> responses;
  std::vector<NodeEndpoint> node_endpoints;  // v16+, tag 0

  void Io(FieldIo& io);
  bool operator==(const FetchResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_FETCH_H_

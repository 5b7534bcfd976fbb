// CoordinatorRouter: which broker coordinates a group, for every front end (the Kafka
// listener's handlers and the gRPC GroupService) — one implementation of Kafka's rule: the
// coordinator of a group is the leader of the group's partition of __consumer_offsets.
//
//   Find(group, endpoint): FindCoordinator. The first one creates __consumer_offsets through
//       the controller (offsets.topic.num.partitions, replication
//       min(offsets.topic.replication.factor, usable brokers)) and waits a moment for its
//       leaders; COORDINATOR_NOT_AVAILABLE until the partition has a leader with an endpoint
//       of the asked name (the Kafka listener answers its KAFKA endpoint, GroupService its
//       gRPC DATA endpoint).
//   CoordinatorError(group): the check every other group request makes: 0 on the
//       coordinator, NOT_COORDINATOR elsewhere, COORDINATOR_NOT_AVAILABLE without a leader,
//       COORDINATOR_LOAD_IN_PROGRESS while this broker loads the partition.
//
// Thread safety: thread-safe; the injected functions are called without any lock held.
#ifndef KEEL_BROKER_GROUP_COORDINATOR_ROUTER_H_
#define KEEL_BROKER_GROUP_COORDINATOR_ROUTER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "broker/group/group_config.h"
#include "metadata/metadata_image.h"
#include "proto/controller.pb.h"

namespace keel::broker::group {

inline constexpr char kOffsetsTopic[] = "__consumer_offsets";

// Java's String.hashCode over the UTF-16 code units of `utf8` (bytes that are not valid
// UTF-8 count as one unit each), so that a group lands on the partition Kafka would pick.
int32_t JavaStringHash(std::string_view utf8);

// Kafka's Utils.abs(groupId.hashCode) % partitions (Utils.abs maps MIN_VALUE to 0).
int32_t OffsetsPartitionFor(std::string_view group_id, int32_t partitions);

// The client host as Kafka reports it ("/127.0.0.1") from a peer: "host:port" (the Kafka
// listener) or gRPC's "ipv4:host:port" / "ipv6:[host]:port".
std::string ClientHost(const std::string& peer);

// A FindCoordinator answer.
struct CoordinatorLocation {
  int16_t error_code = 0;  // Kafka's number
  std::string error_message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
};

class CoordinatorRouter {
 public:
  using ReadImage =
      std::function<void(const std::function<void(const metadata::MetadataImage&)>&)>;
  using CreateTopics = std::function<absl::StatusOr<controller::CreateTopicsResponse>(
      const controller::CreateTopicsRequest&)>;
  // Loads the partition (of `partition_count`) at `leader_epoch` if not loaded yet: 0 when
  // loaded, COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE otherwise. Null: the
  // offsets are in memory only and nothing needs loading.
  using EnsureLoaded =
      std::function<int16_t(int32_t partition, int32_t partition_count, int32_t leader_epoch)>;

  CoordinatorRouter(int32_t broker_id, GroupConfig config, ReadImage read_image,
                    CreateTopics create_topics, EnsureLoaded ensure_loaded,
                    int64_t admin_timeout_ms = 30000, int64_t leader_wait_ms = 2000);

  // FindCoordinator for a group; `endpoint_name` picks the coordinator's listener.
  CoordinatorLocation Find(const std::string& group_id, std::string_view endpoint_name);

  // 0 if this broker coordinates `group_id` (its partition loaded), else the Kafka error.
  int16_t CoordinatorError(const std::string& group_id) const;

  int32_t broker_id() const { return broker_id_; }

 private:
  bool OffsetsTopicExists() const;
  void CreateOffsetsTopic();

  const int32_t broker_id_;
  const GroupConfig config_;
  const ReadImage read_image_;
  const CreateTopics create_topics_;
  const EnsureLoaded ensure_loaded_;
  const int64_t admin_timeout_ms_;
  const int64_t leader_wait_ms_;
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_COORDINATOR_ROUTER_H_

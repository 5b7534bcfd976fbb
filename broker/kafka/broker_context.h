// BrokerContext: what the Kafka handlers may use of the broker they run in. Handlers hold a
// pointer to one context shared by all of them; it outlives the listener.
#ifndef KEEL_BROKER_KAFKA_BROKER_CONTEXT_H_
#define KEEL_BROKER_KAFKA_BROKER_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "broker/data_plane.h"
#include "broker/group/group_config.h"
#include "broker/kafka/controller_admin.h"
#include "broker/kafka/producer_id_block.h"
#include "broker/kafka/producer_state.h"
#include "metadata/metadata_image.h"

namespace keel::broker::group {
class CoordinatorRouter;
class GroupCoordinator;
}  // namespace keel::broker::group

namespace keel::broker::kafka {

class GroupOffsetLog;

// The endpoint name the Kafka listener registers under (the gRPC one is "DATA").
inline constexpr char kKafkaEndpointName[] = "KAFKA";

struct KafkaConfig {
  // Kafka's auto.create.topics.enable: a Metadata or Produce naming an unknown topic creates
  // it with the defaults below. Kafka's default is true; so is ours (docs/kafka.md).
  bool auto_create_topics = true;
  int32_t default_partitions = 1;          // Kafka's num.partitions
  int16_t default_replication_factor = 1;  // Kafka's default.replication.factor
  int64_t admin_timeout_ms = 30000;        // bound on a forwarded admin request
  group::GroupConfig groups;               // the group coordinator's (docs/groups.md)
};

struct BrokerContext {
  int32_t broker_id = -1;
  std::string cluster_id;
  KafkaConfig config;
  DataPlane* data_plane = nullptr;
  DataPlane::ReadImage read_image;
  ControllerAdmin* admin = nullptr;
  ProducerStateTable* producers = nullptr;  // idempotent producers; null: not checked
  // The consumer-group coordinator (broker/group/), which the broker shares with its gRPC
  // GroupService; KafkaListener builds one (with its log and router) when null.
  group::GroupCoordinator* groups = nullptr;
  // Where its offsets are durable (__consumer_offsets); null: in memory only.
  GroupOffsetLog* group_log = nullptr;
  // Which broker coordinates a group; KafkaListener builds one when null.
  group::CoordinatorRouter* group_router = nullptr;
  // This broker's current registration epoch (-1 before it registered): sent with
  // controller requests that need it (AllocateProducerIds).
  std::function<int64_t()> broker_epoch;
  // Producer ids for InitProducerId; null: KafkaListener builds one over `admin`.
  ProducerIdBlock* producer_ids = nullptr;
  // Wall clock in ms (record timestamps); injectable for tests.
  std::function<int64_t()> now_ms;
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_BROKER_CONTEXT_H_

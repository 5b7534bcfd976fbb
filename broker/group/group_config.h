// GroupConfig: the coordinator's settings, named and defaulted as Kafka's broker configs.
#ifndef KEEL_BROKER_GROUP_GROUP_CONFIG_H_
#define KEEL_BROKER_GROUP_GROUP_CONFIG_H_

#include <cstdint>
#include <limits>

namespace keel::broker::group {

struct GroupConfig {
  // group.min.session.timeout.ms / group.max.session.timeout.ms: a JoinGroup asking for a
  // session timeout outside them gets INVALID_SESSION_TIMEOUT.
  int32_t min_session_timeout_ms = 6000;
  int32_t max_session_timeout_ms = 1800000;
  // group.initial.rebalance.delay.ms: the first rebalance of an empty group waits this long
  // (again, while members keep arriving, up to the rebalance timeout) so that consumers
  // starting together get one rebalance, not one each.
  int32_t initial_rebalance_delay_ms = 3000;
  // group.max.size: members beyond it get GROUP_MAX_SIZE_REACHED.
  int32_t max_size = std::numeric_limits<int32_t>::max();
  // offset.metadata.max.bytes: a commit's metadata string beyond it gets
  // OFFSET_METADATA_TOO_LARGE.
  int32_t offset_metadata_max_bytes = 4096;
  // offsets.topic.num.partitions / offsets.topic.replication.factor: how __consumer_offsets
  // is created on the first FindCoordinator (the factor is capped at the usable brokers).
  int32_t offsets_topic_num_partitions = 50;
  int16_t offsets_topic_replication_factor = 3;
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_GROUP_CONFIG_H_

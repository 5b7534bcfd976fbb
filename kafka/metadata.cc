#include "kafka/metadata.h"

namespace keel::kafka {

void MetadataRequest::Topic::Io(FieldIo& io) {
  if (io.version() >= 10) io.Uuid(topic_id);
  io.String(name, /*nullable=*/io.version() >= 10);
  io.TaggedFields();
}

void MetadataRequest::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.Array(topics, /*nullable=*/v >= 1);
  if (v >= 4) io.Bool(allow_auto_topic_creation);
  if (v >= 8 && v <= 10) io.Bool(include_cluster_authorized_operations);
  if (v >= 8) io.Bool(include_topic_authorized_operations);
  io.TaggedFields();
}

void MetadataResponse::Broker::Io(FieldIo& io) {
  io.Int32(node_id);
  io.String(host);
  io.Int32(port);
  if (io.version() >= 1) io.String(rack);
  io.TaggedFields();
}

void MetadataResponse::Partition::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.Int16(error_code);
  io.Int32(partition_index);
  io.Int32(leader_id);
  if (v >= 7) io.Int32(leader_epoch);
  io.Array(replica_nodes);
  io.Array(isr_nodes);
  if (v >= 5) io.Array(offline_replicas);
  io.TaggedFields();
}

void MetadataResponse::Topic::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.Int16(error_code);
  io.String(name, /*nullable=*/v >= 12);
  if (v >= 10) io.Uuid(topic_id);
  if (v >= 1) io.Bool(is_internal);
  io.Array(partitions);
  if (v >= 8) io.Int32(topic_authorized_operations);
  io.TaggedFields();
}

void MetadataResponse::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v >= 3) io.Int32(throttle_time_ms);
  io.Array(brokers);
  if (v >= 2) io.String(cluster_id);
  if (v >= 1) io.Int32(controller_id);
  io.Array(topics);
  if (v >= 8 && v <= 10) io.Int32(cluster_authorized_operations);
  io.TaggedFields();
}

}  // namespace keel::kafka

#include "kafka/describe_cluster.h"

namespace keel::kafka {

void DescribeClusterRequest::Io(FieldIo& io) {
  io.Bool(include_cluster_authorized_operations);
  if (io.version() >= 1) io.Int8(endpoint_type);
  io.TaggedFields();
}

void DescribeClusterResponse::Broker::Io(FieldIo& io) {
  io.Int32(broker_id);
  io.String(host);
  io.Int32(port);
  io.String(rack);
  io.TaggedFields();
}

void DescribeClusterResponse::Io(FieldIo& io) {
  io.Int32(throttle_time_ms);
  io.Int16(error_code);
  io.String(error_message);
  if (io.version() >= 1) io.Int8(endpoint_type);
  io.String(cluster_id);
  io.Int32(controller_id);
  io.Array(brokers);
  io.Int32(cluster_authorized_operations);
  io.TaggedFields();
}

}  // namespace keel::kafka

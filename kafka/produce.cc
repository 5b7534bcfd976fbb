#include "kafka/produce.h"

namespace keel::kafka {

void ProduceRequest::Partition::Io(FieldIo& io) {
  io.Int32(index);
  io.Bytes(records);
  io.TaggedFields();
}

void ProduceRequest::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Array(partitions);
  io.TaggedFields();
}

void ProduceRequest::Io(FieldIo& io) {
  if (io.version() >= 3) io.String(transactional_id);
  io.Int16(acks);
  io.Int32(timeout_ms);
  io.Array(topics);
  io.TaggedFields();
}

void LeaderIdAndEpoch::Io(FieldIo& io) {
  io.Int32(leader_id);
  io.Int32(leader_epoch);
  io.TaggedFields();
}

void NodeEndpoint::Io(FieldIo& io) {
  io.Int32(node_id);
  io.String(host);
  io.Int32(port);
  io.String(rack);
  io.TaggedFields();
}

void ProduceResponse::RecordError::Io(FieldIo& io) {
  io.Int32(batch_index);
  io.String(batch_index_error_message);
  io.TaggedFields();
}

void ProduceResponse::Partition::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.Int32(index);
  io.Int16(error_code);
  io.Int64(base_offset);
  if (v >= 2) io.Int64(log_append_time_ms);
  if (v >= 5) io.Int64(log_start_offset);
  if (v >= 8) {
    io.Array(record_errors);
    io.String(error_message);
  }
  if (v >= 10) {
    io.TaggedFields(
        {{0, !current_leader.IsDefault(), [this](FieldIo& t) { current_leader.Io(t); }}});
  } else {
    io.TaggedFields();
  }
}

void ProduceResponse::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Array(partitions);
  io.TaggedFields();
}

void ProduceResponse::Io(FieldIo& io) {
  io.Array(responses);
  if (io.version() >= 1) io.Int32(throttle_time_ms);
  if (io.version() >= 10) {
    io.TaggedFields(
        {{0, !node_endpoints.empty(), [this](FieldIo& t) { t.Array(node_endpoints); }}});
  } else {
    io.TaggedFields();
  }
}

}  // namespace keel::kafka

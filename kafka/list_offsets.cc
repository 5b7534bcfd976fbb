#include "kafka/list_offsets.h"

namespace keel::kafka {

void ListOffsetsRequest::Partition::Io(FieldIo& io) {
  io.Int32(partition_index);
  if (io.version() >= 4) io.Int32(current_leader_epoch);
  io.Int64(timestamp);
  if (io.version() == 0) io.Int32(max_num_offsets);
  io.TaggedFields();
}

void ListOffsetsRequest::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Array(partitions);
  io.TaggedFields();
}

void ListOffsetsRequest::Io(FieldIo& io) {
  io.Int32(replica_id);
  if (io.version() >= 2) io.Int8(isolation_level);
  io.Array(topics);
  if (io.version() >= 10) io.Int32(timeout_ms);
  io.TaggedFields();
}

void ListOffsetsResponse::Partition::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.Int32(partition_index);
  io.Int16(error_code);
  if (v == 0) io.Array(old_style_offsets);
  if (v >= 1) {
    io.Int64(timestamp);
    io.Int64(offset);
  }
  if (v >= 4) io.Int32(leader_epoch);
  io.TaggedFields();
}

void ListOffsetsResponse::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Array(partitions);
  io.TaggedFields();
}

void ListOffsetsResponse::Io(FieldIo& io) {
  if (io.version() >= 2) io.Int32(throttle_time_ms);
  io.Array(topics);
  io.TaggedFields();
}

}  // namespace keel::kafka

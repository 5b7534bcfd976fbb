#include "kafka/offset_for_leader_epoch.h"

namespace keel::kafka {

void OffsetForLeaderEpochRequest::Partition::Io(FieldIo& io) {
  io.Int32(partition);
  if (io.version() >= 2) io.Int32(current_leader_epoch);
  io.Int32(leader_epoch);
  io.TaggedFields();
}

void OffsetForLeaderEpochRequest::Topic::Io(FieldIo& io) {
  io.String(topic);
  io.Array(partitions);
  io.TaggedFields();
}

void OffsetForLeaderEpochRequest::Io(FieldIo& io) {
  if (io.version() >= 3) io.Int32(replica_id);
  io.Array(topics);
  io.TaggedFields();
}

void OffsetForLeaderEpochResponse::Partition::Io(FieldIo& io) {
  io.Int16(error_code);
  io.Int32(partition);
  if (io.version() >= 1) io.Int32(leader_epoch);
  io.Int64(end_offset);
  io.TaggedFields();
}

void OffsetForLeaderEpochResponse::Topic::Io(FieldIo& io) {
  io.String(topic);
  io.Array(partitions);
  io.TaggedFields();
}

void OffsetForLeaderEpochResponse::Io(FieldIo& io) {
  if (io.version() >= 2) io.Int32(throttle_time_ms);
  io.Array(topics);
  io.TaggedFields();
}

}  // namespace keel::kafka

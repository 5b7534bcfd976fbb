#include "kafka/offsets.h"

namespace keel::kafka {

void OffsetCommitRequest::Partition::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.Int32(partition_index);
  io.Int64(committed_offset);
  if (v >= 6) io.Int32(committed_leader_epoch);
  if (v == 1) io.Int64(commit_timestamp);
  io.String(committed_metadata);
  io.TaggedFields();
}

void OffsetCommitRequest::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Array(partitions);
  io.TaggedFields();
}

void OffsetCommitRequest::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.String(group_id);
  if (v >= 1) {
    io.Int32(generation_id_or_member_epoch);
    io.String(member_id);
  }
  if (v >= 7) io.String(group_instance_id);
  if (v >= 2 && v <= 4) io.Int64(retention_time_ms);
  io.Array(topics);
  io.TaggedFields();
}

void OffsetCommitResponse::Partition::Io(FieldIo& io) {
  io.Int32(partition_index);
  io.Int16(error_code);
  io.TaggedFields();
}

void OffsetCommitResponse::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Array(partitions);
  io.TaggedFields();
}

void OffsetCommitResponse::Io(FieldIo& io) {
  if (io.version() >= 3) io.Int32(throttle_time_ms);
  io.Array(topics);
  io.TaggedFields();
}

void OffsetFetchRequest::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Array(partition_indexes);
  io.TaggedFields();
}

void OffsetFetchRequest::Group::Io(FieldIo& io) {
  io.String(group_id);
  if (io.version() >= 9) {
    io.String(member_id);
    io.Int32(member_epoch);
  }
  io.Array(topics);
  io.TaggedFields();
}

void OffsetFetchRequest::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v <= 7) {
    io.String(group_id);
    io.Array(topics, /*nullable=*/v >= 2);
  }
  if (v >= 8) io.Array(groups);
  if (v >= 7) io.Bool(require_stable);
  io.TaggedFields();
}

void OffsetFetchResponse::Partition::Io(FieldIo& io) {
  io.Int32(partition_index);
  io.Int64(committed_offset);
  if (io.version() >= 5) io.Int32(committed_leader_epoch);
  io.String(metadata);
  io.Int16(error_code);
  io.TaggedFields();
}

void OffsetFetchResponse::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Array(partitions);
  io.TaggedFields();
}

void OffsetFetchResponse::Group::Io(FieldIo& io) {
  io.String(group_id);
  io.Array(topics);
  io.Int16(error_code);
  io.TaggedFields();
}

void OffsetFetchResponse::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v >= 3) io.Int32(throttle_time_ms);
  if (v <= 7) io.Array(topics);
  if (v >= 2 && v <= 7) io.Int16(error_code);
  if (v >= 8) io.Array(groups);
  io.TaggedFields();
}

}  // namespace keel::kafka

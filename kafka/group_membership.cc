#include "kafka/group_membership.h"

namespace keel::kafka {

void FindCoordinatorRequest::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v <= 3) io.String(key);
  if (v >= 1) io.Int8(key_type);
  if (v >= 4) io.Array(coordinator_keys);
  io.TaggedFields();
}

void FindCoordinatorResponse::Coordinator::Io(FieldIo& io) {
  io.String(key);
  io.Int32(node_id);
  io.String(host);
  io.Int32(port);
  io.Int16(error_code);
  io.String(error_message);
  io.TaggedFields();
}

void FindCoordinatorResponse::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v >= 1) io.Int32(throttle_time_ms);
  if (v <= 3) {
    io.Int16(error_code);
    if (v >= 1) io.String(error_message);
    io.Int32(node_id);
    io.String(host);
    io.Int32(port);
  }
  if (v >= 4) io.Array(coordinators);
  io.TaggedFields();
}

void JoinGroupRequest::Protocol::Io(FieldIo& io) {
  io.String(name);
  io.Bytes(metadata);
  io.TaggedFields();
}

void JoinGroupRequest::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.String(group_id);
  io.Int32(session_timeout_ms);
  if (v >= 1) io.Int32(rebalance_timeout_ms);
  io.String(member_id);
  if (v >= 5) io.String(group_instance_id);
  io.String(protocol_type);
  io.Array(protocols);
  if (v >= 8) io.String(reason);
  io.TaggedFields();
}

void JoinGroupResponse::Member::Io(FieldIo& io) {
  io.String(member_id);
  if (io.version() >= 5) io.String(group_instance_id);
  io.Bytes(metadata);
  io.TaggedFields();
}

void JoinGroupResponse::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v >= 2) io.Int32(throttle_time_ms);
  io.Int16(error_code);
  io.Int32(generation_id);
  if (v >= 7) io.String(protocol_type);
  io.String(protocol_name, /*nullable=*/v >= 7);
  io.String(leader);
  if (v >= 9) io.Bool(skip_assignment);
  io.String(member_id);
  io.Array(members);
  io.TaggedFields();
}

void SyncGroupRequest::Assignment::Io(FieldIo& io) {
  io.String(member_id);
  io.Bytes(assignment);
  io.TaggedFields();
}

void SyncGroupRequest::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.String(group_id);
  io.Int32(generation_id);
  io.String(member_id);
  if (v >= 3) io.String(group_instance_id);
  if (v >= 5) {
    io.String(protocol_type);
    io.String(protocol_name);
  }
  io.Array(assignments);
  io.TaggedFields();
}

void SyncGroupResponse::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v >= 1) io.Int32(throttle_time_ms);
  io.Int16(error_code);
  if (v >= 5) {
    io.String(protocol_type);
    io.String(protocol_name);
  }
  io.Bytes(assignment);
  io.TaggedFields();
}

void HeartbeatRequest::Io(FieldIo& io) {
  io.String(group_id);
  io.Int32(generation_id);
  io.String(member_id);
  if (io.version() >= 3) io.String(group_instance_id);
  io.TaggedFields();
}

void HeartbeatResponse::Io(FieldIo& io) {
  if (io.version() >= 1) io.Int32(throttle_time_ms);
  io.Int16(error_code);
  io.TaggedFields();
}

void LeaveGroupRequest::Member::Io(FieldIo& io) {
  io.String(member_id);
  io.String(group_instance_id);
  if (io.version() >= 5) io.String(reason);
  io.TaggedFields();
}

void LeaveGroupRequest::Io(FieldIo& io) {
  io.String(group_id);
  if (io.version() <= 2) io.String(member_id);
  if (io.version() >= 3) io.Array(members);
  io.TaggedFields();
}

void LeaveGroupResponse::Member::Io(FieldIo& io) {
  io.String(member_id);
  io.String(group_instance_id);
  io.Int16(error_code);
  io.TaggedFields();
}

void LeaveGroupResponse::Io(FieldIo& io) {
  if (io.version() >= 1) io.Int32(throttle_time_ms);
  io.Int16(error_code);
  if (io.version() >= 3) io.Array(members);
  io.TaggedFields();
}

}  // namespace keel::kafka

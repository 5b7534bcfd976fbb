#include "kafka/group_admin.h"

namespace keel::kafka {

void DescribeGroupsRequest::Io(FieldIo& io) {
  io.Array(groups);
  if (io.version() >= 3) io.Bool(include_authorized_operations);
  io.TaggedFields();
}

void DescribeGroupsResponse::Member::Io(FieldIo& io) {
  io.String(member_id);
  if (io.version() >= 4) io.String(group_instance_id);
  io.String(client_id);
  io.String(client_host);
  io.Bytes(member_metadata);
  io.Bytes(member_assignment);
  io.TaggedFields();
}

void DescribeGroupsResponse::Group::Io(FieldIo& io) {
  io.Int16(error_code);
  io.String(group_id);
  io.String(group_state);
  io.String(protocol_type);
  io.String(protocol_data);
  io.Array(members);
  if (io.version() >= 3) io.Int32(authorized_operations);
  io.TaggedFields();
}

void DescribeGroupsResponse::Io(FieldIo& io) {
  if (io.version() >= 1) io.Int32(throttle_time_ms);
  io.Array(groups);
  io.TaggedFields();
}

void ListGroupsRequest::Io(FieldIo& io) {
  if (io.version() >= 4) io.Array(states_filter);
  if (io.version() >= 5) io.Array(types_filter);
  io.TaggedFields();
}

void ListGroupsResponse::Group::Io(FieldIo& io) {
  io.String(group_id);
  io.String(protocol_type);
  if (io.version() >= 4) io.String(group_state);
  if (io.version() >= 5) io.String(group_type);
  io.TaggedFields();
}

void ListGroupsResponse::Io(FieldIo& io) {
  if (io.version() >= 1) io.Int32(throttle_time_ms);
  io.Int16(error_code);
  io.Array(groups);
  io.TaggedFields();
}

void DeleteGroupsRequest::Io(FieldIo& io) {
  io.Array(groups_names);
  io.TaggedFields();
}

void DeleteGroupsResponse::Result::Io(FieldIo& io) {
  io.String(group_id);
  io.Int16(error_code);
  io.TaggedFields();
}

void DeleteGroupsResponse::Io(FieldIo& io) {
  io.Int32(throttle_time_ms);
  io.Array(results);
  io.TaggedFields();
}

}  // namespace keel::kafka

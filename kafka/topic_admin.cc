#include "kafka/topic_admin.h"

namespace keel::kafka {

void CreateTopicsRequest::Assignment::Io(FieldIo& io) {
  io.Int32(partition_index);
  io.Array(broker_ids);
  io.TaggedFields();
}

void CreateTopicsRequest::Config::Io(FieldIo& io) {
  io.String(name);
  io.String(value);
  io.TaggedFields();
}

void CreateTopicsRequest::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Int32(num_partitions);
  io.Int16(replication_factor);
  io.Array(assignments);
  io.Array(configs);
  io.TaggedFields();
}

void CreateTopicsRequest::Io(FieldIo& io) {
  io.Array(topics);
  io.Int32(timeout_ms);
  if (io.version() >= 1) io.Bool(validate_only);
  io.TaggedFields();
}

void CreateTopicsResponse::Config::Io(FieldIo& io) {
  io.String(name);
  io.String(value);
  io.Bool(read_only);
  io.Int8(config_source);
  io.Bool(is_sensitive);
  io.TaggedFields();
}

void CreateTopicsResponse::Topic::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.String(name);
  if (v >= 7) io.Uuid(topic_id);
  io.Int16(error_code);
  if (v >= 1) io.String(error_message);
  if (v >= 5) {
    io.Int32(num_partitions);
    io.Int16(replication_factor);
    io.Array(configs);
    io.TaggedFields({{0, topic_config_error_code != 0,
                      [this](FieldIo& t) { t.Int16(topic_config_error_code); }}});
  }
}

void CreateTopicsResponse::Io(FieldIo& io) {
  if (io.version() >= 2) io.Int32(throttle_time_ms);
  io.Array(topics);
  io.TaggedFields();
}

void DeleteTopicsRequest::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Uuid(topic_id);
  io.TaggedFields();
}

void DeleteTopicsRequest::Io(FieldIo& io) {
  if (io.version() >= 6) io.Array(topics);
  if (io.version() <= 5) io.Array(topic_names);
  io.Int32(timeout_ms);
  io.TaggedFields();
}

void DeleteTopicsResponse::Result::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.String(name, /*nullable=*/v >= 6);
  if (v >= 6) io.Uuid(topic_id);
  io.Int16(error_code);
  if (v >= 5) io.String(error_message);
  io.TaggedFields();
}

void DeleteTopicsResponse::Io(FieldIo& io) {
  if (io.version() >= 1) io.Int32(throttle_time_ms);
  io.Array(responses);
  io.TaggedFields();
}

void CreatePartitionsRequest::Assignment::Io(FieldIo& io) {
  io.Array(broker_ids);
  io.TaggedFields();
}

void CreatePartitionsRequest::Topic::Io(FieldIo& io) {
  io.String(name);
  io.Int32(count);
  io.Array(assignments);
  io.TaggedFields();
}

void CreatePartitionsRequest::Io(FieldIo& io) {
  io.Array(topics);
  io.Int32(timeout_ms);
  io.Bool(validate_only);
  io.TaggedFields();
}

void CreatePartitionsResponse::Result::Io(FieldIo& io) {
  io.String(name);
  io.Int16(error_code);
  io.String(error_message);
  io.TaggedFields();
}

void CreatePartitionsResponse::Io(FieldIo& io) {
  io.Int32(throttle_time_ms);
  io.Array(results);
  io.TaggedFields();
}

}  // namespace keel::kafka

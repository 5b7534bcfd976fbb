#include "kafka/configs.h"

namespace keel::kafka {

void DescribeConfigsRequest::Resource::Io(FieldIo& io) {
  io.Int8(resource_type);
  io.String(resource_name);
  io.Array(configuration_keys);
  io.TaggedFields();
}

void DescribeConfigsRequest::Io(FieldIo& io) {
  io.Array(resources);
  if (io.version() >= 1) io.Bool(include_synonyms);
  if (io.version() >= 3) io.Bool(include_documentation);
  io.TaggedFields();
}

void DescribeConfigsResponse::Synonym::Io(FieldIo& io) {
  io.String(name);
  io.String(value);
  io.Int8(source);
  io.TaggedFields();
}

void DescribeConfigsResponse::Config::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.String(name);
  io.String(value);
  io.Bool(read_only);
  if (v == 0) io.Bool(is_default);
  if (v >= 1) io.Int8(config_source);
  io.Bool(is_sensitive);
  if (v >= 1) io.Array(synonyms);
  if (v >= 3) {
    io.Int8(config_type);
    io.String(documentation);
  }
  io.TaggedFields();
}

void DescribeConfigsResponse::Result::Io(FieldIo& io) {
  io.Int16(error_code);
  io.String(error_message);
  io.Int8(resource_type);
  io.String(resource_name);
  io.Array(configs);
  io.TaggedFields();
}

void DescribeConfigsResponse::Io(FieldIo& io) {
  io.Int32(throttle_time_ms);
  io.Array(results);
  io.TaggedFields();
}

void IncrementalAlterConfigsRequest::Config::Io(FieldIo& io) {
  io.String(name);
  io.Int8(config_operation);
  io.String(value);
  io.TaggedFields();
}

void IncrementalAlterConfigsRequest::Resource::Io(FieldIo& io) {
  io.Int8(resource_type);
  io.String(resource_name);
  io.Array(configs);
  io.TaggedFields();
}

void IncrementalAlterConfigsRequest::Io(FieldIo& io) {
  io.Array(resources);
  io.Bool(validate_only);
  io.TaggedFields();
}

void IncrementalAlterConfigsResponse::Result::Io(FieldIo& io) {
  io.Int16(error_code);
  io.String(error_message);
  io.Int8(resource_type);
  io.String(resource_name);
  io.TaggedFields();
}

void IncrementalAlterConfigsResponse::Io(FieldIo& io) {
  io.Int32(throttle_time_ms);
  io.Array(responses);
  io.TaggedFields();
}

}  // namespace keel::kafka

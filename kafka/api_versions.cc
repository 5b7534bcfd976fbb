#include "kafka/api_versions.h"

namespace keel::kafka {

void ApiVersionsRequest::Io(FieldIo& io) {
  if (io.version() >= 3) {
    io.String(client_software_name);
    io.String(client_software_version);
  }
  io.TaggedFields();
}

void ApiVersionsResponse::ApiVersion::Io(FieldIo& io) {
  io.Int16(api_key);
  io.Int16(min_version);
  io.Int16(max_version);
  io.TaggedFields();
}

void ApiVersionsResponse::SupportedFeature::Io(FieldIo& io) {
  io.String(name);
  io.Int16(min_version);
  io.Int16(max_version);
  io.TaggedFields();
}

void ApiVersionsResponse::FinalizedFeature::Io(FieldIo& io) {
  io.String(name);
  io.Int16(max_version_level);
  io.Int16(min_version_level);
  io.TaggedFields();
}

void ApiVersionsResponse::Io(FieldIo& io) {
  io.Int16(error_code);
  io.Array(api_keys);
  if (io.version() >= 1) io.Int32(throttle_time_ms);
  io.TaggedFields({
      {0, !supported_features.empty(), [this](FieldIo& t) { t.Array(supported_features); }},
      {1, finalized_features_epoch != -1,
       [this](FieldIo& t) { t.Int64(finalized_features_epoch); }},
      {2, !finalized_features.empty(), [this](FieldIo& t) { t.Array(finalized_features); }},
      {3, zk_migration_ready, [this](FieldIo& t) { t.Bool(zk_migration_ready); }},
  });
}

std::vector<ApiVersionsResponse::ApiVersion> CodecApiVersions() {
  std::vector<ApiVersionsResponse::ApiVersion> versions;
  for (const ApiInfo& api : SupportedApis()) {
    versions.push_back({static_cast<int16_t>(api.key), api.min_version, api.max_version});
  }
  return versions;
}

}  // namespace keel::kafka

// ApiVersions (key 18), v0-4. A client's first request: which versions of which APIs the
// broker serves. The response header is always v0 (header.h). A request for a version we do
// not know is answered with UNSUPPORTED_VERSION in the v0 layout (Encode(response, 0)),
// listing our versions, and the client retries with one of them.
#ifndef KEEL_KAFKA_API_VERSIONS_H_
#define KEEL_KAFKA_API_VERSIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

struct ApiVersionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;
  static constexpr bool kIsRequest = true;

  std::string client_software_name;     // v3+
  std::string client_software_version;  // v3+

  void Io(FieldIo& io);
  bool operator==(const ApiVersionsRequest&) const = default;
};

struct ApiVersionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;
  static constexpr bool kIsRequest = false;

  struct ApiVersion {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
    void Io(FieldIo& io);
    bool operator==(const ApiVersion&) const = default;
  };
  struct SupportedFeature {  // tagged, v3+
    std::string name;
    int16_t min_version = 0;
    int16_t max_version = 0;
    void Io(FieldIo& io);
    bool operator==(const SupportedFeature&) const = default;
  };
  struct FinalizedFeature {  // tagged, v3+
    std::string name;
    int16_t max_version_level = 0;
    int16_t min_version_level = 0;
    void Io(FieldIo& io);
    bool operator==(const FinalizedFeature&) const = default;
  };

  int16_t error_code = 0;
  std::vector<ApiVersion> api_keys;
  int32_t throttle_time_ms = 0;                      // v1+
  std::vector<SupportedFeature> supported_features;  // tag 0
  int64_t finalized_features_epoch = -1;             // tag 1
  std::vector<FinalizedFeature> finalized_features;  // tag 2
  bool zk_migration_ready = false;                   // tag 3

  void Io(FieldIo& io);
  bool operator==(const ApiVersionsResponse&) const = default;
};

// Every API of SupportedApis() with the codec's version range: the api_keys list of a
// broker that serves them all (a listener may narrow it).
std::vector<ApiVersionsResponse::ApiVersion> CodecApiVersions();

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_API_VERSIONS_H_

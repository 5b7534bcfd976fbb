// Framing: every Kafka request and response is an INT32 size followed by that many bytes,
// a header, then the body of the API's request or response message.
//
// Request header v1: api_key INT16, api_version INT16, correlation_id INT32, client_id
// NULLABLE_STRING (classic INT16 length even in flexible versions). v2 (the API version is
// flexible) adds a tagged-field section. Response header v0: correlation_id INT32; v1 (the
// API version is flexible) adds a tagged-field section, except ApiVersions, whose response
// header is always v0 (KIP-511) so that a client can read it before knowing our versions.
#ifndef KEEL_KAFKA_HEADER_H_
#define KEEL_KAFKA_HEADER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "kafka/api_keys.h"

namespace keel::kafka {

// Bytes of the size prefix.
inline constexpr size_t kFrameSizeBytes = 4;

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;

  ApiKey key() const { return static_cast<ApiKey>(api_key); }
  bool operator==(const RequestHeader&) const = default;
};

// 2 when `version` of `key` is flexible, else 1 (also for keys the codec does not know,
// so that a caller can still read the correlation id and answer or close).
int16_t RequestHeaderVersion(ApiKey key, int16_t version);
// 1 when flexible, else 0; always 0 for ApiVersions.
int16_t ResponseHeaderVersion(ApiKey key, int16_t version);

// Reads the INT32 size prefix: the length of the frame that follows. Negative sizes are
// an error; the caller compares the size with its own limit (socket.request.max.bytes).
absl::StatusOr<int32_t> ReadFrameSize(std::string_view four_bytes);

struct ParsedRequest {
  RequestHeader header;
  std::string_view body;  // points into the frame passed to ParseRequest
};
// Parses a request frame (without the size prefix): the header, whose version follows from
// the api key and version in its first four bytes, and the body that follows.
absl::StatusOr<ParsedRequest> ParseRequest(std::string_view frame);

struct ParsedResponse {
  int32_t correlation_id = 0;
  std::string_view body;
};
// Parses a response frame (without the size prefix) to a request of `key` at `version`.
absl::StatusOr<ParsedResponse> ParseResponse(std::string_view frame, ApiKey key, int16_t version);

// Size prefix + request header, with the size left 0 for FinishFrame to patch.
std::string StartRequestFrame(const RequestHeader& header);
// Size prefix + response header for a response to `key` at `version`.
std::string StartResponseFrame(ApiKey key, int16_t version, int32_t correlation_id);
// Writes the size of everything after the prefix into the prefix.
void FinishFrame(std::string& frame);

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_HEADER_H_

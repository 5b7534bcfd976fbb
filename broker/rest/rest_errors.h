// Errors of the REST proxy in Confluent REST Proxy's JSON shape,
// {"error_code": 40401, "message": "Topic not found."}, with the HTTP status that goes with
// each code (docs/rest.md lists them). One place maps client/ statuses to them, so every
// endpoint answers the same failure the same way.
#ifndef KEEL_BROKER_REST_REST_ERRORS_H_
#define KEEL_BROKER_REST_REST_ERRORS_H_

#include <string>

#include "absl/status/status.h"

namespace keel::rest {

// Confluent's error codes: the HTTP status followed by two digits, or the bare status.
inline constexpr int kTopicNotFound = 40401;
inline constexpr int kPartitionNotFound = 40402;
inline constexpr int kConsumerInstanceNotFound = 40403;
inline constexpr int kConsumerFormatMismatch = 40601;
inline constexpr int kConsumerAlreadyExists = 40902;
inline constexpr int kIllegalState = 40903;
inline constexpr int kInvalidPayload = 42201;  // invalid JSON, base64 or field types
inline constexpr int kInvalidConsumerConfig = 42204;
inline constexpr int kKafkaError = 50002;
inline constexpr int kKafkaRetriableError = 50003;  // with Retry-After: try again

struct RestError {
  int http_status = 500;
  int error_code = 500;
  std::string message;
  bool retriable = false;  // adds Retry-After (seconds)
};

RestError NotFoundError(int error_code, std::string message);
RestError InvalidPayload(std::string message);

// A status from client/ as the error the REST client sees: NotFound (UNKNOWN_TOPIC...) ->
// 404/40401; InvalidArgument -> 422/42201; Unavailable, DeadlineExceeded, and retriable
// Kafka errors (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, ...) -> 503/50003 with retry
// advice; anything else -> 500/50002.
RestError FromStatus(const absl::Status& status);

// True when asking again may succeed (the status FromStatus maps to 50003).
bool IsRetriableStatus(const absl::Status& status);

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_REST_ERRORS_H_

// ApiError: an expected, per-request failure with its Kafka error code. It maps to exactly
// one gRPC status code at the service edge, and its message starts with the code's name:
// "TOPIC_ALREADY_EXISTS: Topic 'orders' already exists."
#ifndef KEEL_CONTROLLER_LOGIC_API_ERROR_H_
#define KEEL_CONTROLLER_LOGIC_API_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "proto/common.pb.h"

namespace keel::controller {

struct ApiError {
  ErrorCode code = NONE;
  std::string message;
};

std::string FormatApiError(const ApiError& error);
absl::StatusCode ToStatusCode(ErrorCode code);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_LOGIC_API_ERROR_H_

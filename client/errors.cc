#include "client/errors.h"

namespace keel::client {

bool IsRetriable(keel::ErrorCode code) {
  switch (code) {
    case keel::NOT_LEADER_OR_FOLLOWER:
    case keel::LEADER_NOT_AVAILABLE:
    case keel::UNKNOWN_TOPIC_OR_PARTITION:  // a broker that has not applied the topic yet
    case keel::REQUEST_TIMED_OUT:
    case keel::BROKER_NOT_AVAILABLE:
    case keel::NOT_ENOUGH_REPLICAS:
    case keel::NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case keel::FENCED_LEADER_EPOCH:
    case keel::UNKNOWN_LEADER_EPOCH:
    case keel::KAFKA_STORAGE_ERROR:  // the replica's disk failed: leadership will move
      return true;
    default:
      return false;
  }
}

bool IsRetriable(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

absl::Status ToAbsl(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and absl share the canonical code numbers.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string ErrorText(keel::ErrorCode code, const std::string& message) {
  std::string name = keel::ErrorCode_Name(code);
  if (name.empty()) name = "ERROR_" + std::to_string(static_cast<int>(code));
  if (message.empty()) return name;
  return message.rfind(name, 0) == 0 ? message : name + ": " + message;
}

absl::Status ErrorStatus(keel::ErrorCode code, const std::string& message) {
  absl::StatusCode status_code;
  switch (code) {
    case keel::NONE:
      return absl::OkStatus();
    case keel::UNKNOWN_TOPIC_OR_PARTITION:
    case keel::UNKNOWN_TOPIC_ID:
      status_code = absl::StatusCode::kNotFound;
      break;
    case keel::OFFSET_OUT_OF_RANGE:
      status_code = absl::StatusCode::kOutOfRange;
      break;
    case keel::REQUEST_TIMED_OUT:
      status_code = absl::StatusCode::kDeadlineExceeded;
      break;
    case keel::MESSAGE_TOO_LARGE:
    case keel::CORRUPT_MESSAGE:
    case keel::INVALID_REQUEST:
    case keel::INVALID_REQUIRED_ACKS:
    case keel::INVALID_TOPIC_EXCEPTION:
    case keel::INVALID_PARTITIONS:
    case keel::INVALID_CONFIG:
      status_code = absl::StatusCode::kInvalidArgument;
      break;
    default:
      status_code = IsRetriable(code) ? absl::StatusCode::kUnavailable
                                      : absl::StatusCode::kFailedPrecondition;
  }
  return absl::Status(status_code, ErrorText(code, message));
}

}  // namespace keel::client

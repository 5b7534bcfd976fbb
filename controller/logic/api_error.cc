#include "controller/logic/api_error.h"

#include "absl/strings/str_cat.h"

namespace keel::controller {

std::string FormatApiError(const ApiError& error) {
  return absl::StrCat(ErrorCode_Name(error.code), ": ", error.message);
}

absl::StatusCode ToStatusCode(ErrorCode code) {
  switch (code) {
    case NONE:
      return absl::StatusCode::kOk;
    case INVALID_TOPIC_EXCEPTION:
    case INVALID_PARTITIONS:
    case INVALID_REPLICATION_FACTOR:
    case INVALID_REPLICA_ASSIGNMENT:
    case INVALID_CONFIG:
    case INVALID_REQUEST:
    case INVALID_REQUIRED_ACKS:
    case CORRUPT_MESSAGE:
    case MESSAGE_TOO_LARGE:
      return absl::StatusCode::kInvalidArgument;
    case TOPIC_ALREADY_EXISTS:
    case DUPLICATE_BROKER_REGISTRATION:
      return absl::StatusCode::kAlreadyExists;
    case UNKNOWN_TOPIC_OR_PARTITION:
    case UNKNOWN_TOPIC_ID:
      return absl::StatusCode::kNotFound;
    case OFFSET_OUT_OF_RANGE:
      return absl::StatusCode::kOutOfRange;
    case STALE_BROKER_EPOCH:
    case INVALID_UPDATE_VERSION:
    case FENCED_LEADER_EPOCH:
    case UNKNOWN_LEADER_EPOCH:
    case INCONSISTENT_CLUSTER_ID:
    case NOT_LEADER_OR_FOLLOWER:
      return absl::StatusCode::kFailedPrecondition;
    case NOT_CONTROLLER:
    case LEADER_NOT_AVAILABLE:
    case BROKER_NOT_AVAILABLE:
    case NOT_ENOUGH_REPLICAS:
    case NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return absl::StatusCode::kUnavailable;
    case REQUEST_TIMED_OUT:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace keel::controller

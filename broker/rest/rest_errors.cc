#include "broker/rest/rest_errors.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"

namespace keel::rest {

RestError NotFoundError(int error_code, std::string message) {
  return RestError{404, error_code, std::move(message), false};
}

RestError InvalidPayload(std::string message) {
  return RestError{422, kInvalidPayload, std::move(message), false};
}

bool IsRetriableStatus(const absl::Status& status) {
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
      absl::IsResourceExhausted(status) || absl::IsAborted(status)) {
    return true;
  }
  // Per-partition Kafka errors keep their code's name at the front of the message
  // (client::ErrorStatus); these are the ones a retry after a metadata refresh can cure.
  for (const char* retriable :
       {"NOT_LEADER_OR_FOLLOWER", "LEADER_NOT_AVAILABLE", "NOT_ENOUGH_REPLICAS",
        "REQUEST_TIMED_OUT", "KAFKA_STORAGE_ERROR", "FENCED_LEADER_EPOCH",
        "UNKNOWN_LEADER_EPOCH", "NOT_CONTROLLER", "COORDINATOR_NOT_AVAILABLE",
        "NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS", "REBALANCE_IN_PROGRESS"}) {
    if (absl::StrContains(status.message(), retriable)) return true;
  }
  return false;
}

RestError FromStatus(const absl::Status& status) {
  std::string message(status.message());
  if (absl::IsNotFound(status) || absl::StrContains(message, "UNKNOWN_TOPIC_OR_PARTITION")) {
    return NotFoundError(kTopicNotFound, "Topic not found. " + message);
  }
  if (IsRetriableStatus(status)) {
    return RestError{503, kKafkaRetriableError,
                     "Retriable Kafka error (try again): " + message, true};
  }
  if (absl::IsInvalidArgument(status)) return InvalidPayload(message);
  return RestError{500, kKafkaError, "Kafka error: " + message, false};
}

}  // namespace keel::rest

#include "controller/logic/api_error.h"

#include <gtest/gtest.h>

namespace keel::controller {
namespace {

TEST(ApiError, MessageStartsWithTheKafkaErrorName) {
  EXPECT_EQ(FormatApiError({TOPIC_ALREADY_EXISTS, "Topic 'x' already exists."}),
            "TOPIC_ALREADY_EXISTS: Topic 'x' already exists.");
  EXPECT_EQ(FormatApiError({INVALID_REPLICATION_FACTOR, "too big"}),
            "INVALID_REPLICATION_FACTOR: too big");
}

TEST(ApiError, EachCodeMapsToOneFittingGrpcStatus) {
  const std::pair<ErrorCode, absl::StatusCode> cases[] = {
      {NONE, absl::StatusCode::kOk},
      {INVALID_TOPIC_EXCEPTION, absl::StatusCode::kInvalidArgument},
      {INVALID_PARTITIONS, absl::StatusCode::kInvalidArgument},
      {INVALID_REPLICATION_FACTOR, absl::StatusCode::kInvalidArgument},
      {INVALID_CONFIG, absl::StatusCode::kInvalidArgument},
      {INVALID_REQUEST, absl::StatusCode::kInvalidArgument},
      {TOPIC_ALREADY_EXISTS, absl::StatusCode::kAlreadyExists},
      {DUPLICATE_BROKER_REGISTRATION, absl::StatusCode::kAlreadyExists},
      {UNKNOWN_TOPIC_OR_PARTITION, absl::StatusCode::kNotFound},
      {UNKNOWN_TOPIC_ID, absl::StatusCode::kNotFound},
      {STALE_BROKER_EPOCH, absl::StatusCode::kFailedPrecondition},
      {INVALID_UPDATE_VERSION, absl::StatusCode::kFailedPrecondition},
      {FENCED_LEADER_EPOCH, absl::StatusCode::kFailedPrecondition},
      {INCONSISTENT_CLUSTER_ID, absl::StatusCode::kFailedPrecondition},
      {NOT_CONTROLLER, absl::StatusCode::kUnavailable},
      {LEADER_NOT_AVAILABLE, absl::StatusCode::kUnavailable},
      {REQUEST_TIMED_OUT, absl::StatusCode::kDeadlineExceeded},
      {UNKNOWN_SERVER_ERROR, absl::StatusCode::kInternal},
  };
  for (const auto& [code, want] : cases) {
    EXPECT_EQ(ToStatusCode(code), want) << ErrorCode_Name(code);
  }
  // Every declared code maps to something other than OK, except NONE.
  for (int i = ErrorCode_MIN; i <= ErrorCode_MAX; ++i) {
    if (!ErrorCode_IsValid(i) || i == NONE) continue;
    EXPECT_NE(ToStatusCode(static_cast<ErrorCode>(i)), absl::StatusCode::kOk) << i;
  }
}

}  // namespace
}  // namespace keel::controller

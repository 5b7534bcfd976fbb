// How the client classifies errors: which per-partition error codes a retry (after a metadata
// refresh) can cure, and how gRPC statuses become absl::Status.
#ifndef KEEL_CLIENT_ERRORS_H_
#define KEEL_CLIENT_ERRORS_H_

#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "proto/common.pb.h"

namespace keel::client {

// Leadership moved, the broker has not applied the topic yet, or replicas are catching up:
// asking again (after a metadata refresh) can succeed.
bool IsRetriable(keel::ErrorCode code);

// The call did not get an answer (transport failure, no leader, deadline): asking again can
// succeed. Whether it is *safe* to ask again is the caller's question (see AdminClient).
bool IsRetriable(const grpc::Status& status);

// Same code, same message.
absl::Status ToAbsl(const grpc::Status& status);

// "CODE: message" unless the message already starts with the code's name.
std::string ErrorText(keel::ErrorCode code, const std::string& message);

// The absl::Status a per-partition error maps to (the code's name leads the message).
absl::Status ErrorStatus(keel::ErrorCode code, const std::string& message);

}  // namespace keel::client

#endif  // KEEL_CLIENT_ERRORS_H_

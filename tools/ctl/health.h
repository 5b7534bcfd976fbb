// grpc.health.v1.Health/Check without generated stubs (Debian ships none for C++): the call
// goes through grpc::GenericStub with hand-encoded protobuf bytes.
#ifndef KEEL_TOOLS_CTL_HEALTH_H_
#define KEEL_TOOLS_CTL_HEALTH_H_

#include <chrono>
#include <string>

namespace keel::keelctl {

// One of "SERVING", "NOT_SERVING", "UNKNOWN" (the server answered without a known status or
// does not implement the health service) and "UNREACHABLE" (no answer within `timeout`).
// The same state a load balancer or Kubernetes probe would read from the node.
std::string CheckHealth(const std::string& address, std::chrono::milliseconds timeout);

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_HEALTH_H_

// keelctl's connection to the cluster: every controller it was given, a deadline on every
// call, and transparent leader redirects (UNAVAILABLE + keel-leader-address trailing
// metadata) until the command's overall timeout.
#ifndef KEEL_TOOLS_CTL_CLUSTER_CLIENT_H_
#define KEEL_TOOLS_CTL_CLUSTER_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace keel::keelctl {

// "host:port,host:port" -> list; empty entries dropped.
std::vector<std::string> SplitAddresses(const std::string& csv);

class ClusterClient {
 public:
  ClusterClient(std::vector<std::string> controllers, std::chrono::milliseconds timeout);

  using Call = std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&,
                                          grpc::ClientContext*)>;

  // Runs `call` against the believed leader, following redirects and trying the other
  // controllers while the answer is UNAVAILABLE, until the timeout. Returns the last status.
  grpc::Status CallLeader(const Call& call);

  // Runs `call` against the first controller that answers at all (reads).
  grpc::Status CallAny(const Call& call);

 private:
  grpc::Status Run(const Call& call, bool follow_leader);

  std::vector<std::string> addresses_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::chrono::milliseconds timeout_;
  size_t preferred_ = 0;
};

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_CLUSTER_CLIENT_H_

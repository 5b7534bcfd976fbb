// The controller's gRPC services: a thin edge over ControllerNode.
//
// Writes (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs, RegisterBroker,
// BrokerHeartbeat, AlterPartition, AllocateProducerIds) run ControllerLogic on the leader through
// ControllerNode::Write and answer after commit. On a follower they fail with UNAVAILABLE
// "NOT_CONTROLLER: ..." and name the leader in trailing metadata (`keel-leader-id`,
// `keel-leader-address`) and in the response's `leader` field.
// Reads (ListTopics, DescribeTopics, DescribeCluster, DescribeQuorum, WatchMetadata) are
// answered by any controller from its committed image.
//
// Error mapping: a per-item Kafka error (ApiError) keeps its enum name at the start of the
// status message; when a request fails as a whole (every item failed, or its only item did)
// the gRPC status code is ToStatusCode(error).
#ifndef KEEL_CONTROLLER_CONTROLLER_SERVICE_H_
#define KEEL_CONTROLLER_CONTROLLER_SERVICE_H_

#include <atomic>

#include <grpcpp/grpcpp.h>

#include "controller/controller_node.h"
#include "proto/controller.grpc.pb.h"
#include "security/peer_auth.h"

namespace keel::controller {

class ControllerServices {
 public:
  // `authorizer` (null: none) admits RegisterBroker, BrokerHeartbeat, AlterPartition and
  // AllocateProducerIds only from the certificate of the broker id they name.
  explicit ControllerServices(ControllerNode* node,
                              const security::ClusterPeerAuthorizer* authorizer = nullptr);
  ~ControllerServices();

  void RegisterAll(grpc::ServerBuilder* builder);
  // Ends open WatchMetadata streams so the server can shut down promptly.
  void Shutdown() { shutting_down_ = true; }

 private:
  class Admin;
  class Lifecycle;
  class Quorum;
  class Metadata;

  ControllerNode* node_;
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<Admin> admin_;
  std::unique_ptr<Lifecycle> lifecycle_;
  std::unique_ptr<Quorum> quorum_;
  std::unique_ptr<Metadata> metadata_;
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_CONTROLLER_SERVICE_H_

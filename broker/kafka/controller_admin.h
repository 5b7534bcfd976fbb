// ControllerAdmin: the Kafka listener's path to the controller quorum for admin requests
// (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs), for auto-created topics and
// for blocks of producer ids (AllocateProducerIds, KIP-730, on BrokerLifecycleService).
// Metadata names this broker as the controller (controller_id), so clients send their admin
// requests here and this forwards them to the active controller, following its redirects,
// as a KRaft broker forwards to the quorum (KIP-590).
//
// Thread safety: all methods are thread-safe; calls go through the broker's one long-lived
// client::AdminClient (persistent channels, the leader remembered, redirects followed; the
// channels are cached per address by gRPC), so no lock is held across a call.
#ifndef KEEL_BROKER_KAFKA_CONTROLLER_ADMIN_H_
#define KEEL_BROKER_KAFKA_CONTROLLER_ADMIN_H_

#include <chrono>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "client/admin_client.h"
#include "proto/controller.grpc.pb.h"

namespace keel::broker::kafka {

class ControllerAdmin {
 public:
  virtual ~ControllerAdmin() = default;
  virtual grpc::Status CreateTopics(const controller::CreateTopicsRequest& request,
                                    controller::CreateTopicsResponse* response) = 0;
  virtual grpc::Status DeleteTopics(const controller::DeleteTopicsRequest& request,
                                    controller::DeleteTopicsResponse* response) = 0;
  virtual grpc::Status CreatePartitions(const controller::CreatePartitionsRequest& request,
                                        controller::CreatePartitionsResponse* response) = 0;
  virtual grpc::Status AlterConfigs(const controller::AlterConfigsRequest& request,
                                    controller::AlterConfigsResponse* response) = 0;
  virtual grpc::Status AllocateProducerIds(const controller::AllocateProducerIdsRequest& request,
                                           controller::AllocateProducerIdsResponse* response) = 0;
};

// The real one: gRPC to the controllers given with --controllers.
class GrpcControllerAdmin : public ControllerAdmin {
 public:
  GrpcControllerAdmin(std::shared_ptr<client::AdminClient> controllers,
                      std::chrono::milliseconds timeout);
  grpc::Status CreateTopics(const controller::CreateTopicsRequest& request,
                            controller::CreateTopicsResponse* response) override;
  grpc::Status DeleteTopics(const controller::DeleteTopicsRequest& request,
                            controller::DeleteTopicsResponse* response) override;
  grpc::Status CreatePartitions(const controller::CreatePartitionsRequest& request,
                                controller::CreatePartitionsResponse* response) override;
  grpc::Status AlterConfigs(const controller::AlterConfigsRequest& request,
                            controller::AlterConfigsResponse* response) override;
  grpc::Status AllocateProducerIds(const controller::AllocateProducerIdsRequest& request,
                                   controller::AllocateProducerIdsResponse* response) override;

 private:
  const std::shared_ptr<client::AdminClient> controllers_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_CONTROLLER_ADMIN_H_

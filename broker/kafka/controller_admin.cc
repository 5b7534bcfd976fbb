#include "broker/kafka/controller_admin.h"

#include "tools/ctl/cluster_client.h"

namespace keel::broker::kafka {
namespace {

template <typename Service = controller::AdminService, typename Request, typename Response,
          typename Method>
grpc::Status CallLeader(const std::vector<std::string>& controllers,
                        std::chrono::milliseconds timeout, const Request& request,
                        Response* response, Method method) {
  keelctl::ClusterClient client(controllers, timeout);
  return client.CallLeader(
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        auto stub = Service::NewStub(channel);
        response->Clear();
        return ((*stub).*method)(context, request, response);
      });
}

}  // namespace

GrpcControllerAdmin::GrpcControllerAdmin(std::vector<std::string> controllers,
                                         std::chrono::milliseconds timeout)
    : controllers_(std::move(controllers)), timeout_(timeout) {}

grpc::Status GrpcControllerAdmin::CreateTopics(const controller::CreateTopicsRequest& request,
                                               controller::CreateTopicsResponse* response) {
  return CallLeader(controllers_, timeout_, request, response,
                    &controller::AdminService::Stub::CreateTopics);
}

grpc::Status GrpcControllerAdmin::DeleteTopics(const controller::DeleteTopicsRequest& request,
                                               controller::DeleteTopicsResponse* response) {
  return CallLeader(controllers_, timeout_, request, response,
                    &controller::AdminService::Stub::DeleteTopics);
}

grpc::Status GrpcControllerAdmin::CreatePartitions(
    const controller::CreatePartitionsRequest& request,
    controller::CreatePartitionsResponse* response) {
  return CallLeader(controllers_, timeout_, request, response,
                    &controller::AdminService::Stub::CreatePartitions);
}

grpc::Status GrpcControllerAdmin::AlterConfigs(const controller::AlterConfigsRequest& request,
                                               controller::AlterConfigsResponse* response) {
  return CallLeader(controllers_, timeout_, request, response,
                    &controller::AdminService::Stub::AlterConfigs);
}

grpc::Status GrpcControllerAdmin::AllocateProducerIds(
    const controller::AllocateProducerIdsRequest& request,
    controller::AllocateProducerIdsResponse* response) {
  return CallLeader<controller::BrokerLifecycleService>(
      controllers_, timeout_, request, response,
      &controller::BrokerLifecycleService::Stub::AllocateProducerIds);
}

}  // namespace keel::broker::kafka

#include "broker/kafka/controller_admin.h"


namespace keel::broker::kafka {
namespace {

// Creates and deletes are retried only when they provably never reached a leader (the
// AdminClient's kNotIdempotent); config changes and id blocks are safe to repeat (a block
// handed out twice only skips ids).
template <typename Service = controller::AdminService, typename Request, typename Response,
          typename Method>
grpc::Status CallLeader(client::AdminClient& controllers, std::chrono::milliseconds timeout,
                        const Request& request, Response* response, Method method,
                        client::AdminClient::Retry retry) {
  return controllers.Run(
      client::AdminClient::Target::kLeader, retry,
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        auto stub = Service::NewStub(channel);
        response->Clear();
        return ((*stub).*method)(context, request, response);
      },
      timeout);
}

constexpr auto kOnce = client::AdminClient::Retry::kNotIdempotent;
constexpr auto kRepeatable = client::AdminClient::Retry::kIdempotent;

}  // namespace

GrpcControllerAdmin::GrpcControllerAdmin(std::shared_ptr<client::AdminClient> controllers,
                                         std::chrono::milliseconds timeout)
    : controllers_(std::move(controllers)), timeout_(timeout) {}

grpc::Status GrpcControllerAdmin::CreateTopics(const controller::CreateTopicsRequest& request,
                                               controller::CreateTopicsResponse* response) {
  return CallLeader(*controllers_, timeout_, request, response,
                    &controller::AdminService::Stub::CreateTopics, kOnce);
}

grpc::Status GrpcControllerAdmin::DeleteTopics(const controller::DeleteTopicsRequest& request,
                                               controller::DeleteTopicsResponse* response) {
  return CallLeader(*controllers_, timeout_, request, response,
                    &controller::AdminService::Stub::DeleteTopics, kOnce);
}

grpc::Status GrpcControllerAdmin::CreatePartitions(
    const controller::CreatePartitionsRequest& request,
    controller::CreatePartitionsResponse* response) {
  return CallLeader(*controllers_, timeout_, request, response,
                    &controller::AdminService::Stub::CreatePartitions, kOnce);
}

grpc::Status GrpcControllerAdmin::AlterConfigs(const controller::AlterConfigsRequest& request,
                                               controller::AlterConfigsResponse* response) {
  return CallLeader(*controllers_, timeout_, request, response,
                    &controller::AdminService::Stub::AlterConfigs, kRepeatable);
}

grpc::Status GrpcControllerAdmin::AllocateProducerIds(
    const controller::AllocateProducerIdsRequest& request,
    controller::AllocateProducerIdsResponse* response) {
  return CallLeader<controller::BrokerLifecycleService>(
      *controllers_, timeout_, request, response,
      &controller::BrokerLifecycleService::Stub::AllocateProducerIds, kRepeatable);
}

}  // namespace keel::broker::kafka

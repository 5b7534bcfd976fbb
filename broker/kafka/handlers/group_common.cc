#include "broker/kafka/handlers/group_common.h"

#include "broker/kafka/group_offset_log.h"
#include "kafka/error_codes.h"

namespace keel::broker::kafka {

int16_t CoordinatorError(const BrokerContext& context, const std::string& group_id) {
  if (context.group_router == nullptr) {
    return keel::kafka::Code(keel::kafka::ErrorCode::kCoordinatorNotAvailable);
  }
  return context.group_router->CoordinatorError(group_id);
}

std::unique_ptr<group::CoordinatorRouter> NewGroupRouter(const BrokerContext* context) {
  return std::make_unique<group::CoordinatorRouter>(
      context->broker_id, context->config.groups, context->read_image,
      [context](const controller::CreateTopicsRequest& request)
          -> absl::StatusOr<controller::CreateTopicsResponse> {
        if (context->admin == nullptr) return absl::UnavailableError("no controller admin");
        controller::CreateTopicsResponse response;
        grpc::Status s = context->admin->CreateTopics(request, &response);
        if (!s.ok()) return absl::UnavailableError(s.error_message());
        return response;
      },
      [context](int32_t partition, int32_t partition_count, int32_t leader_epoch) -> int16_t {
        if (context->group_log == nullptr) return 0;
        return context->group_log->EnsureLoaded(partition, partition_count, leader_epoch,
                                                context->groups);
      },
      context->config.admin_timeout_ms);
}

}  // namespace keel::broker::kafka

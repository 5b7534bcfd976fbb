#include "broker/kafka/handlers/handlers.h"

namespace keel::broker::kafka {

std::vector<std::unique_ptr<Handler>> MakeHandlers(BrokerContext* context) {
  std::vector<std::unique_ptr<Handler>> out;
  out.push_back(NewProduceHandler(context));
  out.push_back(NewFetchHandler(context));
  out.push_back(NewListOffsetsHandler(context));
  out.push_back(NewMetadataHandler(context));
  out.push_back(NewCreateTopicsHandler(context));
  out.push_back(NewDeleteTopicsHandler(context));
  out.push_back(NewInitProducerIdHandler(context));
  out.push_back(NewOffsetForLeaderEpochHandler(context));
  out.push_back(NewDescribeConfigsHandler(context));
  out.push_back(NewCreatePartitionsHandler(context));
  out.push_back(NewIncrementalAlterConfigsHandler(context));
  out.push_back(NewDescribeClusterHandler(context));
  // The consumer-group APIs, when the broker runs a group coordinator.
  if (context->groups != nullptr) {
    out.push_back(NewFindCoordinatorHandler(context));
    out.push_back(NewJoinGroupHandler(context));
    out.push_back(NewSyncGroupHandler(context));
    out.push_back(NewHeartbeatHandler(context));
    out.push_back(NewLeaveGroupHandler(context));
    out.push_back(NewOffsetCommitHandler(context));
    out.push_back(NewOffsetFetchHandler(context));
    out.push_back(NewDescribeGroupsHandler(context));
    out.push_back(NewListGroupsHandler(context));
    out.push_back(NewDeleteGroupsHandler(context));
  }
  return out;
}

}  // namespace keel::broker::kafka

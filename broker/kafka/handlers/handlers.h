// The Kafka APIs this broker serves, one handler each (one file per API in this folder).
// MakeHandlers builds the dispatch table; the consumer-group APIs join it here.
#ifndef KEEL_BROKER_KAFKA_HANDLERS_HANDLERS_H_
#define KEEL_BROKER_KAFKA_HANDLERS_HANDLERS_H_

#include <functional>
#include <memory>
#include <vector>

#include "broker/kafka/broker_context.h"
#include "broker/kafka/handler.h"
#include "kafka/api_versions.h"

namespace keel::broker::kafka {

// ApiVersions lists whatever `advertised` returns (the dispatch table, read per request).
using AdvertisedApis =
    std::function<std::vector<keel::kafka::ApiVersionsResponse::ApiVersion>()>;

std::unique_ptr<Handler> NewApiVersionsHandler(AdvertisedApis advertised);
std::unique_ptr<Handler> NewMetadataHandler(BrokerContext* context);
std::unique_ptr<Handler> NewProduceHandler(BrokerContext* context);
std::unique_ptr<Handler> NewFetchHandler(BrokerContext* context);
std::unique_ptr<Handler> NewListOffsetsHandler(BrokerContext* context);
std::unique_ptr<Handler> NewOffsetForLeaderEpochHandler(BrokerContext* context);
std::unique_ptr<Handler> NewCreateTopicsHandler(BrokerContext* context);
std::unique_ptr<Handler> NewDeleteTopicsHandler(BrokerContext* context);
std::unique_ptr<Handler> NewCreatePartitionsHandler(BrokerContext* context);
std::unique_ptr<Handler> NewDescribeConfigsHandler(BrokerContext* context);
std::unique_ptr<Handler> NewIncrementalAlterConfigsHandler(BrokerContext* context);
std::unique_ptr<Handler> NewDescribeClusterHandler(BrokerContext* context);
std::unique_ptr<Handler> NewInitProducerIdHandler(BrokerContext* context);

// The consumer-group APIs (group_*.cc), over context->groups.
std::unique_ptr<Handler> NewFindCoordinatorHandler(BrokerContext* context);
std::unique_ptr<Handler> NewJoinGroupHandler(BrokerContext* context);
std::unique_ptr<Handler> NewSyncGroupHandler(BrokerContext* context);
std::unique_ptr<Handler> NewHeartbeatHandler(BrokerContext* context);
std::unique_ptr<Handler> NewLeaveGroupHandler(BrokerContext* context);
std::unique_ptr<Handler> NewOffsetCommitHandler(BrokerContext* context);
std::unique_ptr<Handler> NewOffsetFetchHandler(BrokerContext* context);
std::unique_ptr<Handler> NewDescribeGroupsHandler(BrokerContext* context);
std::unique_ptr<Handler> NewListGroupsHandler(BrokerContext* context);
std::unique_ptr<Handler> NewDeleteGroupsHandler(BrokerContext* context);

// Every handler above except ApiVersions, whose list needs the finished table: the caller
// adds NewApiVersionsHandler over the dispatcher it builds.
std::vector<std::unique_ptr<Handler>> MakeHandlers(BrokerContext* context);

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_HANDLERS_HANDLERS_H_

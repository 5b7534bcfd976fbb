// What the consumer-group handlers share: the check every group request makes that it reached
// the group's coordinator (broker/group/coordinator_router.h, shared with the gRPC
// GroupService), and the wait for a deferred coordinator answer (broker/group/deferred.h).
#ifndef KEEL_BROKER_KAFKA_HANDLERS_GROUP_COMMON_H_
#define KEEL_BROKER_KAFKA_HANDLERS_GROUP_COMMON_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/group/coordinator_router.h"
#include "broker/group/deferred.h"
#include "broker/kafka/broker_context.h"
#include "broker/kafka/handler.h"

namespace keel::broker::kafka {

using group::ClientHost;
using group::JavaStringHash;
using group::kOffsetsTopic;
using group::OffsetsPartitionFor;

// 0 if this broker coordinates `group_id`, else the Kafka error: context.group_router's
// answer (broker/group/coordinator_router.h, the one rule both front ends use).
int16_t CoordinatorError(const BrokerContext& context, const std::string& group_id);

// A router over `context` (read at each call, so the context may change its coordinator and
// log later): topics created through context->admin, partitions loaded by
// context->group_log into context->groups. For a listener (or test) without a broker-owned
// router; `context` outlives it.
std::unique_ptr<group::CoordinatorRouter> NewGroupRouter(const BrokerContext* context);

using group::Deferred;

// Waits for a deferred coordinator answer on a connection's thread; nullopt once the
// connection or listener closes.
template <class T>
std::optional<T> WaitFor(Deferred<T>& deferred, const RequestContext& rc) {
  return deferred.Wait([&rc] { return rc.closing && rc.closing(); });
}

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_HANDLERS_GROUP_COMMON_H_

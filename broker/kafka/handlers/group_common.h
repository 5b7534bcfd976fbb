// What the consumer-group handlers share: the check every group request makes that it reached
// the group's coordinator (broker/group/coordinator_router.h, shared with the gRPC
// GroupService), and a wait for a deferred coordinator answer.
#ifndef KEEL_BROKER_KAFKA_HANDLERS_GROUP_COMMON_H_
#define KEEL_BROKER_KAFKA_HANDLERS_GROUP_COMMON_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "broker/group/coordinator_router.h"
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

// A deferred answer: the coordinator's callback sets it, the request's thread waits for it.
template <class T>
class Deferred {
 public:
  void Set(const T& value) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      value_ = value;
    }
    cv_.notify_all();
  }
  // Waits until set; nullopt if the connection or listener closes first (the coordinator
  // still completes the request; nobody reads the answer, as when a Kafka client goes away).
  std::optional<T> Wait(const RequestContext& rc) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!value_.has_value()) {
      if (rc.closing && rc.closing()) return std::nullopt;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    return value_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;  // guarded by mu_
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_HANDLERS_GROUP_COMMON_H_

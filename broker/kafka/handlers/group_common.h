// What the consumer-group handlers share: which broker coordinates a group (the leader of
// the group's partition of __consumer_offsets, as in Kafka), the check every group request
// makes that it reached that broker, and a wait for a deferred coordinator answer.
#ifndef KEEL_BROKER_KAFKA_HANDLERS_GROUP_COMMON_H_
#define KEEL_BROKER_KAFKA_HANDLERS_GROUP_COMMON_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "broker/kafka/broker_context.h"
#include "broker/kafka/handler.h"

namespace keel::broker::kafka {

inline constexpr char kOffsetsTopic[] = "__consumer_offsets";

// Java's String.hashCode over the UTF-16 code units of `utf8` (bytes that are not valid
// UTF-8 count as one unit each), so that a group lands on the partition Kafka would pick.
int32_t JavaStringHash(std::string_view utf8);

// Kafka's Utils.abs(groupId.hashCode) % partitions (Utils.abs maps MIN_VALUE to 0).
int32_t OffsetsPartitionFor(std::string_view group_id, int32_t partitions);

// 0 if this broker coordinates `group_id`; NOT_COORDINATOR if another broker does;
// COORDINATOR_NOT_AVAILABLE while __consumer_offsets or the partition's leader is missing;
// COORDINATOR_LOAD_IN_PROGRESS while the partition's offsets load (context.group_log).
int16_t CoordinatorError(const BrokerContext& context, const std::string& group_id);

// The client host as Kafka reports it ("/127.0.0.1") from a "host:port" peer.
std::string ClientHost(const std::string& peer);

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

// IsrManager: the leader side of ISR maintenance. Every check interval it asks each partition
// this broker leads for the ISR it would propose (Partition::ProposedIsr: drop members not
// caught up within replica_lag_time_max_ms, add replicas that caught up) and sends the change
// to the controller with AlterPartition, guarded by the leader epoch and partition epoch the
// proposal was computed from. The committed result comes back through the metadata stream;
// until it does, the same proposal is not sent again for the same partition epoch. A call
// that failed (outcome unknown) is resent unchanged until answered, because the replicas it
// adds count in the high watermark until then (Partition::ProposeIsr).
#ifndef KEEL_BROKER_ISR_MANAGER_H_
#define KEEL_BROKER_ISR_MANAGER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker_metrics.h"
#include "client/admin_client.h"
#include "grpcpp/support/status.h"
#include "proto/common.pb.h"
#include "broker/partition_manager.h"

namespace keel::broker {

struct IsrManagerOptions {
  int32_t broker_id = -1;
  std::shared_ptr<client::AdminClient> controllers;  // shared with the broker's lifecycle
  int64_t replica_lag_time_max_ms = 30000;
  int64_t request_timeout_ms = 2000;
};

// The controller answers a refusal as a gRPC error whose message starts with the Kafka error
// name ("INVALID_REQUEST: ..."). Returns that code, or nullopt when the call failed without
// an answer (unreachable, timed out, no leader): the proposal's fate is then unknown.
std::optional<keel::ErrorCode> ControllerRefusal(const grpc::Status& s);

class IsrManager {
 public:
  // `usable_brokers`, when given, lists the brokers the committed metadata shows unfenced and
  // not shutting down: only they are proposed as new ISR members.
  IsrManager(IsrManagerOptions options, PartitionManager* partitions,
             std::function<int64_t()> broker_epoch, std::function<bool()> active,
             BrokerMetrics* metrics = nullptr,
             std::function<std::set<int32_t>()> usable_brokers = nullptr);
  ~IsrManager();

  void Start();
  void Stop();
  // One pass (tests call it directly). Returns the number of AlterPartition calls sent.
  int CheckOnce(int64_t now_ms);

 private:
  void Run();

  const IsrManagerOptions options_;
  PartitionManager* const partitions_;
  const std::function<int64_t()> broker_epoch_;
  const std::function<bool()> active_;
  BrokerMetrics* const metrics_;
  const std::function<std::set<int32_t>()> usable_brokers_;
  // topic-partition -> the topic id and partition epoch of the last proposal answered (a
  // topic deleted and created again starts its partition epochs over)
  std::map<std::pair<std::string, int32_t>, std::pair<std::string, int32_t>> sent_at_epoch_;
  // topic-partition -> a proposal whose call failed, to send again unchanged
  std::map<std::pair<std::string, int32_t>, Partition::IsrProposal> unresolved_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_ISR_MANAGER_H_

// ReplicaFetcher: the follower side of replication. One thread per leader broker keeps a
// ReplicaFetch stream open to it and, round after round, asks for every partition this broker
// follows there, from its log end, with the epoch of its last batch and the leader epoch it
// knows (KIP-320). Each answer is applied in order: truncate where the leader says the logs
// diverge, append the batches (recording new leader epochs in the persisted history), take
// the leader's high watermark. Errors about epochs or leadership wait for the metadata to
// catch up; the partition set is recomputed every round, so leadership changes need no
// restart of anything.
//
// Thread safety: Reconcile and Stop are thread-safe.
#ifndef KEEL_BROKER_REPLICA_FETCHER_H_
#define KEEL_BROKER_REPLICA_FETCHER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "broker/append_notifier.h"
#include "broker/partition_manager.h"
#include "proto/broker.grpc.pb.h"

namespace keel::broker {

struct ReplicaFetcherOptions {
  int32_t broker_id = -1;
  int32_t max_wait_ms = 500;               // Kafka's replica.fetch.wait.max.ms
  int32_t max_bytes = 10 << 20;            // replica.fetch.response.max.bytes
  int32_t partition_max_bytes = 1 << 20;   // replica.fetch.max.bytes
};

class ReplicaFetcher {
 public:
  // `address_of` gives a broker's data address ("" if unknown); `broker_epoch` this broker's.
  ReplicaFetcher(ReplicaFetcherOptions options, PartitionManager* partitions,
                 std::function<std::string(int32_t)> address_of,
                 std::function<int64_t()> broker_epoch,
                 std::function<std::shared_ptr<grpc::Channel>(const std::string&)> channels =
                     nullptr);
  ~ReplicaFetcher();

  // Starts a fetcher thread for every leader this broker now follows (idempotent).
  void Reconcile();
  void Stop();

 private:
  void Run(int32_t leader_id);
  // One stream's life; returns when it breaks, has nothing to fetch, or on Stop.
  void FollowStream(int32_t leader_id, const std::string& address);
  std::vector<std::shared_ptr<Partition>> FollowedAt(int32_t leader_id) const;

  const ReplicaFetcherOptions options_;
  PartitionManager* const partitions_;
  const std::function<std::string(int32_t)> address_of_;
  const std::function<int64_t()> broker_epoch_;
  std::function<std::shared_ptr<grpc::Channel>(const std::string&)> channels_;

  std::mutex mu_;
  std::map<int32_t, std::thread> threads_;              // by leader id; guarded by mu_
  std::map<int32_t, grpc::ClientContext*> contexts_;    // open streams; guarded by mu_
  std::atomic<bool> stop_{false};
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_REPLICA_FETCHER_H_

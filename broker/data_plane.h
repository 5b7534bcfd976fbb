// DataPlane: Produce, Fetch and ListOffsets against this broker's partition replicas, with
// Kafka's per-partition error codes. The gRPC service (broker_service.h) is a thin shell over
// it, so tests drive it directly with an image of their own.
//
// Who may serve: the partition's leader in the committed metadata, hosted here, while the
// broker is active (unfenced and heard from the controller within a session timeout).
// Anyone else answers NOT_LEADER_OR_FOLLOWER with the leader it knows of.
//
// Thread safety: all methods are thread-safe; each request runs on its caller's thread.
#ifndef KEEL_BROKER_DATA_PLANE_H_
#define KEEL_BROKER_DATA_PLANE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "broker/append_notifier.h"
#include "broker/broker_metrics.h"
#include "broker/partition_manager.h"
#include "metadata/metadata_image.h"
#include "proto/broker.pb.h"

namespace keel::broker {

struct DataPlaneOptions {
  int32_t broker_id = -1;
  int64_t default_fetch_max_bytes = 50 << 20;       // Kafka's fetch.max.bytes
  int64_t default_partition_max_bytes = 1 << 20;   // Kafka's max.partition.fetch.bytes
  int64_t max_fetch_wait_ms = 30000;                // longest long poll honoured
  int64_t default_produce_timeout_ms = 30000;       // acks=all wait (request.timeout.ms)
};

class DataPlane {
 public:
  using ReadImage = std::function<void(const std::function<void(const metadata::MetadataImage&)>&)>;

  DataPlane(DataPlaneOptions options, PartitionManager* partitions, ReadImage read_image,
            std::function<bool()> active, AppendNotifier* notifier,
            BrokerMetrics* metrics = nullptr);

  void Produce(const ProduceRequest& request, ProduceResponse* response);
  // `cancelled` is polled while a long poll waits (the client went away).
  void Fetch(const FetchRequest& request, FetchResponse* response,
             const std::function<bool()>& cancelled);
  void ListOffsets(const ListOffsetsRequest& request, ListOffsetsResponse* response);
  // A follower's fetch (one request of its ReplicaFetch stream): data up to the log end, the
  // high watermark, and the divergence check of KIP-320 (diverging_epoch tells the follower
  // where to truncate). Long-polls like Fetch.
  void ReplicaFetch(const ReplicaFetchRequest& request, ReplicaFetchResponse* response,
                    const std::function<bool()>& cancelled);

 private:
  struct Leadership;  // the outcome of the who-may-serve check
  Leadership CheckLeader(const std::string& topic, int32_t partition);
  void ProducePartition(const std::string& topic, const ProducePartitionData& data, Acks acks,
                        std::chrono::steady_clock::time_point deadline,
                        ProducePartitionResult* result);
  // One pass over the request; returns the record bytes gathered.
  int64_t FetchOnce(const FetchRequest& request, FetchResponse* response);
  // `first_pass`: the follower's position is recorded once per request, when it arrives; a
  // long poll that gathers again must not re-assert it later (the follower may have moved).
  int64_t ReplicaFetchOnce(const ReplicaFetchRequest& request, FetchResponse* response,
                           bool first_pass);
  static int64_t NowMs();

  const DataPlaneOptions options_;
  PartitionManager* const partitions_;
  const ReadImage read_image_;
  const std::function<bool()> active_;
  AppendNotifier* const notifier_;
  BrokerMetrics* const metrics_;  // may be null (tests)
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_DATA_PLANE_H_

// The Keel side of broker_bench: one producer sending pre-built batches to a topic's partition
// leaders, then one consumer reading everything back.
//
// Thread safety: none; one thread drives a KeelTopic.
#ifndef KEEL_TESTS_BENCH_KEEL_LOAD_H_
#define KEEL_TESTS_BENCH_KEEL_LOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proto/broker.grpc.pb.h"
#include "tests/bench/baselines.h"
#include "tests/integration/broker_cluster.h"

namespace keel::bench {

struct LoadShape {
  int32_t records_per_call = 1000;
  int32_t value_bytes = 100;
  broker::Acks acks = broker::ACKS_LEADER;
  int32_t fetch_partition_max_bytes = 8 << 20;
};

class KeelTopic {
 public:
  // Finds each partition's leader and writes one small record to each through DataClient
  // (which waits out leadership not yet known), so timing starts on a ready topic. Returns
  // nullptr and sets `error` if a partition never answers.
  static std::unique_ptr<KeelTopic> Prepare(const std::string& topic, int partitions,
                                            const LoadShape& shape,
                                            testing::DataClient* data_client,
                                            const testing::BrokerSet* brokers,
                                            std::string* error);

  // Produce calls, round robin over the partitions, one at a time.
  Throughput Produce(const Budget& budget);
  // Fetch calls, round robin over the partitions, from the first benchmark record to the end
  // of what Produce wrote. Keeps the largest response as `sample` (for the baseline).
  Throughput FetchAll(const Budget& budget, broker::FetchResponse* sample);

  // The Produce request of partition 0, and what each request carries.
  const broker::ProduceRequest& request() const { return partitions_[0].request; }
  int64_t payload_per_call() const {
    return static_cast<int64_t>(shape_.records_per_call) * shape_.value_bytes;
  }

 private:
  struct Partition {
    int32_t id = 0;
    std::unique_ptr<broker::BrokerService::Stub> stub;  // to the leader
    broker::ProduceRequest request;
    int64_t first_offset = 0;  // first benchmark record (after the warm-up record)
    int64_t end_offset = 0;    // after the last record produced
  };
  KeelTopic() = default;

  std::string topic_;
  LoadShape shape_;
  std::vector<Partition> partitions_;
};

}  // namespace keel::bench

#endif  // KEEL_TESTS_BENCH_KEEL_LOAD_H_

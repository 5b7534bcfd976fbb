// Which partition a record goes to, the way Kafka's Java client decides it:
// - a record with a key: toPositive(murmur2(key)) % numPartitions, so a key lands in the same
//   partition as with Kafka's client for the same partition count;
// - a record without a key: the sticky partition (KIP-480): every keyless record goes to one
//   partition until a batch for it is sent (the producer calls OnNewBatch), then another
//   partition is picked at random, so keyless records fill batches instead of spreading
//   one-record batches over every partition.
#ifndef KEEL_CLIENT_PARTITIONER_H_
#define KEEL_CLIENT_PARTITIONER_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include "absl/strings/string_view.h"

namespace keel::client {

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): 32-bit MurmurHash2 with
// seed 0x9747b28c over the bytes, as a signed int.
int32_t Murmur2(absl::string_view data);

// Kafka's Utils.toPositive: clears the sign bit (not abs: abs(INT_MIN) is negative).
inline int32_t ToPositive(int32_t n) { return n & 0x7fffffff; }

// The partition of `key` among `num_partitions` (> 0).
int32_t KeyPartition(absl::string_view key, int32_t num_partitions);

// Thread-safe.
class StickyPartitioner {
 public:
  explicit StickyPartitioner(uint64_t seed = std::random_device()());

  // The sticky partition of `topic` (chosen now if there is none).
  int32_t Partition(absl::string_view topic, int32_t num_partitions);
  // The batch of `previous` filled up or was sent: pick another partition (if there is more
  // than one) for the topic's next keyless records. Ignored unless `previous` is current.
  void OnNewBatch(absl::string_view topic, int32_t previous, int32_t num_partitions);

 private:
  std::mutex mu_;
  std::mt19937_64 rng_;                     // guarded by mu_
  std::map<std::string, int32_t, std::less<>> current_;  // guarded by mu_
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_PARTITIONER_H_

#include "client/partitioner.h"

namespace keel::client {

int32_t Murmur2(absl::string_view data) {
  const uint32_t seed = 0x9747b28cu;
  const uint32_t m = 0x5bd1e995u;
  const int r = 24;
  const size_t length = data.size();
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  uint32_t h = seed ^ static_cast<uint32_t>(length);
  const size_t blocks = length / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const size_t j = i * 4;
    uint32_t k = static_cast<uint32_t>(bytes[j]) | (static_cast<uint32_t>(bytes[j + 1]) << 8) |
                 (static_cast<uint32_t>(bytes[j + 2]) << 16) |
                 (static_cast<uint32_t>(bytes[j + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = length & ~static_cast<size_t>(3);
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(bytes[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(bytes[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(bytes[tail]);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t KeyPartition(absl::string_view key, int32_t num_partitions) {
  return ToPositive(Murmur2(key)) % num_partitions;
}

StickyPartitioner::StickyPartitioner(uint64_t seed) : rng_(seed) {}

int32_t StickyPartitioner::Partition(absl::string_view topic, int32_t num_partitions) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = current_.find(topic);
  if (it != current_.end() && it->second < num_partitions) return it->second;
  int32_t p = static_cast<int32_t>(rng_() % static_cast<uint64_t>(num_partitions));
  current_.insert_or_assign(std::string(topic), p);
  return p;
}

void StickyPartitioner::OnNewBatch(absl::string_view topic, int32_t previous,
                                   int32_t num_partitions) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = current_.find(topic);
  if (it == current_.end() || it->second != previous) return;
  if (num_partitions <= 1) return;
  // Any partition but the previous one.
  int32_t p = static_cast<int32_t>(rng_() % static_cast<uint64_t>(num_partitions - 1));
  if (p >= previous) ++p;
  it->second = p;
}

}  // namespace keel::client

#include "controller/metadata/placement.h"

#include <algorithm>

namespace keel::controller {

std::vector<std::vector<int32_t>> PlaceReplicas(const std::vector<int32_t>& brokers,
                                                int first_partition, int count,
                                                int replication_factor, uint64_t start) {
  std::vector<std::vector<int32_t>> out;
  const size_t n = brokers.size();
  for (int i = 0; i < count; ++i) {
    size_t first = static_cast<size_t>((start + static_cast<uint64_t>(first_partition + i)) % n);
    std::vector<int32_t> replicas;
    for (int r = 0; r < replication_factor; ++r) replicas.push_back(brokers[(first + r) % n]);
    out.push_back(std::move(replicas));
  }
  return out;
}

int32_t ElectLeader(const PartitionInfo& p, const MetadataImage& image, int32_t excluded) {
  for (int32_t id : p.replicas) {
    if (id == excluded) continue;
    if (std::find(p.isr.begin(), p.isr.end(), id) == p.isr.end()) continue;
    const BrokerInfo* b = image.Broker(id);
    if (b != nullptr && !b->fenced && !b->in_controlled_shutdown) return id;
  }
  return -1;
}

}  // namespace keel::controller

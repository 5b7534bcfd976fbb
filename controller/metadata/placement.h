// Replica placement and leader election.
#ifndef KEEL_CONTROLLER_METADATA_PLACEMENT_H_
#define KEEL_CONTROLLER_METADATA_PLACEMENT_H_

#include <cstdint>
#include <vector>

#include "controller/metadata/metadata_image.h"

namespace keel::controller {

// Replicas for partitions [first_partition, first_partition + count) over `brokers` (sorted
// ids): partition p starts at broker (start + p) mod n, so preferred leaders rotate evenly,
// and its followers follow in ring order. Requires 1 <= replication_factor <= brokers.size().
std::vector<std::vector<int32_t>> PlaceReplicas(const std::vector<int32_t>& brokers,
                                                int first_partition, int count,
                                                int replication_factor, uint64_t start);

// The new leader for `p` among its ISR: the first ISR member, in replica (preference) order,
// that is usable (unfenced, not shutting down) and not `excluded`; -1 if none.
int32_t ElectLeader(const PartitionInfo& p, const MetadataImage& image, int32_t excluded = -1);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_METADATA_PLACEMENT_H_

// Replica placement for new partitions and leader election. Pure and deterministic: the
// randomness that spreads placements across calls is passed in.
#ifndef KEEL_CONTROLLER_LOGIC_PLACEMENT_H_
#define KEEL_CONTROLLER_LOGIC_PLACEMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "metadata/metadata_image.h"

namespace keel::controller {

struct PlacementBroker {
  int32_t id = 0;
  std::string rack;  // empty: unknown
};

// The brokers new replicas may go to: registered, unfenced, not shutting down; by id.
std::vector<PlacementBroker> PlacementBrokers(const metadata::MetadataImage& image);

// Replica lists (preferred leader first) for partitions [first_partition,
// first_partition + count), Kafka style: partition p's leader is broker (start + p) mod n, so
// leaders rotate evenly; its followers come from a ring walk whose offset shifts by one every
// n partitions, so follower sets vary too. When every broker has a rack and there are at
// least two racks, brokers are ordered alternating by rack and each partition's replicas
// cover as many racks as possible. `start` and the initial shift derive from `random`.
// Requires 1 <= replication_factor <= brokers.size(); brokers distinct.
std::vector<std::vector<int32_t>> PlaceReplicas(const std::vector<PlacementBroker>& brokers,
                                                int32_t first_partition, int32_t count,
                                                int replication_factor, uint64_t random);

// The leader `p` should have: the first replica in preference order (so the preferred
// replica when it can) that is in the ISR, usable (unfenced, not shutting down) and not
// `excluded`; kNoLeader if none. Never a replica outside the ISR (no unclean election).
// Unclean election (a topic with unclean.leader.election.enable=true whose ISR has no usable
// member): the first usable replica in replica order other than `excluded`, or kNoLeader. It
// becomes the ISR's only member; records only it has may be lost, which is what the topic
// accepted by enabling it.
int32_t ElectUncleanLeader(const metadata::PartitionInfo& p, const metadata::MetadataImage& image,
                           int32_t excluded = metadata::kNoLeader);
// True if the topic's config allows unclean leader election.
bool UncleanElectionAllowed(const metadata::TopicInfo& topic);

int32_t ElectLeader(const metadata::PartitionInfo& p, const metadata::MetadataImage& image,
                    int32_t excluded = metadata::kNoLeader);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_LOGIC_PLACEMENT_H_

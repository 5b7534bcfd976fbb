// Partition changes that follow a broker's state: moving leaderships and ISR membership
// away from a broker that is fenced or shutting down, and giving offline partitions a leader
// again when a broker returns. Part of :controller_logic.
#ifndef KEEL_CONTROLLER_LOGIC_PARTITION_MOVES_H_
#define KEEL_CONTROLLER_LOGIC_PARTITION_MOVES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "controller/logic/proposal.h"

namespace keel::controller {

// For every partition `broker` leads or is an ISR member of: removes it from the ISR unless
// it is the only member (Kafka's rule: the ISR never empties, so that electing a replica
// outside it stays a visible, deliberate act) and, where it leads, elects a new leader from
// the remaining ISR, or kNoLeader (offline) if no member is usable.
absl::Status MoveAwayFrom(int32_t broker, Proposal& proposal);

// For every offline partition (leader kNoLeader) whose ISR holds `broker`: elects a leader
// from its ISR now that `broker` is usable again.
absl::Status ElectOfflineLeaders(int32_t broker, Proposal& proposal);

// Whether `broker` leads any partition in `image`.
bool LeadsAnyPartition(const metadata::MetadataImage& image, int32_t broker);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_LOGIC_PARTITION_MOVES_H_

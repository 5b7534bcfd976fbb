// CooperativeStickyAssignor (Kafka's "cooperative-sticky", KIP-429): balanced and sticky,
// revoking in two phases.
//
// Sticky: each member keeps the partitions it owned (the subscription's owned partitions)
// while they exist, it still subscribes to their topic, and nobody before it in MemberOrder
// claimed them too. Balanced: unowned partitions (sorted) go one by one to the eligible
// member holding fewest (ties in MemberOrder); then, while some member holds at least two
// more than an eligible member, one of its partitions moves there. With identical
// subscriptions the counts differ by at most one, and a partition moves only when balance
// needs it. (Kafka's AbstractStickyAssignor reaches the same shape with other tie-breaks;
// the assignments are not byte-for-byte Kafka's.)
//
// Two phases: a partition whose owner changes is left out of the new owner's assignment in
// this rebalance. Its old owner sees it gone from its assignment, revokes it and rejoins
// (the consumer's side of KIP-429); in that next rebalance nobody owns it and it is
// assigned. So no partition is ever owned by two members at once.
//
// Cost: O(moves * members * partitions), fine for hundreds of partitions.
#ifndef KEEL_CLIENT_COOPERATIVE_STICKY_ASSIGNOR_H_
#define KEEL_CLIENT_COOPERATIVE_STICKY_ASSIGNOR_H_

#include "client/assignor.h"

namespace keel::client {

class CooperativeStickyAssignor final : public Assignor {
 public:
  std::string name() const override { return "cooperative-sticky"; }
  RebalanceProtocol protocol() const override { return RebalanceProtocol::kCooperative; }
  GroupAssignment Assign(const std::vector<MemberSubscription>& members,
                         const std::map<std::string, int32_t>& partitions_per_topic) const override;

  // The balanced, sticky target before the two-phase adjustment (what the members will hold
  // once the revocations are done). Exposed for tests.
  GroupAssignment Target(const std::vector<MemberSubscription>& members,
                         const std::map<std::string, int32_t>& partitions_per_topic) const;
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_COOPERATIVE_STICKY_ASSIGNOR_H_

// RangeAssignor (Kafka's "range"): topic by topic, the members subscribed to the topic in
// MemberOrder take consecutive ranges of its partitions; the first (partitions % members)
// members get one more. Members subscribed to many topics line up the same way in each, so
// co-partitioned topics land together (and the first members carry the remainders of every
// topic: range is balanced per topic, not overall).
#ifndef KEEL_CLIENT_RANGE_ASSIGNOR_H_
#define KEEL_CLIENT_RANGE_ASSIGNOR_H_

#include "client/assignor.h"

namespace keel::client {

class RangeAssignor final : public Assignor {
 public:
  std::string name() const override { return "range"; }
  GroupAssignment Assign(const std::vector<MemberSubscription>& members,
                         const std::map<std::string, int32_t>& partitions_per_topic) const override;
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_RANGE_ASSIGNOR_H_

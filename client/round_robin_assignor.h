// RoundRobinAssignor (Kafka's "roundrobin"): every partition of every subscribed topic, sorted
// by topic then partition, goes to the next member (in MemberOrder, cycling) subscribed to its
// topic. With identical subscriptions the counts differ by at most one.
#ifndef KEEL_CLIENT_ROUND_ROBIN_ASSIGNOR_H_
#define KEEL_CLIENT_ROUND_ROBIN_ASSIGNOR_H_

#include "client/assignor.h"

namespace keel::client {

class RoundRobinAssignor final : public Assignor {
 public:
  std::string name() const override { return "roundrobin"; }
  GroupAssignment Assign(const std::vector<MemberSubscription>& members,
                         const std::map<std::string, int32_t>& partitions_per_topic) const override;
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_ROUND_ROBIN_ASSIGNOR_H_

#include "client/assignor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/cooperative_sticky_assignor.h"
#include "client/range_assignor.h"
#include "client/round_robin_assignor.h"

namespace keel::client {

absl::StatusOr<std::unique_ptr<Assignor>> MakeAssignor(const std::string& name) {
  if (name == "range" || name == "org.apache.kafka.clients.consumer.RangeAssignor") {
    return std::make_unique<RangeAssignor>();
  }
  if (name == "roundrobin" || name == "org.apache.kafka.clients.consumer.RoundRobinAssignor") {
    return std::make_unique<RoundRobinAssignor>();
  }
  if (name == "cooperative-sticky" ||
      name == "org.apache.kafka.clients.consumer.CooperativeStickyAssignor") {
    return std::make_unique<CooperativeStickyAssignor>();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown partition.assignment.strategy '", name,
      "' (known: range, roundrobin, cooperative-sticky)"));
}

bool MemberOrder(const MemberSubscription& a, const MemberSubscription& b) {
  if (a.group_instance_id.has_value() && b.group_instance_id.has_value()) {
    if (*a.group_instance_id != *b.group_instance_id) {
      return *a.group_instance_id < *b.group_instance_id;
    }
    return a.member_id < b.member_id;
  }
  if (a.group_instance_id.has_value() != b.group_instance_id.has_value()) {
    return a.group_instance_id.has_value();
  }
  return a.member_id < b.member_id;
}

std::vector<const MemberSubscription*> SortedMembers(
    const std::vector<MemberSubscription>& members) {
  std::vector<const MemberSubscription*> out;
  out.reserve(members.size());
  for (const auto& m : members) out.push_back(&m);
  std::sort(out.begin(), out.end(),
            [](const MemberSubscription* a, const MemberSubscription* b) {
              return MemberOrder(*a, *b);
            });
  return out;
}

GroupAssignment EmptyAssignment(const std::vector<MemberSubscription>& members) {
  GroupAssignment out;
  for (const auto& m : members) out[m.member_id];
  return out;
}

}  // namespace keel::client

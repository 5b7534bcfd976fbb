#include "client/round_robin_assignor.h"

#include <algorithm>

namespace keel::client {

GroupAssignment RoundRobinAssignor::Assign(
    const std::vector<MemberSubscription>& members,
    const std::map<std::string, int32_t>& partitions_per_topic) const {
  GroupAssignment out = EmptyAssignment(members);
  const std::vector<const MemberSubscription*> sorted = SortedMembers(members);
  if (sorted.empty()) return out;
  auto subscribes = [](const MemberSubscription* m, const std::string& topic) {
    return std::find(m->topics.begin(), m->topics.end(), topic) != m->topics.end();
  };
  size_t next = 0;  // the circular iterator over members
  // std::map iterates topics in order; partitions are taken in order within each.
  for (const auto& [topic, count] : partitions_per_topic) {
    bool anyone = false;
    for (const MemberSubscription* m : sorted) anyone = anyone || subscribes(m, topic);
    if (!anyone) continue;
    for (int32_t p = 0; p < count; ++p) {
      while (!subscribes(sorted[next], topic)) next = (next + 1) % sorted.size();
      out[sorted[next]->member_id].push_back({topic, p});
      next = (next + 1) % sorted.size();
    }
  }
  return out;  // lists are built in sorted order
}

}  // namespace keel::client

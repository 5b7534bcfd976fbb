#include "client/range_assignor.h"

#include <algorithm>
#include <set>

namespace keel::client {

GroupAssignment RangeAssignor::Assign(
    const std::vector<MemberSubscription>& members,
    const std::map<std::string, int32_t>& partitions_per_topic) const {
  GroupAssignment out = EmptyAssignment(members);
  const std::vector<const MemberSubscription*> sorted = SortedMembers(members);
  for (const auto& [topic, count] : partitions_per_topic) {
    std::vector<const MemberSubscription*> subscribed;
    for (const MemberSubscription* m : sorted) {
      if (std::find(m->topics.begin(), m->topics.end(), topic) != m->topics.end()) {
        subscribed.push_back(m);
      }
    }
    if (subscribed.empty() || count <= 0) continue;
    const int32_t n = static_cast<int32_t>(subscribed.size());
    const int32_t per_member = count / n;
    const int32_t extra = count % n;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t start = per_member * i + std::min(i, extra);
      const int32_t length = per_member + (i < extra ? 1 : 0);
      auto& list = out[subscribed[i]->member_id];
      for (int32_t p = start; p < start + length; ++p) list.push_back({topic, p});
    }
  }
  for (auto& [member, list] : out) std::sort(list.begin(), list.end());
  return out;
}

}  // namespace keel::client

#include "client/cooperative_sticky_assignor.h"

#include <algorithm>
#include <set>

namespace keel::client {
namespace {

bool Subscribes(const MemberSubscription& m, const std::string& topic) {
  return std::find(m.topics.begin(), m.topics.end(), topic) != m.topics.end();
}

bool Exists(const std::map<std::string, int32_t>& partitions_per_topic, const TopicPartition& tp) {
  auto it = partitions_per_topic.find(tp.topic);
  return it != partitions_per_topic.end() && tp.partition >= 0 && tp.partition < it->second;
}

// The previous owner of each partition still valid for that owner (first claim in
// MemberOrder wins a partition claimed twice).
std::map<TopicPartition, const MemberSubscription*> PreviousOwners(
    const std::vector<const MemberSubscription*>& sorted,
    const std::map<std::string, int32_t>& partitions_per_topic) {
  std::map<TopicPartition, const MemberSubscription*> owners;
  for (const MemberSubscription* m : sorted) {
    for (const TopicPartition& tp : m->owned_partitions) {
      if (!Exists(partitions_per_topic, tp) || !Subscribes(*m, tp.topic)) continue;
      owners.emplace(tp, m);  // keeps an earlier claim
    }
  }
  return owners;
}

}  // namespace

GroupAssignment CooperativeStickyAssignor::Target(
    const std::vector<MemberSubscription>& members,
    const std::map<std::string, int32_t>& partitions_per_topic) const {
  const std::vector<const MemberSubscription*> sorted = SortedMembers(members);
  // Held partitions per member, indexed like `sorted`.
  std::vector<std::set<TopicPartition>> held(sorted.size());
  std::map<const MemberSubscription*, size_t> index;
  for (size_t i = 0; i < sorted.size(); ++i) index[sorted[i]] = i;

  const auto owners = PreviousOwners(sorted, partitions_per_topic);
  for (const auto& [tp, m] : owners) held[index[m]].insert(tp);

  // Unowned partitions of subscribed topics go to the least loaded eligible member.
  for (const auto& [topic, count] : partitions_per_topic) {
    for (int32_t p = 0; p < count; ++p) {
      TopicPartition tp{topic, p};
      if (owners.count(tp) != 0) continue;
      size_t best = sorted.size();
      for (size_t i = 0; i < sorted.size(); ++i) {
        if (!Subscribes(*sorted[i], topic)) continue;
        if (best == sorted.size() || held[i].size() < held[best].size()) best = i;
      }
      if (best != sorted.size()) held[best].insert(tp);
    }
  }

  // Move one partition at a time from a member to an eligible one holding at least two fewer.
  // Each move lowers the sum of squared counts, so this ends.
  while (true) {
    std::vector<size_t> by_load(sorted.size());
    for (size_t i = 0; i < by_load.size(); ++i) by_load[i] = i;
    std::stable_sort(by_load.begin(), by_load.end(),
                     [&](size_t a, size_t b) { return held[a].size() > held[b].size(); });
    bool moved = false;
    for (size_t from : by_load) {
      // The partitions taken last are given up first (the highest ones).
      for (auto it = held[from].rbegin(); it != held[from].rend() && !moved; ++it) {
        size_t to = sorted.size();
        for (size_t i = 0; i < sorted.size(); ++i) {
          if (i == from || !Subscribes(*sorted[i], it->topic)) continue;
          if (held[i].size() + 1 >= held[from].size()) continue;
          if (to == sorted.size() || held[i].size() < held[to].size()) to = i;
        }
        if (to != sorted.size()) {
          TopicPartition tp = *it;
          held[from].erase(tp);
          held[to].insert(tp);
          moved = true;
        }
      }
      if (moved) break;
    }
    if (!moved) break;
  }

  GroupAssignment out = EmptyAssignment(members);
  for (size_t i = 0; i < sorted.size(); ++i) {
    out[sorted[i]->member_id].assign(held[i].begin(), held[i].end());
  }
  return out;
}

GroupAssignment CooperativeStickyAssignor::Assign(
    const std::vector<MemberSubscription>& members,
    const std::map<std::string, int32_t>& partitions_per_topic) const {
  GroupAssignment target = Target(members, partitions_per_topic);
  const auto owners = PreviousOwners(SortedMembers(members), partitions_per_topic);
  // A partition changing owner is withheld from its new owner until the old one revoked it.
  for (auto& [member, list] : target) {
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&, &member = member](const TopicPartition& tp) {
                                auto it = owners.find(tp);
                                return it != owners.end() && it->second->member_id != member;
                              }),
               list.end());
  }
  return target;
}

}  // namespace keel::client

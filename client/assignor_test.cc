#include "client/assignor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "client/cooperative_sticky_assignor.h"
#include "client/range_assignor.h"
#include "client/round_robin_assignor.h"

namespace keel::client {
namespace {

using Topics = std::map<std::string, int32_t>;

MemberSubscription Member(std::string id, std::vector<std::string> topics,
                          std::vector<TopicPartition> owned = {}) {
  MemberSubscription m;
  m.member_id = std::move(id);
  m.topics = std::move(topics);
  m.owned_partitions = std::move(owned);
  return m;
}

std::vector<TopicPartition> TPs(std::vector<std::pair<std::string, int32_t>> list) {
  std::vector<TopicPartition> out;
  for (auto& [t, p] : list) out.push_back({t, p});
  return out;
}

// Every partition of a subscribed topic exactly once, only to members subscribed to it.
void ExpectComplete(const std::vector<MemberSubscription>& members, const Topics& topics,
                    const GroupAssignment& a) {
  ASSERT_EQ(a.size(), members.size());
  std::map<TopicPartition, int> seen;
  for (const auto& m : members) {
    auto it = a.find(m.member_id);
    ASSERT_NE(it, a.end()) << m.member_id;
    EXPECT_TRUE(std::is_sorted(it->second.begin(), it->second.end()));
    for (const auto& tp : it->second) {
      ++seen[tp];
      EXPECT_NE(std::find(m.topics.begin(), m.topics.end(), tp.topic), m.topics.end())
          << m.member_id << " got " << tp.topic << " it does not subscribe to";
    }
  }
  std::set<std::string> subscribed;
  for (const auto& m : members) subscribed.insert(m.topics.begin(), m.topics.end());
  for (const auto& [topic, count] : topics) {
    if (subscribed.count(topic) == 0) continue;
    for (int32_t p = 0; p < count; ++p) {
      EXPECT_EQ((seen[TopicPartition{topic, p}]), 1) << topic << "-" << p;
    }
  }
  size_t total = 0;
  for (const auto& [tp, n] : seen) total += n;
  size_t expected = 0;
  for (const auto& [topic, count] : topics) {
    if (subscribed.count(topic) != 0) expected += count;
  }
  EXPECT_EQ(total, expected);
}

size_t Spread(const GroupAssignment& a) {
  size_t lo = SIZE_MAX, hi = 0;
  for (const auto& [m, list] : a) {
    lo = std::min(lo, list.size());
    hi = std::max(hi, list.size());
  }
  return hi - lo;
}

// Seeded random group: `n_members` members all subscribed to the same topics holding
// `n_partitions` partitions in total over 1..5 topics.
std::pair<std::vector<MemberSubscription>, Topics> RandomGroup(std::mt19937* rng, int n_members,
                                                               int n_partitions) {
  const int n_topics = std::uniform_int_distribution<int>(1, 5)(*rng);
  Topics topics;
  int left = n_partitions;
  for (int t = 0; t < n_topics; ++t) {
    const int count = t == n_topics - 1
                          ? left
                          : std::uniform_int_distribution<int>(0, left)(*rng);
    topics["topic-" + std::to_string(t)] = count;
    left -= count;
  }
  std::vector<std::string> names;
  for (const auto& [t, c] : topics) names.push_back(t);
  std::vector<MemberSubscription> members;
  for (int i = 0; i < n_members; ++i) {
    members.push_back(Member("member-" + std::to_string((*rng)()), names));
  }
  return {members, topics};
}

TEST(AssignorTest, MakeAssignorKnowsKafkasNamesAndRefusesOthers) {
  EXPECT_EQ((*MakeAssignor("range"))->name(), "range");
  EXPECT_EQ((*MakeAssignor("roundrobin"))->name(), "roundrobin");
  EXPECT_EQ((*MakeAssignor("cooperative-sticky"))->name(), "cooperative-sticky");
  EXPECT_EQ((*MakeAssignor("org.apache.kafka.clients.consumer.RangeAssignor"))->name(), "range");
  EXPECT_EQ((*MakeAssignor("cooperative-sticky"))->protocol(), RebalanceProtocol::kCooperative);
  EXPECT_EQ((*MakeAssignor("range"))->protocol(), RebalanceProtocol::kEager);
  auto bad = MakeAssignor("sticky-ish");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_NE(bad.status().message().find("sticky-ish"), std::string::npos);
}

TEST(AssignorTest, MemberOrderPutsStaticMembersFirstByInstanceId) {
  MemberSubscription a = Member("a", {}), b = Member("b", {}), c = Member("c", {});
  c.group_instance_id = "i1";
  b.group_instance_id = "i2";
  std::vector<MemberSubscription> members = {a, b, c};
  auto sorted = SortedMembers(members);
  ASSERT_EQ(sorted.size(), 3u);
  EXPECT_EQ(sorted[0]->member_id, "c");
  EXPECT_EQ(sorted[1]->member_id, "b");
  EXPECT_EQ(sorted[2]->member_id, "a");
}

// Kafka's RangeAssignor javadoc: two consumers, two topics of three partitions.
TEST(RangeAssignorTest, KafkasExample) {
  std::vector<MemberSubscription> members = {Member("C1", {"t0", "t1"}),
                                             Member("C0", {"t0", "t1"})};
  auto a = RangeAssignor().Assign(members, {{"t0", 3}, {"t1", 3}});
  EXPECT_EQ(a["C0"], TPs({{"t0", 0}, {"t0", 1}, {"t1", 0}, {"t1", 1}}));
  EXPECT_EQ(a["C1"], TPs({{"t0", 2}, {"t1", 2}}));
}

TEST(RangeAssignorTest, OnlySubscribersShareATopicAndUnknownTopicsAreSkipped) {
  std::vector<MemberSubscription> members = {Member("a", {"x", "gone"}), Member("b", {"x", "y"}),
                                             Member("c", {"y"})};
  auto a = RangeAssignor().Assign(members, {{"x", 5}, {"y", 2}, {"z", 4}});
  EXPECT_EQ(a["a"], TPs({{"x", 0}, {"x", 1}, {"x", 2}}));
  EXPECT_EQ(a["b"], TPs({{"x", 3}, {"x", 4}, {"y", 0}}));
  EXPECT_EQ(a["c"], TPs({{"y", 1}}));
}

TEST(RangeAssignorTest, MoreMembersThanPartitionsLeavesSomeEmpty) {
  std::vector<MemberSubscription> members = {Member("a", {"t"}), Member("b", {"t"}),
                                             Member("c", {"t"})};
  auto a = RangeAssignor().Assign(members, {{"t", 2}});
  EXPECT_EQ(a["a"], TPs({{"t", 0}}));
  EXPECT_EQ(a["b"], TPs({{"t", 1}}));
  EXPECT_TRUE(a["c"].empty());
}

// Kafka's RoundRobinAssignor javadoc examples.
TEST(RoundRobinAssignorTest, KafkasExamples) {
  {
    std::vector<MemberSubscription> members = {Member("C0", {"t0", "t1"}),
                                               Member("C1", {"t0", "t1"})};
    auto a = RoundRobinAssignor().Assign(members, {{"t0", 3}, {"t1", 3}});
    EXPECT_EQ(a["C0"], TPs({{"t0", 0}, {"t0", 2}, {"t1", 1}}));
    EXPECT_EQ(a["C1"], TPs({{"t0", 1}, {"t1", 0}, {"t1", 2}}));
  }
  {
    std::vector<MemberSubscription> members = {
        Member("C0", {"t0"}), Member("C1", {"t0", "t1"}), Member("C2", {"t0", "t1", "t2"})};
    auto a = RoundRobinAssignor().Assign(members, {{"t0", 1}, {"t1", 2}, {"t2", 3}});
    EXPECT_EQ(a["C0"], TPs({{"t0", 0}}));
    EXPECT_EQ(a["C1"], TPs({{"t1", 0}}));
    EXPECT_EQ(a["C2"], TPs({{"t1", 1}, {"t2", 0}, {"t2", 1}, {"t2", 2}}));
  }
}

TEST(AssignorPropertyTest, SeededRandomGroupsAreCompleteAndBalanced) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const int n_members = std::uniform_int_distribution<int>(1, 20)(rng);
    const int n_partitions = std::uniform_int_distribution<int>(0, 200)(rng);
    auto [members, topics] = RandomGroup(&rng, n_members, n_partitions);
    if (seed == 1) {  // the brief's exact shape once: 20 members, 200 partitions
      std::tie(members, topics) = RandomGroup(&rng, 20, 200);
    }

    auto range = RangeAssignor().Assign(members, topics);
    ExpectComplete(members, topics, range);
    // Range is balanced per topic.
    for (const auto& [topic, count] : topics) {
      size_t lo = SIZE_MAX, hi = 0;
      for (const auto& [m, list] : range) {
        size_t n = std::count_if(list.begin(), list.end(),
                                 [&, &topic = topic](const TopicPartition& tp) {
                                   return tp.topic == topic;
                                 });
        lo = std::min(lo, n);
        hi = std::max(hi, n);
      }
      EXPECT_LE(hi - lo, 1u) << topic;
    }

    auto rr = RoundRobinAssignor().Assign(members, topics);
    ExpectComplete(members, topics, rr);
    EXPECT_LE(Spread(rr), 1u);

    // Sticky from scratch (nobody owns anything): one phase, balanced.
    auto sticky = CooperativeStickyAssignor().Assign(members, topics);
    ExpectComplete(members, topics, sticky);
    EXPECT_LE(Spread(sticky), 1u);

    // The input order of members does not matter.
    std::vector<MemberSubscription> shuffled = members;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(RangeAssignor().Assign(shuffled, topics), range);
    EXPECT_EQ(RoundRobinAssignor().Assign(shuffled, topics), rr);
    EXPECT_EQ(CooperativeStickyAssignor().Assign(shuffled, topics), sticky);
  }
}

// One cooperative rebalance as the members would run it: assign; members that lost
// partitions revoke them and rejoin; assign again. Returns the final assignment and checks
// that no partition was ever held by two members.
GroupAssignment TwoPhase(std::vector<MemberSubscription> members, const Topics& topics,
                         int* moved) {
  std::map<TopicPartition, std::string> before;
  for (const auto& m : members) {
    for (const auto& tp : m.owned_partitions) before[tp] = m.member_id;
  }
  CooperativeStickyAssignor sticky;
  GroupAssignment first = sticky.Assign(members, topics);
  // Phase one hands nobody a partition another member still owns.
  for (const auto& [member, list] : first) {
    for (const auto& tp : list) {
      auto it = before.find(tp);
      if (it != before.end()) {
        EXPECT_EQ(it->second, member) << tp.topic << "-" << tp.partition;
      }
    }
  }
  bool revoked = false;
  for (auto& m : members) {
    const auto& now = first[m.member_id];
    for (const auto& tp : m.owned_partitions) {
      if (std::find(now.begin(), now.end(), tp) == now.end()) revoked = true;
    }
    m.owned_partitions = now;
  }
  GroupAssignment second = revoked ? sticky.Assign(members, topics) : first;
  // Phase two only adds: nothing a member kept in phase one is taken away.
  for (const auto& m : members) {
    for (const auto& tp : m.owned_partitions) {
      const auto& list = second[m.member_id];
      EXPECT_NE(std::find(list.begin(), list.end(), tp), list.end());
    }
  }
  *moved = 0;
  for (const auto& [member, list] : second) {
    for (const auto& tp : list) {
      auto it = before.find(tp);
      if (it != before.end() && it->second != member) ++*moved;
    }
  }
  return second;
}

TEST(CooperativeStickyAssignorTest, AJoiningMemberTakesOnlyItsShareInTwoPhases) {
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto [members, topics] = RandomGroup(&rng, 20, 200);
    GroupAssignment current = CooperativeStickyAssignor().Assign(members, topics);
    for (auto& m : members) m.owned_partitions = current[m.member_id];
    members.push_back(Member("newcomer", members[0].topics));
    int moved = 0;
    GroupAssignment next = TwoPhase(members, topics, &moved);
    ExpectComplete(members, topics, next);
    EXPECT_LE(Spread(next), 1u);
    // 200 over 21: the newcomer gets 9 or 10; nothing else moves.
    EXPECT_LE(moved, 10);
    EXPECT_EQ(static_cast<size_t>(moved), next["newcomer"].size());
    EXPECT_GE(next["newcomer"].size(), 9u);
  }
}

TEST(CooperativeStickyAssignorTest, ALeavingMembersPartitionsSpreadAndTheRestStay) {
  std::mt19937 rng(7);
  auto [members, topics] = RandomGroup(&rng, 20, 200);
  GroupAssignment current = CooperativeStickyAssignor().Assign(members, topics);
  for (auto& m : members) m.owned_partitions = current[m.member_id];
  const std::string gone = members[3].member_id;
  members.erase(members.begin() + 3);
  int moved = 0;
  GroupAssignment next = TwoPhase(members, topics, &moved);
  ExpectComplete(members, topics, next);
  EXPECT_LE(Spread(next), 1u);
  EXPECT_EQ(moved, 0);  // only the leaver's partitions (owned by nobody now) found new homes
}

TEST(CooperativeStickyAssignorTest, NewPartitionsAreAddedWithoutMovingOthers) {
  std::vector<MemberSubscription> members = {Member("a", {"t"}), Member("b", {"t"}),
                                             Member("c", {"t"})};
  GroupAssignment current = CooperativeStickyAssignor().Assign(members, {{"t", 6}});
  for (auto& m : members) m.owned_partitions = current[m.member_id];
  int moved = 0;
  GroupAssignment next = TwoPhase(members, {{"t", 9}}, &moved);
  ExpectComplete(members, {{"t", 9}}, next);
  EXPECT_EQ(moved, 0);
  for (const auto& m : members) EXPECT_EQ(next[m.member_id].size(), 3u);
}

TEST(CooperativeStickyAssignorTest, InvalidAndDoubleClaimsAreDropped) {
  // a claims a partition that no longer exists and one of a topic it left; b and c both
  // claim t-0 (a stale member): the first in member order keeps it.
  std::vector<MemberSubscription> members = {
      Member("a", {"t"}, TPs({{"t", 7}, {"old", 0}, {"t", 1}})),
      Member("b", {"t"}, TPs({{"t", 0}})),
      Member("c", {"t"}, TPs({{"t", 0}, {"t", 2}}))};
  Topics topics = {{"t", 3}, {"old", 1}};
  GroupAssignment a = CooperativeStickyAssignor().Assign(members, topics);
  ExpectComplete(members, topics, a);
  EXPECT_EQ(a["a"], TPs({{"t", 1}}));
  EXPECT_EQ(a["b"], TPs({{"t", 0}}));
  EXPECT_EQ(a["c"], TPs({{"t", 2}}));
}

TEST(CooperativeStickyAssignorTest, AnOverloadedOwnerGivesUpPartitionsFirstThenTheyMove) {
  // a owns all 4; b joins. Phase one: a keeps 2, b gets nothing yet (a must revoke first).
  std::vector<MemberSubscription> members = {
      Member("a", {"t"}, TPs({{"t", 0}, {"t", 1}, {"t", 2}, {"t", 3}})), Member("b", {"t"})};
  CooperativeStickyAssignor sticky;
  GroupAssignment first = sticky.Assign(members, {{"t", 4}});
  EXPECT_EQ(first["a"].size(), 2u);
  EXPECT_TRUE(first["b"].empty());
  EXPECT_EQ(sticky.Target(members, {{"t", 4}})["b"].size(), 2u);
  members[0].owned_partitions = first["a"];
  GroupAssignment second = sticky.Assign(members, {{"t", 4}});
  EXPECT_EQ(second["a"], first["a"]);
  EXPECT_EQ(second["b"].size(), 2u);
}

TEST(CooperativeStickyAssignorTest, HeterogeneousSubscriptionsStayEligible) {
  std::vector<MemberSubscription> members = {Member("a", {"x"}), Member("b", {"x", "y"}),
                                             Member("c", {"y"})};
  Topics topics = {{"x", 4}, {"y", 4}};
  GroupAssignment a = CooperativeStickyAssignor().Assign(members, topics);
  ExpectComplete(members, topics, a);
  EXPECT_LE(Spread(a), 1u);
}

}  // namespace
}  // namespace keel::client

// The group state machine through its coordinator, on a fake monotonic clock: each test is
// one behaviour of Kafka's classic group protocol; the last drives many simulated clients at
// random and checks the invariants after every step.
#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "broker/group/group_coordinator.h"
#include "gtest/gtest.h"
#include "kafka/error_codes.h"

namespace keel::broker::group {
namespace {

using keel::kafka::Code;
using keel::kafka::ErrorCode;

constexpr char kGroup[] = "g";

template <class T>
using Slot = std::shared_ptr<std::optional<T>>;

class GroupTest : public ::testing::Test {
 protected:
  GroupTest() { Restart(); }

  void Restart() {
    coordinator_ = std::make_unique<GroupCoordinator>(config_, [this] { return now_ms_; },
                                                      &store_, /*seed=*/42);
  }

  static JoinRequest Request(const std::string& member_id, std::vector<Protocol> protocols = {
                                                               {"range", "sub"}}) {
    JoinRequest r;
    r.member_id = member_id;
    r.client_id = "client";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 5000;
    r.protocol_type = "consumer";
    r.protocols = std::move(protocols);
    return r;
  }

  Slot<JoinResult> Join(JoinRequest request) {
    auto slot = std::make_shared<std::optional<JoinResult>>();
    coordinator_->Join(kGroup, std::move(request), [slot](const JoinResult& r) { *slot = r; });
    coordinator_->CheckInvariants();
    return slot;
  }

  Slot<SyncResult> Sync(const std::string& member_id, int32_t generation,
                        std::map<std::string, std::string> assignments = {},
                        std::optional<std::string> instance = std::nullopt) {
    auto slot = std::make_shared<std::optional<SyncResult>>();
    SyncRequest r;
    r.member_id = member_id;
    r.generation_id = generation;
    r.group_instance_id = instance;
    r.assignments = std::move(assignments);
    coordinator_->Sync(kGroup, r, [slot](const SyncResult& s) { *slot = s; });
    coordinator_->CheckInvariants();
    return slot;
  }

  int16_t Heartbeat(const std::string& member_id, int32_t generation) {
    return coordinator_->Heartbeat(kGroup, {member_id, std::nullopt}, generation);
  }

  void Advance(int64_t ms) {
    now_ms_ += ms;
    coordinator_->Tick();
    coordinator_->CheckInvariants();
  }

  GroupState State() {
    auto d = coordinator_->Describe(kGroup);
    return d.has_value() ? d->state : GroupState::kDead;
  }

  // A v4+ first join: MEMBER_ID_REQUIRED, then the join with the id handed out.
  Slot<JoinResult> JoinNew(std::vector<Protocol> protocols = {{"range", "sub"}}) {
    JoinRequest first = Request("", protocols);
    first.require_known_member_id = true;
    auto asked = Join(first);
    EXPECT_TRUE(asked->has_value());
    EXPECT_EQ((*asked)->error_code, Code(ErrorCode::kMemberIdRequired));
    EXPECT_FALSE((*asked)->member_id.empty());
    return Join(Request((*asked)->member_id, protocols));
  }

  // Three members through the initial delay into CompletingRebalance.
  std::vector<JoinResult> JoinThree() {
    std::vector<Slot<JoinResult>> slots;
    for (int i = 0; i < 3; ++i) slots.push_back(JoinNew());
    for (auto& s : slots) EXPECT_FALSE(s->has_value()) << "answered before the initial delay";
    Advance(config_.initial_rebalance_delay_ms);
    Advance(config_.initial_rebalance_delay_ms);
    std::vector<JoinResult> out;
    for (auto& s : slots) {
      EXPECT_TRUE(s->has_value());
      if (s->has_value()) out.push_back(**s);
    }
    return out;
  }

  // The leader assigns "gen:<g>:<member>" to everyone; every member syncs.
  void SyncAll(const std::vector<JoinResult>& joined) {
    std::vector<Slot<SyncResult>> slots;
    for (const JoinResult& j : joined) {
      if (j.member_id == j.leader_id) continue;
      slots.push_back(Sync(j.member_id, j.generation_id));
    }
    for (const JoinResult& j : joined) {
      if (j.member_id != j.leader_id) continue;
      std::map<std::string, std::string> assignments;
      for (const JoinMember& m : j.members) {
        assignments[m.member_id] = "gen:" + std::to_string(j.generation_id) + ":" + m.member_id;
      }
      slots.push_back(Sync(j.member_id, j.generation_id, assignments));
    }
    for (auto& s : slots) {
      ASSERT_TRUE(s->has_value());
      EXPECT_EQ((*s)->error_code, 0);
    }
    EXPECT_EQ(State(), GroupState::kStable);
  }

  GroupConfig config_ = [] {
    GroupConfig c;
    c.initial_rebalance_delay_ms = 100;
    return c;
  }();
  int64_t now_ms_ = 1000;
  MemOffsetStore store_;
  std::unique_ptr<GroupCoordinator> coordinator_;
};

TEST_F(GroupTest, FirstJoinWithoutMemberIdIsAskedToRejoinWithTheAssignedId) {
  JoinRequest r = Request("");
  r.require_known_member_id = true;
  auto asked = Join(r);
  ASSERT_TRUE(asked->has_value());
  EXPECT_EQ((*asked)->error_code, Code(ErrorCode::kMemberIdRequired));
  EXPECT_EQ((*asked)->member_id.rfind("client-", 0), 0u) << (*asked)->member_id;
  // Before v4 the member is admitted at once.
  auto old_client = Join(Request(""));
  EXPECT_FALSE(old_client->has_value());
}

TEST_F(GroupTest, ThreeMembersJoinGetOneLeaderAndTheSameGeneration) {
  std::vector<JoinResult> joined = JoinThree();
  ASSERT_EQ(joined.size(), 3u);
  std::set<std::string> leaders;
  std::set<std::string> ids;
  for (const JoinResult& j : joined) {
    EXPECT_EQ(j.error_code, 0);
    EXPECT_EQ(j.generation_id, 1);
    EXPECT_EQ(j.protocol_name, "range");
    leaders.insert(j.leader_id);
    ids.insert(j.member_id);
    // Only the leader sees the members' metadata.
    EXPECT_EQ(j.members.size(), j.member_id == j.leader_id ? 3u : 0u);
  }
  EXPECT_EQ(leaders.size(), 1u);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.count(*leaders.begin()), 1u);
  EXPECT_EQ(State(), GroupState::kCompletingRebalance);
  SyncAll(joined);
}

TEST_F(GroupTest, FollowerSyncWaitsForTheLeadersAssignment) {
  std::vector<JoinResult> joined = JoinThree();
  const JoinResult* follower = nullptr;
  const JoinResult* leader = nullptr;
  for (const JoinResult& j : joined) (j.member_id == j.leader_id ? leader : follower) = &j;
  ASSERT_NE(follower, nullptr);
  ASSERT_NE(leader, nullptr);
  auto waiting = Sync(follower->member_id, 1);
  EXPECT_FALSE(waiting->has_value());
  Sync(leader->member_id, 1, {{follower->member_id, "p0,p1"}});
  ASSERT_TRUE(waiting->has_value());
  EXPECT_EQ((*waiting)->error_code, 0);
  EXPECT_EQ((*waiting)->assignment, "p0,p1");
}

TEST_F(GroupTest, AFourthMemberJoiningTriggersARebalance) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  auto fourth = JoinNew();
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  EXPECT_FALSE(fourth->has_value());
  // The others learn it from their heartbeat and rejoin.
  std::vector<Slot<JoinResult>> rejoins;
  for (const JoinResult& j : joined) {
    EXPECT_EQ(Heartbeat(j.member_id, 1), Code(ErrorCode::kRebalanceInProgress));
    rejoins.push_back(Join(Request(j.member_id)));
  }
  rejoins.push_back(fourth);
  std::set<std::string> leaders;
  for (auto& s : rejoins) {
    ASSERT_TRUE(s->has_value()) << "the join completes once every member rejoined";
    EXPECT_EQ((*s)->generation_id, 2);
    leaders.insert((*s)->leader_id);
  }
  EXPECT_EQ(leaders.size(), 1u);
}

TEST_F(GroupTest, ALeaveRebalancesAtOnce) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  const std::string leaver = joined[0].member_id;
  auto errors = coordinator_->Leave(kGroup, {{leaver, std::nullopt}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], 0);
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  std::vector<Slot<JoinResult>> rejoins;
  for (size_t i = 1; i < joined.size(); ++i) rejoins.push_back(Join(Request(joined[i].member_id)));
  for (auto& s : rejoins) {
    ASSERT_TRUE(s->has_value());
    EXPECT_EQ((*s)->generation_id, 2);
    EXPECT_NE((*s)->leader_id, leaver);
  }
  EXPECT_EQ(Heartbeat(leaver, 2), Code(ErrorCode::kUnknownMemberId));
}

TEST_F(GroupTest, BatchLeaveAnswersEachMember) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  auto errors = coordinator_->Leave(
      kGroup, {{joined[0].member_id, std::nullopt}, {"nobody", std::nullopt},
               {joined[1].member_id, std::nullopt}});
  EXPECT_EQ(errors, (std::vector<int16_t>{0, Code(ErrorCode::kUnknownMemberId), 0}));
  auto last = Join(Request(joined[2].member_id));
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->leader_id, joined[2].member_id);
}

TEST_F(GroupTest, ASilentMemberIsExpiredAfterTheSessionTimeout) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  // Two keep heartbeating; the third stays silent.
  for (int i = 0; i < 9; ++i) {
    Advance(1000);
    EXPECT_EQ(Heartbeat(joined[0].member_id, 1), 0);
    EXPECT_EQ(Heartbeat(joined[1].member_id, 1), 0);
  }
  EXPECT_EQ(State(), GroupState::kStable);
  Advance(1000);  // 10 s: the session timeout
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  EXPECT_EQ(Heartbeat(joined[2].member_id, 1), Code(ErrorCode::kUnknownMemberId));
  auto d = coordinator_->Describe(kGroup);
  EXPECT_EQ(d->members.size(), 2u);
}

TEST_F(GroupTest, AMemberThatDoesNotRejoinWithinTheRebalanceTimeoutIsDropped) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  auto first = Join(Request(joined[0].member_id, {{"range", "changed"}}));
  auto second = Join(Request(joined[1].member_id));
  EXPECT_FALSE(first->has_value());
  // joined[2] heartbeats (so its session lives) but never rejoins.
  Advance(2500);
  EXPECT_EQ(Heartbeat(joined[2].member_id, 1), Code(ErrorCode::kRebalanceInProgress));
  Advance(2500);  // the 5 s rebalance timeout
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->generation_id, 2);
  EXPECT_EQ(coordinator_->Describe(kGroup)->members.size(), 2u);
}

TEST_F(GroupTest, AStaticMemberRejoiningKeepsItsAssignmentWithoutARebalance) {
  std::vector<Slot<JoinResult>> slots;
  for (const std::string instance : {"a", "b"}) {
    JoinRequest r = Request("");
    r.group_instance_id = instance;
    r.require_known_member_id = true;  // static members skip MEMBER_ID_REQUIRED
    slots.push_back(Join(r));
    EXPECT_FALSE(slots.back()->has_value());
  }
  Advance(100);
  Advance(100);
  std::vector<JoinResult> joined;
  for (auto& s : slots) joined.push_back(**s);
  SyncAll(joined);
  const std::string old_b = coordinator_->Describe(kGroup)->members[1].member_id;
  const std::string assignment_b = "gen:1:" + old_b;

  // "b" restarts: a join without member id but with its instance id.
  JoinRequest again = Request("");
  again.group_instance_id = "b";
  again.require_known_member_id = true;
  auto rejoined = Join(again);
  ASSERT_TRUE(rejoined->has_value()) << "answered at once";
  EXPECT_EQ((*rejoined)->error_code, 0);
  EXPECT_EQ((*rejoined)->generation_id, 1);
  EXPECT_NE((*rejoined)->member_id, old_b);
  EXPECT_EQ(State(), GroupState::kStable);
  auto sync = Sync((*rejoined)->member_id, 1, {}, "b");
  ASSERT_TRUE(sync->has_value());
  EXPECT_EQ((*sync)->assignment, assignment_b);
  // The old process is fenced.
  EXPECT_EQ(coordinator_->Heartbeat(kGroup, {old_b, "b"}, 1), Code(ErrorCode::kFencedInstanceId));
  EXPECT_EQ(coordinator_->Heartbeat(kGroup, {(*rejoined)->member_id, "b"}, 1), 0);
}

TEST_F(GroupTest, AStaticMemberRejoiningWithNewMetadataRebalances) {
  JoinRequest r = Request("");
  r.group_instance_id = "a";
  auto first = Join(r);
  Advance(100);
  Advance(100);
  ASSERT_TRUE(first->has_value());
  SyncAll({**first});
  r.protocols = {{"range", "new-subscription"}};
  auto again = Join(r);
  EXPECT_EQ(State(), GroupState::kCompletingRebalance) << "one member: the rebalance completes";
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->generation_id, 2);
}

TEST_F(GroupTest, AStaleGenerationIsIllegal) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  EXPECT_EQ(Heartbeat(joined[1].member_id, 0), Code(ErrorCode::kIllegalGeneration));
  auto sync = Sync(joined[1].member_id, 7);
  ASSERT_TRUE(sync->has_value());
  EXPECT_EQ((*sync)->error_code, Code(ErrorCode::kIllegalGeneration));
  auto commit = coordinator_->Commit(kGroup, {joined[1].member_id, std::nullopt}, 0,
                                     {{{"t", 0}, {5, -1, std::nullopt}}});
  EXPECT_EQ(commit.at({"t", 0}), Code(ErrorCode::kIllegalGeneration));
}

TEST_F(GroupTest, AnUnknownMemberIsRefused) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  EXPECT_EQ(Heartbeat("stranger", 1), Code(ErrorCode::kUnknownMemberId));
  auto sync = Sync("stranger", 1);
  EXPECT_EQ((*sync)->error_code, Code(ErrorCode::kUnknownMemberId));
  auto join = Join(Request("stranger"));
  EXPECT_EQ((*join)->error_code, Code(ErrorCode::kUnknownMemberId));
  EXPECT_EQ(coordinator_->Heartbeat("no-such-group", {"x", std::nullopt}, 1),
            Code(ErrorCode::kUnknownMemberId));
}

TEST_F(GroupTest, TheProtocolIsChosenByVoteAmongThoseAllMembersSupport) {
  // Two prefer roundrobin, one prefers range; sticky is not supported by everyone.
  auto a = JoinNew({{"sticky", "s"}, {"roundrobin", "r"}, {"range", "g"}});
  auto b = JoinNew({{"roundrobin", "r"}, {"range", "g"}});
  auto c = JoinNew({{"range", "g"}, {"roundrobin", "r"}});
  Advance(100);
  Advance(100);
  for (auto* s : {&a, &b, &c}) {
    ASSERT_TRUE((*s)->has_value());
    EXPECT_EQ((**s)->protocol_name, "roundrobin");
  }
  // The leader gets each member's metadata for the chosen protocol.
  const JoinResult& leader = (*a)->member_id == (*a)->leader_id ? **a : **b;
  for (const JoinMember& m : leader.members) EXPECT_EQ(m.metadata, "r");
  // A member supporting none of the candidates is refused.
  JoinRequest odd = Request("", {{"sticky", "s"}});
  auto refused = Join(odd);
  ASSERT_TRUE(refused->has_value());
  EXPECT_EQ((*refused)->error_code, Code(ErrorCode::kInconsistentGroupProtocol));
  JoinRequest other_type = Request("");
  other_type.protocol_type = "connect";
  EXPECT_EQ((*Join(other_type))->error_code, Code(ErrorCode::kInconsistentGroupProtocol));
}

TEST_F(GroupTest, TheFirstRebalanceOfAnEmptyGroupWaitsTheInitialDelay) {
  config_.initial_rebalance_delay_ms = 3000;
  Restart();
  auto first = Join(Request(""));
  Advance(2000);
  EXPECT_FALSE(first->has_value());
  auto second = Join(Request(""));
  Advance(1000);  // 3 s: but a member arrived during the delay, so it waits another one
  EXPECT_FALSE(first->has_value());
  Advance(1000);
  EXPECT_FALSE(first->has_value());
  Advance(1000);  // 5 s: the rebalance timeout caps the extensions
  ASSERT_TRUE(first->has_value());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*first)->generation_id, 1);
  EXPECT_EQ((*second)->generation_id, 1);
}

TEST_F(GroupTest, SessionTimeoutsOutsideTheBoundsAndOversizedGroupsAreRefused) {
  JoinRequest low = Request("");
  low.session_timeout_ms = 5999;
  EXPECT_EQ((*Join(low))->error_code, Code(ErrorCode::kInvalidSessionTimeout));
  JoinRequest high = Request("");
  high.session_timeout_ms = 1800001;
  EXPECT_EQ((*Join(high))->error_code, Code(ErrorCode::kInvalidSessionTimeout));

  config_.max_size = 2;
  Restart();
  Join(Request(""));
  Join(Request(""));
  auto third = Join(Request(""));
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ((*third)->error_code, Code(ErrorCode::kGroupMaxSizeReached));
}

TEST_F(GroupTest, HeartbeatsDuringARebalanceSayRebalanceInProgress) {
  std::vector<JoinResult> joined = JoinThree();
  // CompletingRebalance: heartbeats are fine (the member is between join and sync).
  EXPECT_EQ(Heartbeat(joined[0].member_id, 1), 0);
  SyncAll(joined);
  Join(Request(joined[0].member_id, {{"range", "more topics"}}));
  EXPECT_EQ(Heartbeat(joined[1].member_id, 1), Code(ErrorCode::kRebalanceInProgress));
}

TEST_F(GroupTest, CommitsFromTheCurrentGenerationAndSimpleConsumersAreStoredAndFetched) {
  // A simple consumer (manual assignment): generation -1, no member id, no group yet.
  auto simple = coordinator_->Commit("manual", {"", std::nullopt}, -1,
                                     {{{"t", 0}, {42, 3, "meta"}}, {{"t", 1}, {7, -1, ""}}});
  EXPECT_EQ(simple.at({"t", 0}), 0);
  EXPECT_EQ(simple.at({"t", 1}), 0);
  auto fetched = coordinator_->FetchOffsets(
      "manual", std::vector<TopicPartition>{{"t", 0}, {"t", 2}});
  EXPECT_EQ(fetched.at({"t", 0}), (CommittedOffset{42, 3, "meta"}));
  EXPECT_EQ(fetched.at({"t", 2}).offset, -1);
  EXPECT_EQ(coordinator_->FetchOffsets("manual", std::nullopt).size(), 2u);
  EXPECT_EQ(store_.Stored("manual").size(), 2u);
  EXPECT_EQ(coordinator_->FetchOffsets("unknown", std::vector<TopicPartition>{{"t", 0}})
                .at({"t", 0})
                .offset,
            -1);

  std::vector<JoinResult> joined = JoinThree();
  // Between JoinGroup and SyncGroup: retry after the assignment.
  auto early = coordinator_->Commit(kGroup, {joined[0].member_id, std::nullopt}, 1,
                                    {{{"t", 0}, {1, -1, std::nullopt}}});
  EXPECT_EQ(early.at({"t", 0}), Code(ErrorCode::kRebalanceInProgress));
  SyncAll(joined);
  auto ok = coordinator_->Commit(kGroup, {joined[0].member_id, std::nullopt}, 1,
                                 {{{"t", 0}, {10, -1, std::nullopt}}});
  EXPECT_EQ(ok.at({"t", 0}), 0);
  EXPECT_EQ(coordinator_->FetchOffsets(kGroup, std::nullopt).at({"t", 0}).offset, 10);
  // A simple commit into a group with members is refused.
  auto intruder = coordinator_->Commit(kGroup, {"", std::nullopt}, -1,
                                       {{{"t", 0}, {99, -1, std::nullopt}}});
  EXPECT_EQ(intruder.at({"t", 0}), Code(ErrorCode::kUnknownMemberId));
  // Oversized metadata, and a store that fails.
  auto big = coordinator_->Commit(kGroup, {joined[0].member_id, std::nullopt}, 1,
                                  {{{"t", 0}, {11, -1, std::string(5000, 'x')}}});
  EXPECT_EQ(big.at({"t", 0}), Code(ErrorCode::kOffsetMetadataTooLarge));
  store_.SetFailing(true);
  auto lost = coordinator_->Commit(kGroup, {joined[0].member_id, std::nullopt}, 1,
                                   {{{"t", 0}, {12, -1, std::nullopt}}});
  EXPECT_EQ(lost.at({"t", 0}), Code(ErrorCode::kCoordinatorNotAvailable));
  EXPECT_EQ(coordinator_->FetchOffsets(kGroup, std::nullopt).at({"t", 0}).offset, 10);
}

TEST_F(GroupTest, DescribeListAndDeleteOnlyEmptyGroups) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  auto d = coordinator_->Describe(kGroup);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(StateName(d->state), "Stable");
  EXPECT_EQ(d->protocol_name, "range");
  EXPECT_EQ(d->members.size(), 3u);
  for (const MemberSummary& m : d->members) EXPECT_EQ(m.assignment, "gen:1:" + m.member_id);
  EXPECT_EQ(coordinator_->List().size(), 1u);
  EXPECT_EQ(coordinator_->Delete(kGroup), Code(ErrorCode::kNonEmptyGroup));
  EXPECT_EQ(coordinator_->Delete("missing"), Code(ErrorCode::kGroupIdNotFound));
  std::vector<MemberIdentity> all;
  for (const JoinResult& j : joined) all.push_back({j.member_id, std::nullopt});
  coordinator_->Leave(kGroup, all);
  EXPECT_EQ(State(), GroupState::kEmpty);
  // The new Empty generation is persisted, so a new coordinator does not revive the members.
  ASSERT_TRUE(store_.StoredGroup(kGroup).has_value());
  EXPECT_EQ(store_.StoredGroup(kGroup)->generation_id, 2);
  EXPECT_TRUE(store_.StoredGroup(kGroup)->members.empty());
  EXPECT_EQ(coordinator_->Delete(kGroup), 0);
  EXPECT_FALSE(coordinator_->Describe(kGroup).has_value());
}

TEST_F(GroupTest, ALoadReplacesOffsetsAndEvictsMembersOfItsPartitionOnly) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  auto waiting = Join(Request(joined[0].member_id, {{"range", "changed"}}));
  ASSERT_FALSE(waiting->has_value());
  coordinator_->Commit("other", {"", std::nullopt}, -1, {{{"t", 0}, {5, -1, std::nullopt}}});
  coordinator_->LoadPartition([](const std::string& id) { return id == kGroup; },
                              {{kGroup, {{{"t", 1}, {77, -1, "m"}}}}}, {});
  ASSERT_TRUE(waiting->has_value()) << "a waiting join is answered";
  EXPECT_EQ((*waiting)->error_code, Code(ErrorCode::kNotCoordinator));
  EXPECT_EQ(State(), GroupState::kEmpty);
  auto loaded = coordinator_->FetchOffsets(kGroup, std::nullopt);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded.at({"t", 1}).offset, 77);
  EXPECT_EQ(coordinator_->FetchOffsets("other", std::nullopt).at({"t", 0}).offset, 5);
  EXPECT_EQ(Heartbeat(joined[1].member_id, 1), Code(ErrorCode::kUnknownMemberId));
}

TEST_F(GroupTest, AStableGroupIsPersistedAndANewCoordinatorGoesOnWithoutARebalance) {
  std::vector<JoinResult> joined = JoinThree();
  SyncAll(joined);
  std::optional<GroupSnapshot> stored = store_.StoredGroup(kGroup);
  ASSERT_TRUE(stored.has_value()) << "persisted when it became Stable";
  EXPECT_EQ(stored->generation_id, 1);
  EXPECT_EQ(stored->members.size(), 3u);
  // A new coordinator (another broker) loads the partition.
  Restart();
  Advance(5000);
  coordinator_->LoadPartition([](const std::string&) { return true; }, {}, {{kGroup, *stored}});
  EXPECT_EQ(State(), GroupState::kStable);
  for (const JoinResult& j : joined) {
    EXPECT_EQ(Heartbeat(j.member_id, 1), 0) << "the generation goes on";
    auto sync = Sync(j.member_id, 1);
    ASSERT_TRUE(sync->has_value());
    EXPECT_EQ((*sync)->assignment, "gen:1:" + j.member_id);
  }
  // The sessions restarted at the load: silent members expire a session later.
  Advance(9000);
  EXPECT_EQ(State(), GroupState::kStable);
  Advance(1000);
  EXPECT_EQ(State(), GroupState::kEmpty);
  EXPECT_EQ(coordinator_->Describe(kGroup)->generation_id, 2);
}

// ---- a seeded random run of simulated clients ----

struct SimClient {
  std::optional<std::string> instance;
  std::string member_id;
  bool alive = false;     // a running process
  bool silent = false;    // stopped heartbeating (hung)
  Slot<JoinResult> join;  // in flight
  Slot<SyncResult> sync;  // in flight
  int32_t generation = -1;
  bool leader = false;
  std::vector<std::string> members;  // the leader's view
  std::string assignment;
};

class GroupRandomTest : public GroupTest, public ::testing::WithParamInterface<uint64_t> {};

// A failing seed is in the test's name and replays exactly.
TEST_P(GroupRandomTest, RandomClientsKeepTheInvariants) {
  const uint64_t seed = GetParam();
  std::mt19937_64 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<SimClient> clients(8);
  for (size_t i = 0; i < clients.size(); i += 3) clients[i].instance = "i" + std::to_string(i);
  int32_t last_generation = 0;
  int stable_seen = 0;
  for (int step = 0; step < 4000; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    SimClient& c = clients[random() % clients.size()];
    const int action = static_cast<int>(random() % 10);
    if (!c.alive) {
      if (action < 3) {
        c = SimClient{c.instance};
        c.alive = true;
      }
    } else if (c.join && c.join->has_value()) {
      const JoinResult r = **c.join;
      c.join.reset();
      if (r.error_code == Code(ErrorCode::kMemberIdRequired)) {
        c.member_id = r.member_id;
      } else if (r.error_code == 0) {
        c.member_id = r.member_id;
        c.generation = r.generation_id;
        c.leader = r.leader_id == r.member_id;
        c.members.clear();
        std::map<std::string, std::string> assignments;
        for (const JoinMember& m : r.members) {
          c.members.push_back(m.member_id);
          // Named by instance id for static members: a static member that comes back under
          // a new member id keeps its assignment (KIP-345).
          assignments[m.member_id] = "gen:" + std::to_string(r.generation_id) + ":" +
                                     m.group_instance_id.value_or(m.member_id);
        }
        c.sync = Sync(c.member_id, c.generation, assignments, c.instance);
      } else {
        c.member_id.clear();  // UNKNOWN_MEMBER_ID, FENCED...: start over
      }
    } else if (c.sync && c.sync->has_value()) {
      const SyncResult r = **c.sync;
      c.sync.reset();
      if (r.error_code == 0) {
        c.assignment = r.assignment;
        EXPECT_TRUE(r.assignment.empty() ||
                    r.assignment == "gen:" + std::to_string(c.generation) + ":" +
                                        c.instance.value_or(c.member_id))
            << r.assignment << " given to " << c.member_id << " (instance "
            << c.instance.value_or("-") << ") in generation " << c.generation;
      } else {
        c.generation = -1;
        if (r.error_code != Code(ErrorCode::kRebalanceInProgress)) c.member_id.clear();
      }
    } else if (c.join || c.sync) {
      // Waiting: nothing to do but maybe die.
      if (action == 0) c.alive = false;
    } else if (action < 2 && c.generation < 0) {
      JoinRequest r = Request(c.member_id);
      r.group_instance_id = c.instance;
      r.require_known_member_id = true;
      c.join = Join(r);
    } else if (action < 6 && c.generation >= 0 && !c.silent) {
      const int16_t e = coordinator_->Heartbeat(kGroup, {c.member_id, c.instance}, c.generation);
      if (e != 0) c.generation = -1;
      if (e == Code(ErrorCode::kUnknownMemberId) || e == Code(ErrorCode::kFencedInstanceId)) {
        c.member_id.clear();
      }
    } else if (action == 6 && !c.member_id.empty()) {
      coordinator_->Leave(kGroup, {{c.member_id, c.instance}});
      c.alive = false;
    } else if (action == 7) {
      c.silent = !c.silent;
    } else if (action == 8) {
      c.alive = false;  // SIGKILL: no leave
    } else {
      Advance(static_cast<int64_t>(random() % 3000));
    }
    coordinator_->CheckInvariants();
    auto d = coordinator_->Describe(kGroup);
    if (!d.has_value()) continue;
    EXPECT_GE(d->generation_id, last_generation) << "generations only increase";
    last_generation = d->generation_id;
    int leaders = 0;
    for (const SimClient& other : clients) {
      if (other.alive && other.leader && other.generation == d->generation_id &&
          other.member_id == d->leader_id) {
        ++leaders;
      }
    }
    EXPECT_LE(leaders, 1);
    if (d->state == GroupState::kStable) {
      ++stable_seen;
      for (const MemberSummary& m : d->members) {
        EXPECT_EQ(m.assignment.rfind("gen:" + std::to_string(d->generation_id) + ":", 0), 0u)
            << "member " << m.member_id << " holds '" << m.assignment << "'";
      }
    }
    if (HasFailure()) break;
  }
  EXPECT_GT(last_generation, 10) << "the run rebalanced often";
  EXPECT_GT(stable_seen, 50) << "the run reached Stable often";
}

INSTANTIATE_TEST_SUITE_P(Seeds, GroupRandomTest,
                         ::testing::Values(20261202, 1, 2, 3, 42, 777, 4242, 99991));

}  // namespace
}  // namespace keel::broker::group

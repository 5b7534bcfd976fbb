// Unit tests of the Raft core, named after the rules of the Raft paper (Ongaro & Ousterhout,
// "In Search of an Understandable Consensus Algorithm", Figure 3) and the extensions.
#include "controller/raft/raw_node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "controller/raft/memory_storage.h"
#include "controller/raft/test_cluster.h"

namespace keel::raft {
namespace {

Entry MakeEntry(uint64_t index, uint64_t term, const std::string& data = "") {
  Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(data);
  return e;
}

void Propose(TestCluster& c, uint64_t leader, const std::string& data) {
  ASSERT_TRUE(c.node(leader).Propose(data).ok());
  c.Deliver();
}

// ---------------------------------------------------------------- election

class ElectionSafety : public ::testing::TestWithParam<int> {};

TEST_P(ElectionSafety, ExactlyOneLeaderElectedByMajorityForEveryClusterSize) {
  const int n = GetParam();
  TestCluster c(n);
  c.TickAll(40);  // randomized timeouts: someone campaigns and wins
  uint64_t leader = c.Leader();
  ASSERT_NE(leader, 0u) << n << " voters elected nobody";
  int leaders = 0;
  for (int id = 1; id <= n; ++id) {
    if (c.node(id).role() == Role::kLeader) ++leaders;
    EXPECT_EQ(c.node(id).leader(), leader);
  }
  EXPECT_EQ(leaders, 1);
}

INSTANTIATE_TEST_SUITE_P(ClusterSizes, ElectionSafety, ::testing::Values(1, 3, 5, 7));

TEST(ElectionSafety, MinorityCannotElectButMajorityCan) {
  TestCluster c(5);
  // Nodes 1 and 2 (a minority of 5) are cut off from 3, 4, 5.
  c.drop = [](const Message& m) { return (m.from() <= 2) != (m.to() <= 2); };
  c.Elect(1);
  EXPECT_NE(c.node(1).role(), Role::kLeader) << "2 of 5 votes elected a leader";
  EXPECT_EQ(c.Elect(3), 3u) << "3 of 5 votes did not elect a leader";
}

TEST(ElectionRestriction, VoterRejectsCandidateWithLessUpToDateLog) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  c.Isolate(3);
  Propose(c, 1, "a");  // node 3 misses it
  c.Isolate(3, false);
  c.drop = [](const Message& m) { return m.type() == MSG_HEARTBEAT || m.type() == MSG_APPEND; };
  // Node 3's log is behind: nodes 1 and 2 refuse it even after it times out.
  c.Tick(3, 40);
  EXPECT_NE(c.node(3).role(), Role::kLeader);
}

// ---------------------------------------------------------------- replication

TEST(LogMatching, FollowerDropsConflictingSuffixAndMatchesLeader) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  Propose(c, 1, "a");
  // Node 3 becomes leader of a minority partition and appends entries nobody commits.
  c.Isolate(3);
  (void)c.node(3).Campaign();
  c.Deliver();
  // Force node 3 to think it leads by giving it a leader-only log tail: append directly.
  ASSERT_TRUE(c.storage(3).Append({MakeEntry(c.storage(3).LastIndex() + 1, 99, "orphan")}).ok());
  c.Isolate(3, false);
  c.Crash(3);
  c.Restart(3);
  Propose(c, 1, "b");
  c.TickAll(5);
  // Node 3's orphan entry is gone; its log equals the leader's entry for entry.
  ASSERT_EQ(c.storage(3).LastIndex(), c.storage(1).LastIndex());
  for (uint64_t i = 1; i <= c.storage(1).LastIndex(); ++i) {
    EXPECT_EQ(*c.storage(3).Term(i), *c.storage(1).Term(i)) << "index " << i;
  }
  EXPECT_EQ(c.applied(3), (std::vector<std::string>{"a", "b"}));
}

TEST(LogMatching, FastBacktrackingSkipsAConflictingTermPerRoundTrip) {
  Config config;
  config.pre_vote = false;
  TestCluster c(3, 0, config);
  ASSERT_EQ(c.Elect(1), 1u);
  // Node 3 holds 50 entries of a term no one else has.
  std::vector<Entry> conflicting;
  uint64_t base = c.storage(3).LastIndex();
  for (uint64_t i = 1; i <= 50; ++i) conflicting.push_back(MakeEntry(base + i, 1, "x"));
  c.Crash(3);
  ASSERT_TRUE(c.storage(3).Append(conflicting).ok());
  c.Restart(3);
  for (int i = 0; i < 3; ++i) Propose(c, 1, "v" + std::to_string(i));
  c.TickAll(3);
  EXPECT_EQ(c.applied(3).size(), 3u);
  // One rejection per conflicting term, not one per entry.
  EXPECT_LT(c.delivered_of_type(MSG_APPEND_RESPONSE), 40);
}

TEST(StateMachineSafety, EveryNodeAppliesTheSameSequence) {
  TestCluster c(5);
  ASSERT_EQ(c.Elect(2), 2u);
  for (int i = 0; i < 20; ++i) Propose(c, 2, "e" + std::to_string(i));
  c.TickAll(3);
  for (int id = 1; id <= 5; ++id) {
    ASSERT_EQ(c.applied(id).size(), 20u) << "node " << id;
    EXPECT_EQ(c.applied(id), c.applied(2));
  }
}

TEST(LeaderCompleteness, CommittedEntriesSurviveLeaderChange) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  Propose(c, 1, "committed");
  ASSERT_EQ(c.applied(1), std::vector<std::string>{"committed"});
  c.Crash(1);
  c.TickAll(40);
  uint64_t leader = c.Leader();
  ASSERT_TRUE(leader == 2 || leader == 3);
  bool found = false;
  for (uint64_t i = 1; i <= c.storage(leader).LastIndex(); ++i) {
    auto e = c.storage(leader).Entries(i, i + 1, UINT64_MAX);
    found |= e.ok() && (*e)[0].data() == "committed";
  }
  EXPECT_TRUE(found);
}

// Figure 8: a leader must not commit an entry of an earlier term by counting replicas, only
// by committing an entry of its own term after it.
TEST(Figure8, OldTermEntryIsNotCommittedByCountingReplicas) {
  ConfState conf;
  for (uint64_t id : {1, 2, 3}) conf.add_voters(id);
  MemoryStorage s1(conf);
  ASSERT_TRUE(s1.Append({MakeEntry(1, 1), MakeEntry(2, 2, "term2")}).ok());
  HardState hs;
  hs.set_term(2);
  s1.SetHardState(hs);
  Config config;
  config.id = 1;
  config.pre_vote = false;
  auto node = RawNode::Create(config, &s1);
  ASSERT_TRUE(node.ok());
  RawNode& n1 = **node;
  ASSERT_TRUE(n1.Campaign().ok());
  Message grant;
  grant.set_type(MSG_VOTE_RESPONSE);
  grant.set_from(2);
  grant.set_to(1);
  grant.set_term(3);
  ASSERT_TRUE(n1.Step(grant).ok());
  ASSERT_EQ(n1.role(), Role::kLeader);
  ASSERT_EQ(n1.GetStatus().last_index, 3u);  // the term-3 leader-change entry

  // Node 2 acknowledges index 2 (a term-2 entry): a majority holds it, but it must not
  // commit, because a node with a term-3 log could still be elected and overwrite it.
  Message ack;
  ack.set_type(MSG_APPEND_RESPONSE);
  ack.set_from(2);
  ack.set_to(1);
  ack.set_term(3);
  ack.set_index(2);
  ASSERT_TRUE(n1.Step(ack).ok());
  EXPECT_EQ(n1.GetStatus().commit, 0u);

  // Once the term-3 entry is on a majority, it and everything before it commit.
  ack.set_index(3);
  ASSERT_TRUE(n1.Step(ack).ok());
  EXPECT_EQ(n1.GetStatus().commit, 3u);
}

// ---------------------------------------------------------------- extensions

TEST(PreVote, RejoiningPartitionedNodeDoesNotDisruptLeader) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  uint64_t term = c.node(1).term();
  c.Isolate(3);
  c.Tick(3, 100);  // many election timeouts alone: pre-votes fail, the term never moves
  EXPECT_EQ(c.node(3).term(), term);
  c.Isolate(3, false);
  c.TickAll(5);
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).term(), term);
}

TEST(PreVote, WithoutPreVoteARejoiningNodeBumpsTheTerm) {
  Config config;
  config.pre_vote = false;
  config.check_quorum = false;
  TestCluster c(3, 0, config);
  ASSERT_EQ(c.Elect(1), 1u);
  uint64_t term = c.node(1).term();
  c.Isolate(3);
  c.Tick(3, 100);
  EXPECT_GT(c.node(3).term(), term);  // the disruption PreVote exists to prevent
}

TEST(CheckQuorum, LeaderWithoutMajorityStepsDown) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  c.Isolate(1);
  c.Tick(1, 25);  // > 2 election timeouts without hearing from anyone
  EXPECT_NE(c.node(1).role(), Role::kLeader);
}

TEST(LeadershipTransfer, UpToDateVoterTakesOverAndProposalsWaitMeanwhile) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  Propose(c, 1, "before");
  uint64_t term = c.node(1).term();
  c.drop = [](const Message& m) { return m.type() == MSG_TIMEOUT_NOW; };
  ASSERT_TRUE(c.node(1).TransferLeadership(2).ok());
  c.Deliver();
  EXPECT_FALSE(c.node(1).Propose("during").ok()) << "proposals must wait for the transfer";
  c.drop = [](const Message&) { return false; };
  ASSERT_TRUE(c.node(1).TransferLeadership(2).ok());
  c.Deliver();
  EXPECT_EQ(c.node(2).role(), Role::kLeader);
  EXPECT_EQ(c.node(2).term(), term + 1);
  Propose(c, 2, "after");
  EXPECT_EQ(c.applied(3), (std::vector<std::string>{"before", "after"}));
}

TEST(SnapshotInstall, FollowerBehindCompactedPrefixCatchesUpByChunks) {
  Config config;
  config.snapshot_chunk_bytes = 4;  // "applied:12" arrives in several chunks
  TestCluster c(3, 0, config);
  ASSERT_EQ(c.Elect(1), 1u);
  c.Crash(3);
  for (int i = 0; i < 10; ++i) Propose(c, 1, "e" + std::to_string(i));
  uint64_t applied = c.node(1).GetStatus().applied;
  ASSERT_TRUE(c.storage(1).CreateSnapshot(applied, "applied:" + std::to_string(applied)).ok());
  ASSERT_TRUE(c.storage(1).Compact(applied).ok());
  c.Restart(3);
  c.TickAll(5);
  EXPECT_GT(c.delivered_of_type(MSG_SNAPSHOT), 2);
  EXPECT_EQ(c.storage(3).FirstIndex(), applied + 1);
  auto snapshot = c.storage(3).GetSnapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->data, "applied:" + std::to_string(applied));
  Propose(c, 1, "after-snapshot");
  EXPECT_EQ(c.applied(3), std::vector<std::string>{"after-snapshot"});
}

TEST(Observers, ReplicateButNeverVoteOrCountTowardsQuorum) {
  TestCluster c(3, 2);  // voters 1-3, observers 4-5
  ASSERT_EQ(c.Elect(1), 1u);
  Propose(c, 1, "a");
  EXPECT_EQ(c.applied(4), std::vector<std::string>{"a"});  // observers replicate
  // With two voters down, the observers' acknowledgements must not make a quorum.
  c.Crash(2);
  c.Crash(3);
  ASSERT_TRUE(c.node(1).Propose("b").ok());
  c.Deliver();
  EXPECT_EQ(c.applied(1), std::vector<std::string>{"a"});
  EXPECT_EQ(c.storage(4).LastIndex(), c.storage(1).LastIndex());  // replicated, uncommitted
  // An observer never campaigns, however long it waits.
  c.Tick(4, 100);
  EXPECT_NE(c.node(4).role(), Role::kLeader);
  EXPECT_NE(c.node(4).role(), Role::kCandidate);
  EXPECT_FALSE(c.node(4).Campaign().ok());
}

TEST(Persistence, VoteIsInHardStateBeforeTheGrantIsSent) {
  TestCluster c(3);
  // Node 2 grants its vote; the Ready carrying the grant must also carry the vote.
  ConfState conf;
  for (uint64_t id : {1, 2, 3}) conf.add_voters(id);
  MemoryStorage s(conf);
  Config config;
  config.id = 2;
  auto node = RawNode::Create(config, &s);
  ASSERT_TRUE(node.ok());
  Message vote;
  vote.set_type(MSG_VOTE);
  vote.set_from(1);
  vote.set_to(2);
  vote.set_term(5);
  ASSERT_TRUE((*node)->Step(vote).ok());
  Ready rd = (*node)->GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_FALSE(rd.messages[0].reject());
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->vote(), 1u);
  EXPECT_EQ(rd.hard_state->term(), 5u);
}

TEST(Step, RejectsMalformedMessages) {
  TestCluster c(3);
  Message m;
  m.set_type(MSG_HEARTBEAT);
  m.set_from(9);  // not a member
  m.set_to(1);
  EXPECT_EQ(c.node(1).Step(m).code(), absl::StatusCode::kInvalidArgument);
  m.set_from(2);
  m.set_to(3);  // misrouted
  EXPECT_EQ(c.node(1).Step(m).code(), absl::StatusCode::kInvalidArgument);
  m.set_to(1);
  m.set_type(MSG_UNKNOWN);
  EXPECT_EQ(c.node(1).Step(m).code(), absl::StatusCode::kInvalidArgument);
  m.set_type(MSG_HEARTBEAT);
  EXPECT_TRUE(c.node(1).Step(m).ok());
  EXPECT_EQ(c.node(1).leader(), 2u);
}

TEST(Config, RejectsInvalidSettings) {
  Config config;
  EXPECT_FALSE(config.Validate().ok());  // id 0
  config.id = 1;
  config.election_ticks = 1;
  EXPECT_FALSE(config.Validate().ok());
  MemoryStorage empty;  // no voters
  config.election_ticks = 10;
  EXPECT_FALSE(RawNode::Create(config, &empty).ok());
}

// ---------------------------------------------------------------- more rules

TEST(ElectionSafety, SevenVotersCommitWithFourButNotWithThree) {
  TestCluster c(7);
  ASSERT_EQ(c.Elect(1), 1u);
  c.Crash(5);
  c.Crash(6);
  c.Crash(7);
  Propose(c, 1, "four-of-seven");
  EXPECT_EQ(c.applied(1), std::vector<std::string>{"four-of-seven"});
  c.Crash(4);
  Propose(c, 1, "three-of-seven");
  EXPECT_EQ(c.applied(1), std::vector<std::string>{"four-of-seven"});
}

TEST(LeaderChange, NewLeaderCommitsALeaderChangeEntryTheApplicationSees) {
  ConfState conf;
  conf.add_voters(1);
  MemoryStorage s(conf);
  Config config;
  config.id = 1;
  auto node = RawNode::Create(config, &s);
  ASSERT_TRUE(node.ok());
  ASSERT_TRUE((*node)->Campaign().ok());
  ASSERT_EQ((*node)->role(), Role::kLeader);  // a single voter is its own majority
  Ready rd = (*node)->GetReady();
  ASSERT_EQ(rd.entries.size(), 1u);
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.committed_entries[0].type(), ENTRY_LEADER_CHANGE);
  EXPECT_EQ(rd.committed_entries[0].term(), (*node)->term());
  ASSERT_TRUE(rd.soft_state.has_value());
  EXPECT_EQ(rd.soft_state->leader, 1u);
  (*node)->Advance(rd);
  EXPECT_FALSE((*node)->HasReady());
}

TEST(Propose, FollowerRefusesWithNotLeader) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  absl::Status s = c.node(2).Propose("x");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("not leader"), std::string::npos);
  EXPECT_EQ(c.node(2).leader(), 1u);
}

TEST(Persistence, RestartedVoterRemembersTermAndVote) {
  ConfState conf;
  for (uint64_t id : {1, 2, 3}) conf.add_voters(id);
  MemoryStorage s(conf);
  Config config;
  config.id = 2;
  Message vote;
  vote.set_type(MSG_VOTE);
  vote.set_from(1);
  vote.set_to(2);
  vote.set_term(5);
  {
    auto node = RawNode::Create(config, &s);
    ASSERT_TRUE(node.ok());
    ASSERT_TRUE((*node)->Step(vote).ok());
    Ready rd = (*node)->GetReady();
    ASSERT_TRUE(rd.hard_state.has_value());
    s.SetHardState(*rd.hard_state);
  }  // crash
  auto node = RawNode::Create(config, &s);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ((*node)->term(), 5u);
  vote.set_from(3);  // another candidate, same term: one vote per term survives restart
  ASSERT_TRUE((*node)->Step(vote).ok());
  Ready rd = (*node)->GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_TRUE(rd.messages[0].reject());
}

TEST(CheckQuorum, FollowerWithALiveLeaderIgnoresVoteRequests) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  uint64_t term = c.node(1).term();
  Message vote;
  vote.set_type(MSG_VOTE);
  vote.set_from(3);
  vote.set_to(2);
  vote.set_term(term + 5);
  vote.set_index(100);
  vote.set_log_term(term);
  ASSERT_TRUE(c.node(2).Step(vote).ok());
  EXPECT_EQ(c.node(2).term(), term) << "a vote request inside the lease moved the term";
  EXPECT_EQ(c.node(2).leader(), 1u);
  // Once the leader has been silent for an election timeout, the same request is granted.
  c.Isolate(1);
  c.Tick(2, 10);
  ASSERT_TRUE(c.node(2).Step(vote).ok());
  EXPECT_EQ(c.node(2).term(), term + 5);
  EXPECT_EQ(c.node(2).GetStatus().vote, 3u);
}

TEST(CheckQuorum, LeaderHearingFromAMajorityStaysLeader) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  uint64_t term = c.node(1).term();
  c.Crash(3);  // 1 and 2 are still a majority
  c.TickAll(100);
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).term(), term);
  Status st = c.node(1).GetStatus();
  EXPECT_TRUE(st.progress.at(2).recent_active || st.progress.at(2).ticks_since_response <= 1);
  EXPECT_GE(st.progress.at(3).ticks_since_response, 90);
}

TEST(Replication, PipelineIsBoundedByMaxInflightAppends) {
  Config config;
  config.max_inflight_appends = 3;
  config.max_append_bytes = 1;  // one entry per append
  TestCluster c(3, 0, config);
  ASSERT_EQ(c.Elect(1), 1u);
  Propose(c, 1, "warm-up");  // both followers in the replicate state
  int appends_to_2 = 0, appends_to_3 = 0;
  c.drop = [&](const Message& m) {
    if (m.type() == MSG_APPEND && m.entries_size() > 0)
      ++(m.to() == 2 ? appends_to_2 : appends_to_3);
    return m.type() == MSG_APPEND_RESPONSE && m.from() == 2;  // node 2 never acknowledges
  };
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.node(1).Propose("e" + std::to_string(i)).ok());
  c.Deliver();
  EXPECT_EQ(appends_to_2, 3) << "more appends in flight than the window allows";
  EXPECT_GE(appends_to_3, 10);
  EXPECT_EQ(c.applied(1).size(), 11u) << "1 and 3 are a majority";
  c.drop = [](const Message&) { return false; };
  c.TickAll(15);
  EXPECT_EQ(c.applied(2).size(), 11u) << "node 2 catches up once it acknowledges again";
}

TEST(Replication, CatchUpIsBatchedUpToMaxAppendBytes) {
  Config config;
  config.max_append_bytes = 1000;
  TestCluster c(3, 0, config);
  ASSERT_EQ(c.Elect(1), 1u);
  c.Isolate(3);
  for (int i = 0; i < 50; ++i) Propose(c, 1, std::string(100, 'a' + i % 26));
  size_t most_entries = 0, most_bytes = 0;
  c.drop = [&](const Message& m) {
    if (m.type() == MSG_APPEND && m.to() == 3) {
      size_t bytes = 0;
      for (const Entry& e : m.entries()) bytes += e.ByteSizeLong();
      most_entries = std::max<size_t>(most_entries, m.entries_size());
      most_bytes = std::max(most_bytes, bytes);
    }
    return false;
  };
  c.Isolate(3, false);
  c.TickAll(5);
  EXPECT_EQ(c.applied(3).size(), 50u);
  EXPECT_GT(most_entries, 5u) << "catch-up was not batched";
  EXPECT_LE(most_bytes, 1000u);
}

TEST(LeadershipTransfer, LaggingTransfereeCatchesUpFirst) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  c.Isolate(3);
  for (int i = 0; i < 5; ++i) Propose(c, 1, "e" + std::to_string(i));
  c.Isolate(3, false);
  ASSERT_TRUE(c.node(1).TransferLeadership(3).ok());
  c.Deliver();
  c.TickAll(2);
  ASSERT_EQ(c.Leader(), 3u);
  EXPECT_EQ(c.applied(3).size(), 5u);
  Propose(c, 3, "after");
  EXPECT_EQ(c.applied(1).size(), 6u);
}

TEST(LeadershipTransfer, RejectsNonVotersAndIsAbandonedAfterAnElectionTimeout) {
  TestCluster c(3, 1);
  ASSERT_EQ(c.Elect(1), 1u);
  EXPECT_FALSE(c.node(1).TransferLeadership(4).ok()) << "4 is an observer";
  EXPECT_FALSE(c.node(1).TransferLeadership(9).ok()) << "9 is not a member";
  EXPECT_FALSE(c.node(2).TransferLeadership(3).ok()) << "only the leader transfers";
  c.drop = [](const Message& m) { return m.type() == MSG_TIMEOUT_NOW; };
  ASSERT_TRUE(c.node(1).TransferLeadership(2).ok());
  c.Deliver();
  EXPECT_FALSE(c.node(1).Propose("x").ok());
  c.TickAll(10);  // one election timeout
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_TRUE(c.node(1).Propose("x").ok()) << "the abandoned transfer still blocks proposals";
}

TEST(SnapshotInstall, LostChunkIsResentAfterAnElectionTimeout) {
  Config config;
  config.snapshot_chunk_bytes = 8;
  TestCluster c(3, 0, config);
  ASSERT_EQ(c.Elect(1), 1u);
  c.Crash(3);
  for (int i = 0; i < 5; ++i) Propose(c, 1, "e" + std::to_string(i));
  uint64_t applied = c.node(1).GetStatus().applied;
  const std::string data = "a snapshot of thirty-two bytes!!";
  ASSERT_TRUE(c.storage(1).CreateSnapshot(applied, data).ok());
  ASSERT_TRUE(c.storage(1).Compact(applied).ok());
  int dropped = 0;
  c.drop = [&](const Message& m) {
    // Lose the second chunk, once.
    if (m.type() == MSG_SNAPSHOT && m.snapshot().offset_bytes() == 8 && dropped == 0) {
      ++dropped;
      return true;
    }
    return false;
  };
  c.Restart(3);
  c.TickAll(3);
  EXPECT_EQ(dropped, 1);
  EXPECT_EQ(c.storage(3).FirstIndex(), 1u) << "installed without the lost chunk";
  c.TickAll(12);
  auto snapshot = c.storage(3).GetSnapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->data, data);
  EXPECT_EQ(c.storage(3).FirstIndex(), applied + 1);
}

TEST(Observers, DoNotKeepALeaderAliveUnderCheckQuorum) {
  TestCluster c(3, 2);
  ASSERT_EQ(c.Elect(1), 1u);
  c.Crash(2);
  c.Crash(3);
  c.Tick(1, 25);  // the observers keep answering heartbeats
  EXPECT_GT(c.delivered_of_type(MSG_HEARTBEAT_RESPONSE), 20);
  EXPECT_NE(c.node(1).role(), Role::kLeader) << "observers counted towards CheckQuorum";
}

TEST(Observers, AreNeverAskedToVote) {
  TestCluster c(3, 2);
  int vote_requests_to_observers = 0;
  c.drop = [&](const Message& m) {
    if ((m.type() == MSG_VOTE || m.type() == MSG_PRE_VOTE) && m.to() > 3) {
      ++vote_requests_to_observers;
    }
    return false;
  };
  c.TickAll(60);
  ASSERT_NE(c.Leader(), 0u);
  EXPECT_LE(c.Leader(), 3u);
  EXPECT_EQ(vote_requests_to_observers, 0);
  Status st = c.node(c.Leader()).GetStatus();
  EXPECT_TRUE(st.progress.at(4).observer);
  EXPECT_FALSE(st.progress.at(2).observer);
}

TEST(Status, LeaderReportsPerPeerProgress) {
  TestCluster c(3);
  ASSERT_EQ(c.Elect(1), 1u);
  Propose(c, 1, "a");
  Status st = c.node(1).GetStatus();
  EXPECT_EQ(st.role, Role::kLeader);
  EXPECT_EQ(st.lead, 1u);
  EXPECT_EQ(st.commit, st.last_index);
  ASSERT_EQ(st.progress.size(), 3u);
  for (uint64_t id : {2, 3}) {
    EXPECT_EQ(st.progress.at(id).match, st.last_index);
    EXPECT_EQ(st.progress.at(id).next, st.last_index + 1);
    EXPECT_EQ(st.progress.at(id).state, Progress::State::kReplicate);
  }
  c.node(1).ReportUnreachable(2);
  EXPECT_EQ(c.node(1).GetStatus().progress.at(2).state, Progress::State::kProbe);
  EXPECT_TRUE(c.node(2).GetStatus().progress.empty()) << "followers track no progress";
}

// Storage::GetSnapshot() copies the whole snapshot; a transfer of many chunks must not.
class CountingStorage : public MemoryStorage {
 public:
  using MemoryStorage::MemoryStorage;
  absl::StatusOr<Snapshot> GetSnapshot() const override {
    ++get_snapshot_calls;
    return MemoryStorage::GetSnapshot();
  }
  mutable int get_snapshot_calls = 0;
};

TEST(SnapshotInstall, ChunkedTransferReadsTheSnapshotOnce) {
  ConfState conf;
  conf.add_voters(1);
  conf.add_voters(2);
  CountingStorage s1(conf);
  MemoryStorage s2(conf);
  for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(s1.Append({MakeEntry(i, 1, "e")}).ok());
  HardState hs;
  hs.set_term(1);
  hs.set_commit(5);
  s1.SetHardState(hs);
  const std::string data(64, 's');
  ASSERT_TRUE(s1.CreateSnapshot(5, data).ok());
  ASSERT_TRUE(s1.Compact(5).ok());
  Config config;
  config.pre_vote = false;
  config.snapshot_chunk_bytes = 4;  // 16 chunks
  config.id = 1;
  config.applied = 5;
  auto n1 = RawNode::Create(config, &s1);
  config.id = 2;
  config.applied = 0;
  auto n2 = RawNode::Create(config, &s2);
  ASSERT_TRUE(n1.ok() && n2.ok());
  ASSERT_TRUE((*n1)->Campaign().ok());
  std::map<uint64_t, std::pair<RawNode*, MemoryStorage*>> nodes = {{1, {n1->get(), &s1}},
                                                                   {2, {n2->get(), &s2}}};
  int snapshot_messages = 0;
  for (int round = 0; round < 200; ++round) {
    bool any = false;
    for (auto& [id, n] : nodes) {
      while (n.first->HasReady()) {
        any = true;
        Ready rd = n.first->GetReady();
        if (rd.snapshot) {
          ASSERT_TRUE(n.second->ApplySnapshot(*rd.snapshot).ok());
        }
        ASSERT_TRUE(n.second->Append(rd.entries).ok());
        if (rd.hard_state) n.second->SetHardState(*rd.hard_state);
        n.first->Advance(rd);
        for (const Message& m : rd.messages) {
          snapshot_messages += m.type() == MSG_SNAPSHOT;
          ASSERT_TRUE(nodes.at(m.to()).first->Step(m).ok());
        }
      }
    }
    if (!any) break;
  }
  ASSERT_EQ((*n1)->role(), Role::kLeader);
  EXPECT_EQ(snapshot_messages, 16);
  ASSERT_TRUE(s2.GetSnapshot().ok());
  EXPECT_EQ(s2.GetSnapshot()->data, data);
  EXPECT_EQ(s2.LastIndex(), s1.LastIndex());
  EXPECT_LE(s1.get_snapshot_calls, 2);
}

}  // namespace
}  // namespace keel::raft

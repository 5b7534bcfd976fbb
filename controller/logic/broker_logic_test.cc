// ControllerLogic's broker lifecycle: registration, heartbeats, fencing, controlled shutdown.
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/logic/controller_logic.h"
#include "controller/logic/test_cluster.h"

namespace keel::controller {
namespace {

using testing::CheckInvariants;
using testing::TestCluster;

bool Contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

RegisterBrokerRequest Registration(int32_t id, const std::string& incarnation) {
  RegisterBrokerRequest req;
  req.set_broker_id(id);
  req.set_incarnation_id(incarnation);
  req.set_rack("rack-a");
  auto* e = req.add_endpoints();
  e->set_host("10.0.0.1");
  e->set_port(9092);
  return req;
}

TEST(RegisterBroker, StartsFencedWithItsOffsetAsEpochAndUnfencesWhenCaughtUp) {
  TestCluster c(0);
  auto reg =
      ControllerLogic::RegisterBroker(c.image, c.heartbeats, Registration(5, "first"), c.now_ms);
  ASSERT_TRUE(reg.ok());
  ASSERT_EQ(reg->records.records_size(), 1);
  c.Commit(reg->records);
  const metadata::BrokerInfo* b = c.image.Broker(5);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->fenced);
  EXPECT_EQ(b->epoch, c.offset);  // the broker epoch is the registration's offset
  EXPECT_EQ(b->rack, "rack-a");
  EXPECT_EQ(b->endpoints.at(0).port(), 9092);
  EXPECT_TRUE(c.heartbeats.IsAlive(5, c.now_ms));

  BrokerHeartbeatRequest hb;
  hb.set_broker_id(5);
  hb.set_broker_epoch(b->epoch);
  hb.set_current_metadata_offset(b->epoch - 1);  // not caught up yet
  auto behind = ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms);
  EXPECT_EQ(behind.response.error(), NONE);
  EXPECT_FALSE(behind.response.is_caught_up());
  EXPECT_TRUE(behind.response.is_fenced());
  EXPECT_EQ(behind.records.records_size(), 0);

  hb.set_current_metadata_offset(b->epoch);
  auto caught_up = ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms);
  EXPECT_TRUE(caught_up.response.is_caught_up());
  EXPECT_FALSE(caught_up.response.is_fenced());
  EXPECT_FALSE(caught_up.response.should_shut_down());
  c.Commit(caught_up.records);
  EXPECT_FALSE(c.image.Broker(5)->fenced);
  // Once unfenced, further heartbeats propose nothing.
  EXPECT_EQ(
      ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms).records.records_size(),
      0);
}

TEST(RegisterBroker, RejectsASecondIncarnationWhileTheFirstHoldsASession) {
  TestCluster c(0);
  c.RegisterAndUnfence(5, "first");
  auto dup = ControllerLogic::RegisterBroker(c.image, c.heartbeats, Registration(5, "second"),
                                             c.now_ms + 8999);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code, DUPLICATE_BROKER_REGISTRATION);
  EXPECT_EQ(ToStatusCode(dup.status().code), absl::StatusCode::kAlreadyExists);
  // The same incarnation may register again (a retry): it gets a new registration.
  auto retry = ControllerLogic::RegisterBroker(c.image, c.heartbeats, Registration(5, "first"),
                                               c.now_ms + 100);
  EXPECT_TRUE(retry.ok());
  // Once the first incarnation's session lapses, a new one may register.
  auto later = ControllerLogic::RegisterBroker(c.image, c.heartbeats, Registration(5, "second"),
                                               c.now_ms + 100 + 9000);
  ASSERT_TRUE(later.ok());
  c.Commit(later->records);
  EXPECT_EQ(c.image.Broker(5)->incarnation_id, "second");
  EXPECT_TRUE(c.image.Broker(5)->fenced);

  for (auto bad : {Registration(-1, "x"), Registration(6, "")}) {
    auto out = ControllerLogic::RegisterBroker(c.image, c.heartbeats, bad, c.now_ms);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code, INVALID_REQUEST);
  }
}

TEST(RegisterBroker, ANewIncarnationTakesTheOldOnesLeadershipsAway) {
  TestCluster c(3);
  c.CreateTopic("t", 3, 2);
  c.now_ms += 10'000;
  for (int32_t id : {1, 2}) c.heartbeats.Touch(id, c.now_ms);
  auto reg = ControllerLogic::RegisterBroker(c.image, c.heartbeats, Registration(3, "restarted"),
                                             c.now_ms);
  ASSERT_TRUE(reg.ok());
  c.Commit(reg->records);
  for (const auto& [p, info] : c.Topic("t").partitions) {
    EXPECT_NE(info.leader, 3);
    EXPECT_TRUE(!Contains(info.isr, 3) || info.isr.size() == 1);
  }
  EXPECT_TRUE(CheckInvariants(c.image).empty());
}

TEST(BrokerHeartbeat, StaleOrUnknownEpochIsRejected) {
  TestCluster c(1);
  BrokerHeartbeatRequest hb;
  hb.set_broker_id(1);
  hb.set_broker_epoch(c.image.Broker(1)->epoch + 1);
  auto out = ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms + 20'000);
  EXPECT_EQ(out.response.error(), STALE_BROKER_EPOCH);
  EXPECT_EQ(out.response.error_message().rfind("STALE_BROKER_EPOCH: ", 0), 0u);
  EXPECT_EQ(out.records.records_size(), 0);
  EXPECT_FALSE(c.heartbeats.IsAlive(1, c.now_ms + 20'000));  // no session renewal
  hb.set_broker_id(42);
  EXPECT_EQ(ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms).response.error(),
            STALE_BROKER_EPOCH);
}

TEST(FenceExpiredBrokers, LapsedSessionFencesAndMovesLeadershipWithinTheIsr) {
  TestCluster c(3);
  c.CreateTopic("t", 3, 3);
  const int64_t later_ms = c.now_ms + 9500;
  c.heartbeats.Touch(1, c.now_ms + 8000);
  c.heartbeats.Touch(2, c.now_ms + 8000);  // broker 3 stays silent
  EXPECT_EQ(
      ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, c.now_ms + 8999).records_size(),
      0);
  auto batch = ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, later_ms);
  c.Commit(batch);
  EXPECT_TRUE(c.image.Broker(3)->fenced);
  EXPECT_FALSE(c.image.Broker(1)->fenced);
  for (const auto& [p, info] : c.Topic("t").partitions) {
    EXPECT_NE(info.leader, 3);
    EXPECT_FALSE(Contains(info.isr, 3));
    EXPECT_EQ(info.isr.size(), 2u);
    EXPECT_EQ(info.partition_epoch, 1);
    // The leader epoch moved exactly where the leader did.
    EXPECT_EQ(info.leader_epoch, info.replicas[0] == 3 ? 1 : 0);
    if (info.replicas[0] == 3) {
      EXPECT_EQ(info.leader, info.replicas[1]);
    }
  }
  EXPECT_TRUE(CheckInvariants(c.image).empty());
  // Nothing more to fence on the next check.
  EXPECT_EQ(
      ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, later_ms + 100).records_size(),
      0);
}

TEST(FenceExpiredBrokers, TwoBrokersLapsingTogetherLeaveALiveLeader) {
  TestCluster c(3);
  c.CreateTopic("t", 6, 3);
  c.heartbeats.Touch(2, c.now_ms + 9000);  // only broker 2 stays
  c.Commit(ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, c.now_ms + 9500));
  for (const auto& [p, info] : c.Topic("t").partitions) {
    EXPECT_EQ(info.leader, 2);
    EXPECT_EQ(info.isr, std::vector<int32_t>{2});
  }
  EXPECT_TRUE(CheckInvariants(c.image).empty());
}

TEST(FenceExpiredBrokers, SoleIsrMemberStaysInTheIsrAndThePartitionGoesOfflineUntilItReturns) {
  TestCluster c(2);
  c.CreateTopic("solo", 1, 1);
  const int32_t leader = c.Partition("solo", 0).leader;
  const int32_t other = leader == 1 ? 2 : 1;
  c.heartbeats.Touch(other, c.now_ms + 9000);
  c.Commit(ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, c.now_ms + 9500));
  EXPECT_EQ(c.Partition("solo", 0).leader, metadata::kNoLeader);  // no unclean election
  EXPECT_EQ(c.Partition("solo", 0).isr, std::vector<int32_t>{leader});
  EXPECT_EQ(c.Partition("solo", 0).leader_epoch, 1);
  EXPECT_TRUE(CheckInvariants(c.image).empty());

  // The broker comes back and catches up: unfenced, and it leads its partition again.
  c.now_ms += 9600;
  auto back = c.Heartbeat(leader);
  EXPECT_FALSE(back.response.is_fenced());
  c.Commit(back.records);
  EXPECT_EQ(c.Partition("solo", 0).leader, leader);
  EXPECT_EQ(c.Partition("solo", 0).leader_epoch, 2);
  EXPECT_TRUE(CheckInvariants(c.image).empty());
}

TEST(BrokerHeartbeat, WantFenceFencesAndMovesLeadershipsAway) {
  TestCluster c(2);
  c.CreateTopic("t", 2, 2);
  auto out = c.Heartbeat(1, /*want_shutdown=*/false, /*want_fence=*/true);
  EXPECT_TRUE(out.response.is_fenced());
  c.Commit(out.records);
  EXPECT_TRUE(c.image.Broker(1)->fenced);
  for (const auto& [p, info] : c.Topic("t").partitions) {
    EXPECT_EQ(info.leader, 2);
    EXPECT_EQ(info.isr, std::vector<int32_t>{2});
  }
  // While it asks to stay fenced it is not unfenced, though caught up.
  EXPECT_EQ(c.Heartbeat(1, false, true).records.records_size(), 0);
  EXPECT_TRUE(CheckInvariants(c.image).empty());
}

TEST(BrokerHeartbeat, ControlledShutdownMovesLeadershipsThenGrantsShutdown) {
  TestCluster c(3);
  c.CreateTopic("t", 3, 3);
  c.CreateTopic("solo", 3, 1);  // one of these is led by broker 2 with no one else in its ISR
  auto out = c.Heartbeat(2, /*want_shutdown=*/true);
  ASSERT_GT(out.records.records_size(), 1);
  EXPECT_TRUE(out.records.records(0).has_broker_registration_change());
  EXPECT_TRUE(out.response.should_shut_down());
  EXPECT_FALSE(out.response.is_fenced());
  c.Commit(out.records);
  EXPECT_TRUE(c.image.Broker(2)->in_controlled_shutdown);
  for (const auto& [p, info] : c.Topic("t").partitions) {
    EXPECT_NE(info.leader, 2);
    EXPECT_FALSE(Contains(info.isr, 2));
  }
  int offline = 0;
  for (const auto& [p, info] : c.Topic("solo").partitions) {
    if (info.replicas[0] == 2) {
      EXPECT_EQ(info.leader, metadata::kNoLeader);
      EXPECT_EQ(info.isr, std::vector<int32_t>{2});
      ++offline;
    }
  }
  EXPECT_EQ(offline, 1);
  EXPECT_TRUE(CheckInvariants(c.image).empty());
  // Later heartbeats keep granting it and propose nothing more; it is not unfenced again.
  auto again = c.Heartbeat(2, /*want_shutdown=*/true);
  EXPECT_TRUE(again.response.should_shut_down());
  EXPECT_EQ(again.records.records_size(), 0);
  // Its offline partition does not come back to it while it shuts down.
  EXPECT_EQ(c.Heartbeat(2).records.records_size(), 0);
}

TEST(BrokerHeartbeat, ARestartAfterControlledShutdownRegistersAtOnce) {
  TestCluster c(3);
  c.CreateTopic("t", 3, 3);
  auto out = c.Heartbeat(2, /*want_shutdown=*/true);
  ASSERT_TRUE(out.response.should_shut_down());
  c.Commit(out.records);
  // The shut-down registration is fenced on the next expiry pass, not a session later.
  EXPECT_GT(
      ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, c.now_ms + 100).records_size(),
      0);
  // The process exits and starts again with a new incarnation well within the session the
  // old one would have had: the shutdown released the session, so no DUPLICATE refusal.
  auto restarted = ControllerLogic::RegisterBroker(c.image, c.heartbeats,
                                                   Registration(2, "restarted"), c.now_ms + 100);
  ASSERT_TRUE(restarted.ok()) << restarted.status().message;
}

TEST(BrokerHeartbeat, FencedBrokerAskingToShutDownMayStopAtOnce) {
  TestCluster c(2);
  c.Commit(c.Heartbeat(1, false, true).records);
  auto out = c.Heartbeat(1, /*want_shutdown=*/true);
  EXPECT_TRUE(out.response.should_shut_down());
  EXPECT_TRUE(out.response.is_fenced());
  EXPECT_EQ(out.records.records_size(), 0);
}

}  // namespace
}  // namespace keel::controller

namespace keel::controller {
namespace {

using testing::TestCluster;

TEST(UncleanElection, OnlyWhenTheTopicAllowsItAReplicaOutsideTheIsrTakesOver) {
  for (bool allowed : {false, true}) {
    TestCluster c(3);
    c.CreateTopic("t", 1, 2, {{"unclean.leader.election.enable", allowed ? "true" : "false"}});
    const metadata::PartitionInfo start = c.Partition("t", 0);
    const int32_t leader = start.leader;
    const int32_t follower = start.replicas[0] == leader ? start.replicas[1] : start.replicas[0];
    // The follower is fenced first (leaves the ISR), then the leader: the ISR is {leader}.
    c.Commit(c.Heartbeat(follower, false, /*want_fence=*/true).records);
    ASSERT_EQ(c.Partition("t", 0).isr, std::vector<int32_t>{leader});
    c.Commit(c.Heartbeat(leader, false, /*want_fence=*/true).records);
    EXPECT_EQ(c.Partition("t", 0).leader, metadata::kNoLeader) << "allowed=" << allowed;
    // The lagging follower comes back.
    c.Commit(c.Heartbeat(follower).records);
    const metadata::PartitionInfo after = c.Partition("t", 0);
    if (allowed) {
      EXPECT_EQ(after.leader, follower);
      EXPECT_EQ(after.isr, std::vector<int32_t>{follower});
    } else {
      EXPECT_EQ(after.leader, metadata::kNoLeader);
      EXPECT_EQ(after.isr, std::vector<int32_t>{leader});
    }
    EXPECT_TRUE(testing::CheckInvariants(c.image).empty());
  }
}

}  // namespace
}  // namespace keel::controller

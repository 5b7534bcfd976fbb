// ControllerLogic::AlterPartition: ISR changes from partition leaders, every error.
#include <gtest/gtest.h>

#include "controller/logic/controller_logic.h"
#include "controller/logic/test_cluster.h"

namespace keel::controller {
namespace {

using testing::TestCluster;

class AlterPartitionTest : public ::testing::Test {
 protected:
  AlterPartitionTest() : c_(4) { c_.CreateTopic("t", 1, 3); }

  // A request from the current leader at the current epochs.
  AlterPartitionRequest Request(std::vector<int32_t> new_isr) {
    const metadata::PartitionInfo& p = c_.Partition("t", 0);
    AlterPartitionRequest req;
    req.set_broker_id(p.leader);
    req.set_broker_epoch(c_.image.Broker(p.leader)->epoch);
    req.set_topic_id(c_.Topic("t").id);
    req.set_partition(0);
    req.set_leader_epoch(p.leader_epoch);
    req.set_partition_epoch(p.partition_epoch);
    for (int32_t id : new_isr) req.add_new_isr(id);
    return req;
  }

  ErrorCode Error(const AlterPartitionRequest& req) {
    auto out = ControllerLogic::AlterPartition(c_.image, req);
    if (out.ok()) return NONE;
    EXPECT_EQ(out.status().message.empty(), false);
    return out.status().code;
  }

  const metadata::PartitionInfo& P() { return c_.Partition("t", 0); }

  TestCluster c_;
};

TEST_F(AlterPartitionTest, ShrinkAndExpandBumpOnlyThePartitionEpoch) {
  const metadata::PartitionInfo before = P();
  const int32_t leader = before.leader;
  auto shrink = ControllerLogic::AlterPartition(c_.image, Request({leader}));
  ASSERT_TRUE(shrink.ok());
  EXPECT_EQ(shrink->partition.isr_size(), 1);
  EXPECT_EQ(shrink->partition.partition_epoch(), before.partition_epoch + 1);
  c_.Commit(shrink->records);
  EXPECT_EQ(P().isr, std::vector<int32_t>{leader});
  EXPECT_EQ(P().partition_epoch, before.partition_epoch + 1);
  EXPECT_EQ(P().leader_epoch, before.leader_epoch);

  auto expand = ControllerLogic::AlterPartition(c_.image, Request(before.replicas));
  ASSERT_TRUE(expand.ok());
  c_.Commit(expand->records);
  EXPECT_EQ(P().isr, before.replicas);
  EXPECT_EQ(P().partition_epoch, before.partition_epoch + 2);

  // Asking for the ISR it already has changes nothing and proposes nothing.
  auto same = ControllerLogic::AlterPartition(c_.image, Request(before.replicas));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->records.records_size(), 0);
  EXPECT_EQ(same->partition.partition_epoch(), P().partition_epoch);
}

TEST_F(AlterPartitionTest, StalePartitionEpochIsInvalidUpdateVersion) {
  AlterPartitionRequest req = Request({P().leader});
  c_.Commit(ControllerLogic::AlterPartition(c_.image, req)->records);
  EXPECT_EQ(Error(req), INVALID_UPDATE_VERSION);  // the same request again is stale
  req.set_partition_epoch(req.partition_epoch() + 5);
  EXPECT_EQ(Error(req), INVALID_UPDATE_VERSION);  // and so is one from the future
}

TEST_F(AlterPartitionTest, StaleLeaderEpochIsFencedLeaderEpoch) {
  AlterPartitionRequest req = Request({P().leader});
  req.set_leader_epoch(P().leader_epoch + 1);
  EXPECT_EQ(Error(req), FENCED_LEADER_EPOCH);
  // A deposed leader still sending its old epoch is fenced, not merely "not the leader".
  const int32_t old_leader = P().leader;
  AlterPartitionRequest old = Request({old_leader});
  c_.Commit(c_.Heartbeat(old_leader, false, /*want_fence=*/true).records);
  c_.Commit(c_.Heartbeat(old_leader).records);  // unfenced again, no longer leading
  ASSERT_NE(P().leader, old_leader);
  EXPECT_EQ(Error(old), FENCED_LEADER_EPOCH);
}

TEST_F(AlterPartitionTest, RequestFromAFollowerIsNotLeaderOrFollower) {
  const int32_t follower = P().replicas[1];
  AlterPartitionRequest req = Request({P().leader});
  req.set_broker_id(follower);
  req.set_broker_epoch(c_.image.Broker(follower)->epoch);
  EXPECT_EQ(Error(req), NOT_LEADER_OR_FOLLOWER);
}

TEST_F(AlterPartitionTest, StaleBrokerEpochIsRejectedFirst) {
  AlterPartitionRequest req = Request({P().leader});
  req.set_broker_epoch(req.broker_epoch() - 1);
  req.set_leader_epoch(99);  // also wrong, but the broker epoch is checked first
  EXPECT_EQ(Error(req), STALE_BROKER_EPOCH);
  req.set_broker_id(77);
  EXPECT_EQ(Error(req), STALE_BROKER_EPOCH);
}

TEST_F(AlterPartitionTest, UnknownTopicIdOrPartition) {
  AlterPartitionRequest req = Request({P().leader});
  req.set_topic_id(std::string(16, '\x7f'));
  EXPECT_EQ(Error(req), UNKNOWN_TOPIC_ID);
  req = Request({P().leader});
  req.set_partition(1);
  EXPECT_EQ(Error(req), UNKNOWN_TOPIC_OR_PARTITION);
}

TEST_F(AlterPartitionTest, InvalidNewIsrIsInvalidRequest) {
  const metadata::PartitionInfo p = P();
  int32_t non_replica = 1;
  while (std::find(p.replicas.begin(), p.replicas.end(), non_replica) != p.replicas.end()) {
    ++non_replica;
  }
  EXPECT_EQ(Error(Request({})), INVALID_REQUEST);
  EXPECT_EQ(Error(Request({p.replicas[1]})), INVALID_REQUEST);  // omits the leader
  EXPECT_EQ(Error(Request({p.leader, p.leader})), INVALID_REQUEST);
  EXPECT_EQ(Error(Request({p.leader, non_replica})), INVALID_REQUEST);
  EXPECT_EQ(Error(Request({p.leader, 99})), INVALID_REQUEST);

  // Shrink to the leader, then fence one follower and put the other in controlled shutdown:
  // neither may rejoin the ISR.
  c_.Commit(ControllerLogic::AlterPartition(c_.image, Request({p.leader}))->records);
  c_.Commit(c_.Heartbeat(p.replicas[1], false, /*want_fence=*/true).records);
  c_.Commit(c_.Heartbeat(p.replicas[2], /*want_shutdown=*/true).records);
  EXPECT_EQ(Error(Request({p.leader, p.replicas[1]})), INVALID_REQUEST);
  EXPECT_EQ(Error(Request({p.leader, p.replicas[2]})), INVALID_REQUEST);
  EXPECT_EQ(Error(Request({p.leader})), NONE);
}

}  // namespace
}  // namespace keel::controller

// Replication logic in one process, no network: two brokers' partition replicas, the leader's
// DataPlane::ReplicaFetch and the follower's ApplyReplicaFetch, driven round by round.
#include <filesystem>

#include <gtest/gtest.h>

#include "broker/data_plane.h"
#include "broker/replica_apply.h"
#include "controller/metadata/test_cluster.h"

namespace keel::broker {
namespace {

namespace fs = std::filesystem;
using controller::testing::TestCluster;

// One broker's replicas, with the data plane it would serve.
struct Node {
  Node(int32_t id, const std::string& root, TestCluster* cluster) {
    auto state = storage::StateStore::Open(root + "/state");
    EXPECT_TRUE(state.ok());
    store = std::move(*state);
    PartitionManagerOptions o;
    o.broker_id = id;
    o.data_dirs = {root + "/data"};
    manager = std::move(*PartitionManager::Open(o, store.get()));
    DataPlaneOptions dp;
    dp.broker_id = id;
    plane = std::make_unique<DataPlane>(
        dp, manager.get(),
        [cluster](const std::function<void(const controller::MetadataImage&)>& fn) {
          fn(cluster->image);
        },
        [] { return true; }, &notifier);
  }
  std::unique_ptr<storage::StateStore> store;
  std::unique_ptr<PartitionManager> manager;
  AppendNotifier notifier;
  std::unique_ptr<DataPlane> plane;
};

class ReplicationUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = std::string(tmp ? tmp : "/tmp") + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    cluster_.CreateTopic("t", 4, 2);
    for (const auto& [index, info] : cluster_.Topic("t").partitions) {
      if (info.leader == 1) partition_ = index;
    }
    ASSERT_GE(partition_, 0);
    nodes_[1] = std::make_unique<Node>(1, root_ + "/b1", &cluster_);
    nodes_[2] = std::make_unique<Node>(2, root_ + "/b2", &cluster_);
    Sync();
  }

  void Sync() {
    for (auto& [id, n] : nodes_) ASSERT_TRUE(n->manager->Reconcile(cluster_.image, nullptr, 0).ok());
  }

  Partition& P(int broker) { return *nodes_[broker]->manager->Get("t", partition_); }

  void Append(int broker, std::vector<std::string> values) {
    std::vector<storage::Record> records;
    for (auto& v : values) records.push_back({"", v, {}, 1});
    ASSERT_TRUE(P(broker).AppendAsLeader(std::move(records), 1).ok());
  }

  // One replica-fetch round of `follower` against `leader`; returns the answer.
  FetchPartitionData Round(int follower, int leader, int64_t now_ms = 1) {
    Partition& f = P(follower);
    ReplicaFetchRequest request;
    request.set_replica_id(follower);
    auto* t = request.mutable_fetch()->add_topics();
    t->set_topic("t");
    auto* fp = t->add_partitions();
    fp->set_partition(partition_);
    fp->set_fetch_offset(f.log()->log_end_offset());
    fp->set_current_leader_epoch(f.assignment().leader_epoch);
    fp->set_last_fetched_epoch(f.LastFetchedEpoch());
    (void)now_ms;
    ReplicaFetchResponse response;
    nodes_[leader]->plane->ReplicaFetch(request, &response, [] { return false; });
    FetchPartitionData d = response.fetch().topics(0).partitions(0);
    EXPECT_TRUE(ApplyReplicaFetch(f, d, nodes_[follower]->manager.get()));
    return d;
  }

  std::vector<std::pair<int64_t, std::string>> Records(int broker) {
    std::vector<std::pair<int64_t, std::string>> out;
    auto batches = P(broker).log()->Read(P(broker).log()->log_start_offset(), 1 << 20);
    EXPECT_TRUE(batches.ok());
    for (const auto& b : *batches) {
      int64_t o = b.base_offset;
      for (const auto& r : b.records) out.emplace_back(o++, r.value);
    }
    return out;
  }

  void MoveLeaderTo(int broker) {
    metadata::MetadataRecordBatch batch;
    auto* pc = batch.add_records()->mutable_partition_change();
    pc->set_topic_id(cluster_.Topic("t").id);
    pc->set_partition_id(partition_);
    pc->set_leader(broker);
    cluster_.Commit(batch);
    Sync();
  }

  std::string root_;
  TestCluster cluster_{2};
  int partition_ = -1;
  std::map<int, std::unique_ptr<Node>> nodes_;
};

TEST_F(ReplicationUnitTest, FollowerCopiesTheLeaderAndTheHighWatermarkFollowsTheIsr) {
  Append(1, {"a", "b"});
  Append(1, {"c"});
  EXPECT_EQ(P(1).high_watermark(), 0);  // follower 2 is in the ISR and has nothing yet
  Round(2, 1);                           // fetches everything
  EXPECT_EQ(Records(2), Records(1));
  EXPECT_EQ(P(1).high_watermark(), 0);  // the leader learns of it on the next fetch
  auto d = Round(2, 1);
  EXPECT_EQ(P(1).high_watermark(), 3);
  EXPECT_EQ(d.high_watermark(), 3);
  EXPECT_EQ(P(2).high_watermark(), 3);
}

TEST_F(ReplicationUnitTest, DivergentSuffixFromAnOldEpochIsTruncated) {
  Append(1, {"a0", "a1"});
  Round(2, 1);
  Round(2, 1);
  Append(1, {"b2-only-on-1"});  // epoch 0, never replicated
  MoveLeaderTo(2);              // epoch 1: broker 2 leads from offset 2
  ASSERT_EQ(P(2).assignment().leader_epoch, 1);
  Append(2, {"c2", "c3"});
  // Broker 1's last epoch (0) ends at 2 on the leader, not at 3: truncate, then copy.
  auto first = Round(1, 2);
  ASSERT_TRUE(first.has_diverging_epoch());
  EXPECT_EQ(first.diverging_epoch().epoch(), 0);
  EXPECT_EQ(first.diverging_epoch().end_offset(), 2);
  EXPECT_EQ(P(1).log()->log_end_offset(), 2);
  Round(1, 2);
  EXPECT_EQ(Records(1), Records(2));
  EXPECT_EQ(Records(1).back().second, "c3");
  // The epoch history agrees too: epoch 0 from 0, epoch 1 from 2, persisted.
  auto history = P(1).epoch_history();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].epoch, 1);
  EXPECT_EQ(history[1].start_offset, 2);
  auto stored = nodes_[1]->store->GetLeaderEpochs("t", partition_);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, history);
}

TEST_F(ReplicationUnitTest, StaleFollowerEpochIsFencedAndNonReplicasAreRefused) {
  Append(1, {"a"});
  ReplicaFetchRequest request;
  request.set_replica_id(2);
  auto* fp = request.mutable_fetch()->add_topics();
  fp->set_topic("t");
  auto* p = fp->add_partitions();
  p->set_partition(partition_);
  p->set_current_leader_epoch(-1);
  ReplicaFetchResponse response;
  nodes_[1]->plane->ReplicaFetch(request, &response, [] { return false; });
  EXPECT_EQ(response.fetch().topics(0).partitions(0).error(), keel::FENCED_LEADER_EPOCH);
  request.set_replica_id(7);
  p->set_current_leader_epoch(0);
  nodes_[1]->plane->ReplicaFetch(request, &response, [] { return false; });
  EXPECT_EQ(response.fetch().topics(0).partitions(0).error(), keel::NOT_LEADER_OR_FOLLOWER);
}

TEST_F(ReplicationUnitTest, IsrShrinksForALaggingFollowerAndExpandsWhenItCatchesUp) {
  constexpr int64_t kLag = 1000;
  Partition& leader = P(1);
  // Start of the leadership: everyone gets the benefit of the doubt.
  EXPECT_FALSE(leader.ProposedIsr(0, kLag).has_value());
  Append(1, {"a"});
  // Follower 2 never fetches: out after the lag time.
  auto shrunk = leader.ProposedIsr(5000, kLag);
  ASSERT_TRUE(shrunk.has_value());
  EXPECT_EQ(*shrunk, std::vector<int32_t>({1}));
  // Commit the shrink, as the controller would.
  metadata::MetadataRecordBatch batch;
  auto* pc = batch.add_records()->mutable_partition_change();
  pc->set_topic_id(cluster_.Topic("t").id);
  pc->set_partition_id(partition_);
  pc->mutable_isr()->add_ids(1);
  cluster_.Commit(batch);
  Sync();
  EXPECT_EQ(leader.high_watermark(), 1);  // an ISR of one: the log end
  // Follower 2 catches up to the high watermark: back in.
  leader.UpdateFollowerPosition(2, 1, 6000);
  auto expanded = leader.ProposedIsr(6000, kLag);
  ASSERT_TRUE(expanded.has_value());
  EXPECT_EQ(*expanded, std::vector<int32_t>({1, 2}));
}

}  // namespace
}  // namespace keel::broker

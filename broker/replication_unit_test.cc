// Replication logic in one process, no network: two brokers' partition replicas, the leader's
// DataPlane::ReplicaFetch and the follower's ApplyReplicaFetch, driven round by round.
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "broker/data_plane.h"
#include "broker/isr_manager.h"
#include "broker/replica_apply.h"
#include "controller/logic/test_cluster.h"

namespace keel::broker {
namespace {

namespace fs = std::filesystem;
using controller::testing::TestCluster;

// The clock the data plane stamps follower fetches with.
int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One broker's replicas, with the data plane it would serve.
struct Node {
  Node(int32_t id, const std::string& root, TestCluster* cluster) {
    auto state = storage::StateStore::Open(root + "/state");
    EXPECT_TRUE(state.ok());
    store = std::move(*state);
    PartitionManagerOptions o;
    o.broker_id = id;
    o.data_dirs = {root + "/data"};
    o.log_options.segment_size_bytes = 1024;  // closed segments for compaction tests
    manager = std::move(*PartitionManager::Open(o, store.get()));
    DataPlaneOptions dp;
    dp.broker_id = id;
    plane = std::make_unique<DataPlane>(
        dp, manager.get(),
        [cluster](const std::function<void(const metadata::MetadataImage&)>& fn) {
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
  FetchPartitionData Round(int follower, int leader) {
    const ReplicaFetchRequest request = FetchRequestOf(follower);
    ReplicaFetchResponse response;
    nodes_[leader]->plane->ReplicaFetch(request, &response, [] { return false; });
    FetchPartitionData d = response.fetch().topics(0).partitions(0);
    EXPECT_TRUE(ApplyReplicaFetch(P(follower), d,
                                  request.fetch().topics(0).partitions(0).current_leader_epoch(),
                                  nodes_[follower]->manager.get()));
    return d;
  }

  std::vector<std::pair<int64_t, std::string>> Records(int broker) {
    std::vector<std::pair<int64_t, std::string>> out;
    auto batches = P(broker).log()->Read(P(broker).log()->log_start_offset(), 1 << 20);
    EXPECT_TRUE(batches.ok());
    for (const auto& b : *batches) {
      for (size_t i = 0; i < b.records.size(); ++i) out.emplace_back(b.OffsetOf(i), b.records[i].value);
    }
    return out;
  }

  void CommitIsr(std::vector<int32_t> isr) {
    metadata::MetadataRecordBatch batch;
    auto* pc = batch.add_records()->mutable_partition_change();
    pc->set_topic_id(cluster_.Topic("t").id);
    pc->set_partition_id(partition_);
    for (int32_t id : isr) pc->mutable_isr()->add_ids(id);
    cluster_.Commit(batch);
    Sync();
  }

  // The request a follower's fetcher would send (Round sends it).
  ReplicaFetchRequest FetchRequestOf(int follower) {
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
    return request;
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
  CommitIsr({1});  // the shrink, as the controller would commit it
  EXPECT_EQ(leader.high_watermark(), 1);  // an ISR of one: the log end
  // Follower 2 catches up to the high watermark: back in.
  leader.UpdateFollowerPosition(2, 1, 6000);
  auto expanded = leader.ProposedIsr(6000, kLag);
  ASSERT_TRUE(expanded.has_value());
  EXPECT_EQ(*expanded, std::vector<int32_t>({1, 2}));
  // Not while the metadata shows broker 2 fenced or shutting down (KIP-841).
  const std::set<int32_t> usable = {1};
  EXPECT_FALSE(leader.ProposedIsr(6000, kLag, &usable).has_value());
}

TEST_F(ReplicationUnitTest, PendingIsrExpansionHoldsTheHighWatermarkUntilTheNewMemberHasIt) {
  // The nemesis found this loss: the leader proposed adding a caught-up follower, kept
  // advancing the high watermark over the old ISR while the controller committed the
  // expansion, and the controller then elected the new member, which lacked acknowledged
  // records. Until the outcome is known, the proposed member counts (the maximal ISR).
  CommitIsr({1});
  Append(1, {"a"});
  EXPECT_EQ(P(1).high_watermark(), 1);  // an ISR of one
  Round(2, 1);
  Round(2, 1);  // follower 2 reports log end 1: caught up
  const int64_t now_ms = WallMs();
  auto proposal = P(1).ProposeIsr(now_ms, 30000);
  ASSERT_TRUE(proposal.has_value());
  EXPECT_EQ(proposal->isr, std::vector<int32_t>({1, 2}));
  EXPECT_EQ(P(1).maximal_isr(), std::vector<int32_t>({1, 2}));
  Append(1, {"b"});  // written while the expansion is in flight
  EXPECT_EQ(P(1).high_watermark(), 1) << "acknowledged before the new member had it";
  // The controller commits the expansion; the next fetch brings 2 up to date.
  CommitIsr({1, 2});
  EXPECT_EQ(P(1).high_watermark(), 1);
  Round(2, 1);
  Round(2, 1);
  EXPECT_EQ(P(1).high_watermark(), 2);
  // Whichever ISR member is elected now holds every record below the high watermark.
  EXPECT_EQ(Records(2), Records(1));
}

TEST_F(ReplicationUnitTest, RefusedIsrExpansionLeavesTheMaximalIsr) {
  CommitIsr({1});
  Append(1, {"a"});
  Round(2, 1);
  Round(2, 1);
  const int64_t now_ms = WallMs();
  auto proposal = P(1).ProposeIsr(now_ms, 30000);
  ASSERT_TRUE(proposal.has_value());
  Append(1, {"b"});
  EXPECT_EQ(P(1).high_watermark(), 1);
  // A refusal at another partition epoch proves nothing: the metadata decides.
  P(1).IsrProposalRefused(proposal->base.partition_epoch + 1);
  EXPECT_EQ(P(1).high_watermark(), 1);
  // A refusal at the proposal's epoch (e.g. broker 2 is fenced): back to the committed ISR.
  P(1).IsrProposalRefused(proposal->base.partition_epoch);
  EXPECT_EQ(P(1).maximal_isr(), std::vector<int32_t>({1}));
  EXPECT_EQ(P(1).high_watermark(), 2);
  // A new partition epoch also ends a pending expansion: its outcome is in the metadata.
  Round(2, 1);
  Round(2, 1);
  auto again = P(1).ProposeIsr(now_ms, 30000);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(P(1).maximal_isr(), std::vector<int32_t>({1, 2}));
  CommitIsr({1});  // the same ISR at a new partition epoch: the expansion did not commit
  EXPECT_EQ(P(1).maximal_isr(), std::vector<int32_t>({1}));
}

TEST_F(ReplicationUnitTest, AcksAllIsNotAnsweredByALaterLeadershipOfTheSameBroker) {
  // Broker 1 appends a batch as leader of epoch 0 and waits for the ISR; before any follower
  // has it, leadership moves to broker 2 (epoch 1), broker 1 truncates the batch as a
  // follower and copies other records to those offsets, and then leads again (epoch 2).
  // The high watermark of epoch 2 covers the offsets, not the batch: the produce must not
  // succeed.
  ProduceRequest request;
  request.set_acks(ACKS_ALL);
  request.set_timeout_ms(10000);
  auto* td = request.add_topics();
  td->set_topic("t");
  auto* pd = td->add_partitions();
  pd->set_partition(partition_);
  pd->add_records()->set_value("lost-if-acknowledged");
  ProduceResponse response;
  std::thread producer([&] { nodes_[1]->plane->Produce(request, &response); });
  for (int i = 0; i < 1000 && P(1).log()->log_end_offset() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(P(1).log()->log_end_offset(), 1);
  MoveLeaderTo(2);
  Append(2, {"x", "y"});
  auto truncated = Round(1, 2);
  ASSERT_TRUE(truncated.has_diverging_epoch());
  Round(1, 2);
  ASSERT_EQ(Records(1), Records(2));
  MoveLeaderTo(1);
  ASSERT_EQ(P(1).assignment().leader_epoch, 2);
  Round(2, 1);
  Round(2, 1);  // the high watermark of epoch 2 passes offset 0 and wakes the producer
  EXPECT_EQ(P(1).high_watermark(), 2);
  producer.join();
  const auto& result = response.topics(0).partitions(0);
  EXPECT_EQ(result.error(), keel::NOT_LEADER_OR_FOLLOWER) << result.error_message();
}

TEST_F(ReplicationUnitTest, AnswerFromADeposedLeaderIsNotApplied) {
  Append(1, {"a", "b"});
  ReplicaFetchRequest request = FetchRequestOf(2);
  ReplicaFetchResponse response;
  nodes_[1]->plane->ReplicaFetch(request, &response, [] { return false; });
  const FetchPartitionData d = response.fetch().topics(0).partitions(0);
  ASSERT_EQ(d.batches_size(), 1);
  // Before the answer is applied, broker 2 becomes the leader (epoch 1) and writes.
  MoveLeaderTo(2);
  Append(2, {"c"});
  const auto before = Records(2);
  EXPECT_FALSE(ApplyReplicaFetch(P(2), d, 0, nodes_[2]->manager.get()));
  EXPECT_EQ(Records(2), before);
  // The same for a follower that moved on to a newer epoch of another leader.
  MoveLeaderTo(1);
  EXPECT_FALSE(ApplyReplicaFetch(P(2), d, 0, nodes_[2]->manager.get()));
  EXPECT_EQ(Records(2), before);
}

TEST(ControllerRefusalTest, TellsAnAnswerFromAnUnknownOutcome) {
  // A refusal the controller computed: its fate is known.
  EXPECT_EQ(ControllerRefusal(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                           "INVALID_REQUEST: Invalid new ISR [1,2]: broker 2 "
                                           "is fenced.")),
            keel::INVALID_REQUEST);
  EXPECT_EQ(ControllerRefusal(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                           "INVALID_UPDATE_VERSION: Partition epoch 3 ...")),
            keel::INVALID_UPDATE_VERSION);
  // No answer: the proposal may or may not commit.
  EXPECT_FALSE(ControllerRefusal(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                              "failed to connect to all addresses"))
                   .has_value());
  EXPECT_FALSE(ControllerRefusal(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                              "INVALID_REQUEST: looks like one, but timed out"))
                   .has_value());
  EXPECT_FALSE(
      ControllerRefusal(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no code here"))
          .has_value());
}

// A follower that fetches from a compacted leader copies the batches with their offset
// ranges and gaps, nulls included, and its log ends where the leader's does.
TEST_F(ReplicationUnitTest, FollowerCopiesCompactedBatchesWithTheirGaps) {
  for (int round = 0; round < 6; ++round) {
    for (int k = 0; k < 4; ++k) {
      storage::Record r;
      r.key = "k" + std::to_string(k);
      r.value = std::string(60, 'a' + round);
      r.null_value = (k == 3 && round == 5);  // a tombstone
      if (r.null_value) r.value.clear();
      r.timestamp_ms = 1;
      ASSERT_TRUE(P(1).AppendAsLeader({r}, 1).ok());
    }
  }
  storage::CompactOptions compact;
  compact.now_ms = 1;  // the tombstone is young
  auto result = P(1).log()->Compact(compact);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_GT(result->records_removed, 0);
  for (int i = 0; i < 30 && P(2).log()->log_end_offset() < P(1).log()->log_end_offset(); ++i) {
    Round(2, 1);
  }
  EXPECT_EQ(P(2).log()->log_end_offset(), P(1).log()->log_end_offset());
  EXPECT_EQ(Records(2), Records(1));
  auto batches = P(2).log()->Read(0, 1 << 20);
  ASSERT_TRUE(batches.ok());
  bool saw_tombstone = false;
  for (const auto& b : *batches) {
    for (const auto& r : b.records) saw_tombstone |= r.null_value;
  }
  EXPECT_TRUE(saw_tombstone);
}

}  // namespace
}  // namespace keel::broker

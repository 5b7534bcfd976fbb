// DataPlane against an in-process image and real logs in a temp dir: the who-may-serve rule,
// validation, the high watermark over the ISR, acks=all and long polls.
#include "broker/data_plane.h"

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "broker/produce_validation.h"
#include "controller/logic/test_cluster.h"

namespace keel::broker {
namespace {

namespace fs = std::filesystem;
using controller::testing::TestCluster;
using std::chrono::milliseconds;

class DataPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* root = std::getenv("TEST_TMPDIR");
    root_ = std::string(root ? root : "/tmp") + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    auto state = storage::StateStore::Open(root_ + "/state");
    ASSERT_TRUE(state.ok());
    state_ = std::move(*state);
    PartitionManagerOptions o;
    o.broker_id = 1;
    o.data_dirs = {root_ + "/data"};
    auto m = PartitionManager::Open(o, state_.get());
    ASSERT_TRUE(m.ok());
    manager_ = std::move(*m);
    DataPlaneOptions dp;
    dp.broker_id = 1;
    plane_ = std::make_unique<DataPlane>(
        dp, manager_.get(),
        [this](const std::function<void(const metadata::MetadataImage&)>& fn) {
          fn(cluster_.image);
        },
        [this] { return active_.load(); }, &notifier_);
  }

  void Sync() { ASSERT_TRUE(manager_->Reconcile(cluster_.image, nullptr, 0).ok()); }

  ProducePartitionResult Produce(const std::string& topic, int partition,
                                 std::vector<std::string> values, Acks acks = ACKS_LEADER,
                                 int32_t timeout_ms = 0) {
    ProduceRequest request;
    request.set_acks(acks);
    request.set_timeout_ms(timeout_ms);
    auto* t = request.add_topics();
    t->set_topic(topic);
    auto* p = t->add_partitions();
    p->set_partition(partition);
    for (auto& v : values) p->add_records()->set_value(v);
    ProduceResponse response;
    plane_->Produce(request, &response);
    return response.topics(0).partitions(0);
  }

  FetchPartitionData Fetch(const std::string& topic, int partition, int64_t offset,
                           int32_t max_wait_ms = 0, int32_t leader_epoch = -1) {
    FetchRequest request;
    request.set_max_wait_ms(max_wait_ms);
    auto* t = request.add_topics();
    t->set_topic(topic);
    auto* p = t->add_partitions();
    p->set_partition(partition);
    p->set_fetch_offset(offset);
    p->set_current_leader_epoch(leader_epoch);
    FetchResponse response;
    plane_->Fetch(request, &response, [] { return false; });
    return response.topics(0).partitions(0);
  }

  std::string root_;
  TestCluster cluster_{3};
  std::unique_ptr<storage::StateStore> state_;
  std::unique_ptr<PartitionManager> manager_;
  AppendNotifier notifier_;
  std::atomic<bool> active_{true};
  std::unique_ptr<DataPlane> plane_;
};

// The first partition of `topic` whose leader is broker `leader`, or -1.
int PartitionLedBy(const TestCluster& c, const std::string& topic, int leader) {
  for (const auto& [index, info] : c.Topic(topic).partitions) {
    if (info.leader == leader) return index;
  }
  return -1;
}

TEST(ProduceValidationTest, RejectsEmptyNegativeTimestampAndOversizedBatches) {
  TopicPolicy policy;
  policy.max_message_bytes = 200;
  ProducePartitionData data;
  EXPECT_EQ(ValidateProducedRecords(data, policy).code, keel::CORRUPT_MESSAGE);
  data.add_records()->set_value("ok");
  EXPECT_TRUE(ValidateProducedRecords(data, policy).ok());
  data.add_records()->set_timestamp_ms(-5);
  EXPECT_EQ(ValidateProducedRecords(data, policy).code, keel::CORRUPT_MESSAGE);
  data.mutable_records(1)->set_timestamp_ms(0);
  data.mutable_records(1)->set_value(std::string(300, 'x'));
  ValidationError big = ValidateProducedRecords(data, policy);
  EXPECT_EQ(big.code, keel::MESSAGE_TOO_LARGE);
  EXPECT_NE(big.message.find("max.message.bytes 200"), std::string::npos) << big.message;
}

TEST_F(DataPlaneTest, LeaderServesOthersAnswerNotLeaderWithTheLeader) {
  cluster_.CreateTopic("t", 6, 1);
  Sync();
  const int mine = PartitionLedBy(cluster_, "t", 1);
  const int theirs = PartitionLedBy(cluster_, "t", 2);
  ASSERT_GE(mine, 0);
  ASSERT_GE(theirs, 0);
  auto ok = Produce("t", mine, {"a", "b"});
  EXPECT_EQ(ok.error(), keel::NONE);
  EXPECT_EQ(ok.base_offset(), 0);
  auto no = Produce("t", theirs, {"a"});
  EXPECT_EQ(no.error(), keel::NOT_LEADER_OR_FOLLOWER);
  EXPECT_EQ(no.leader().node_id(), 2);
  EXPECT_FALSE(no.leader().address().empty());
  EXPECT_EQ(Produce("missing", 0, {"a"}).error(), keel::UNKNOWN_TOPIC_OR_PARTITION);
  // A broker that is fenced (or lost its controller session) stops acting as leader.
  active_ = false;
  EXPECT_EQ(Produce("t", mine, {"c"}).error(), keel::NOT_LEADER_OR_FOLLOWER);
  EXPECT_EQ(Fetch("t", mine, 0).error(), keel::NOT_LEADER_OR_FOLLOWER);
  active_ = true;
  auto f = Fetch("t", mine, 1);
  ASSERT_EQ(f.error(), keel::NONE);
  ASSERT_EQ(f.batches_size(), 1);
  ASSERT_EQ(f.batches(0).records_size(), 1);  // trimmed to the requested offset
  EXPECT_EQ(f.batches(0).records(0).value(), "b");
  EXPECT_EQ(f.batches(0).records(0).offset(), 1);
}

TEST_F(DataPlaneTest, StaleAndFutureLeaderEpochsAreFenced) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  const int mine = PartitionLedBy(cluster_, "t", 1);
  const int epoch = cluster_.Partition("t", mine).leader_epoch;
  EXPECT_EQ(Fetch("t", mine, 0, 0, epoch).error(), keel::NONE);
  EXPECT_EQ(Fetch("t", mine, 0, 0, epoch + 1).error(), keel::UNKNOWN_LEADER_EPOCH);
  if (epoch > 0) {
    EXPECT_EQ(Fetch("t", mine, 0, 0, epoch - 1).error(), keel::FENCED_LEADER_EPOCH);
  }
}

TEST_F(DataPlaneTest, HighWatermarkIsTheIsrMinimumAndGatesFetchAndAcksAll) {
  cluster_.CreateTopic("r", 3, 3, {{"min.insync.replicas", "2"}});
  Sync();
  const int mine = PartitionLedBy(cluster_, "r", 1);
  ASSERT_GE(mine, 0);
  auto p = manager_->Get("r", mine);
  // acks=leader is answered at once, but consumers see nothing above the high watermark.
  auto leader_ack = Produce("r", mine, {"x", "y"});
  ASSERT_EQ(leader_ack.error(), keel::NONE);
  EXPECT_EQ(p->high_watermark(), 0);
  EXPECT_EQ(Fetch("r", mine, 0).batches_size(), 0);
  // acks=all waits for both followers.
  std::atomic<bool> answered{false};
  ProducePartitionResult all;
  std::thread producer([&] {
    all = Produce("r", mine, {"z"}, ACKS_ALL, 5000);
    answered = true;
  });
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(answered.load());
  p->UpdateFollowerPosition(2, 3, 1);
  notifier_.Notify();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(answered.load()) << "answered with one follower of two";
  EXPECT_EQ(p->high_watermark(), 0);
  p->UpdateFollowerPosition(3, 3, 1);
  notifier_.Notify();
  producer.join();
  EXPECT_EQ(all.error(), keel::NONE);
  EXPECT_EQ(all.base_offset(), 2);
  EXPECT_EQ(p->high_watermark(), 3);
  EXPECT_EQ(Fetch("r", mine, 0).batches_size(), 2);
  // Timeout: no follower progress.
  auto timed_out = Produce("r", mine, {"w"}, ACKS_ALL, 200);
  EXPECT_EQ(timed_out.error(), keel::REQUEST_TIMED_OUT);
}

TEST_F(DataPlaneTest, AcksAllNeedsMinInsyncReplicas) {
  cluster_.CreateTopic("m", 3, 3, {{"min.insync.replicas", "2"}});
  // Brokers 2 and 3 are fenced: they leave every ISR, which shrinks to broker 1 alone.
  for (int id : {2, 3}) cluster_.Commit(cluster_.Heartbeat(id, false, true).records);
  Sync();
  const int mine = PartitionLedBy(cluster_, "m", 1);
  ASSERT_GE(mine, 0);
  ASSERT_EQ(cluster_.Partition("m", mine).isr.size(), 1u);
  EXPECT_EQ(Produce("m", mine, {"a"}, ACKS_ALL).error(), keel::NOT_ENOUGH_REPLICAS);
  EXPECT_EQ(Produce("m", mine, {"a"}, ACKS_LEADER).error(), keel::NONE);
}

TEST_F(DataPlaneTest, OffsetOutOfRangeAndListOffsets) {
  cluster_.CreateTopic("o", 3, 1);
  Sync();
  const int mine = PartitionLedBy(cluster_, "o", 1);
  ProduceRequest request;
  auto* t = request.add_topics();
  t->set_topic("o");
  auto* pd = t->add_partitions();
  pd->set_partition(mine);
  for (int64_t ts : {1000, 2000, 3000}) {
    auto* r = pd->add_records();
    r->set_value("v" + std::to_string(ts));
    r->set_timestamp_ms(ts);
  }
  ProduceResponse produced;
  plane_->Produce(request, &produced);
  ASSERT_EQ(produced.topics(0).partitions(0).error(), keel::NONE);
  EXPECT_EQ(Fetch("o", mine, 4).error(), keel::OFFSET_OUT_OF_RANGE);
  EXPECT_EQ(Fetch("o", mine, -1).error(), keel::OFFSET_OUT_OF_RANGE);
  auto list = [&](int64_t ts) {
    ListOffsetsRequest r;
    auto* lt = r.add_topics();
    lt->set_topic("o");
    auto* lp = lt->add_partitions();
    lp->set_partition(mine);
    lp->set_timestamp_ms(ts);
    ListOffsetsResponse out;
    plane_->ListOffsets(r, &out);
    return out.topics(0).partitions(0);
  };
  EXPECT_EQ(list(-2).offset(), 0);
  EXPECT_EQ(list(-1).offset(), 3);
  EXPECT_EQ(list(1500).offset(), 1);  // inside the batch: the exact record
  EXPECT_EQ(list(1500).timestamp_ms(), 2000);
  EXPECT_EQ(list(3001).offset(), -1);
  EXPECT_EQ(list(-7).error(), keel::INVALID_REQUEST);
}

TEST_F(DataPlaneTest, LongPollWakesOnAppendAndTimesOutOtherwise) {
  cluster_.CreateTopic("p", 3, 1);
  Sync();
  const int mine = PartitionLedBy(cluster_, "p", 1);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Fetch("p", mine, 0, 300).batches_size(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(290));
  std::thread later([&] {
    std::this_thread::sleep_for(milliseconds(200));
    Produce("p", mine, {"late"});
  });
  start = std::chrono::steady_clock::now();
  auto got = Fetch("p", mine, 0, 5000);
  const auto waited = std::chrono::steady_clock::now() - start;
  later.join();
  ASSERT_EQ(got.batches_size(), 1);
  EXPECT_EQ(got.batches(0).records(0).value(), "late");
  EXPECT_LT(waited, milliseconds(2000));
}

}  // namespace
}  // namespace keel::broker

#include "broker/partition_manager.h"

#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "controller/logic/test_cluster.h"
#include "metadata/image_records.h"
#include "storage/state_store.h"

namespace keel::broker {
namespace {

namespace fs = std::filesystem;
using controller::testing::TestCluster;

std::string TempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(root ? root : "/tmp") + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

class PartitionManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto state = storage::StateStore::Open(root_ + "/state");
    ASSERT_TRUE(state.ok());
    state_ = std::move(*state);
    Reopen();
  }

  void Reopen(size_t max_replicas = 0) {
    manager_.reset();
    PartitionManagerOptions o;
    o.broker_id = 1;
    o.max_replicas = max_replicas;
    o.data_dirs = {root_ + "/d0", root_ + "/d1"};
    auto m = PartitionManager::Open(o, state_.get());
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = std::move(*m);
  }

  bool OnDisk(const std::string& name) {
    return fs::exists(root_ + "/d0/" + name) || fs::exists(root_ + "/d1/" + name);
  }

  std::string root_;
  std::unique_ptr<storage::StateStore> state_;
  std::unique_ptr<PartitionManager> manager_;
};

TEST(PartitionDirNameTest, RoundTripsAndRejectsOthers) {
  std::string topic;
  int32_t partition = -1;
  ASSERT_TRUE(ParsePartitionDirName(PartitionDirName("my-topic.v2", 17), &topic, &partition));
  EXPECT_EQ(topic, "my-topic.v2");
  EXPECT_EQ(partition, 17);
  EXPECT_FALSE(ParsePartitionDirName("broker-state", &topic, &partition));
  EXPECT_FALSE(ParsePartitionDirName("meta.properties", &topic, &partition));
  EXPECT_FALSE(ParsePartitionDirName("-3", &topic, &partition));
  EXPECT_FALSE(ParsePartitionDirName("t-", &topic, &partition));
  EXPECT_FALSE(ParsePartitionDirName("t-1x", &topic, &partition));
}

TEST(TopicPolicyTest, TopicConfigsOverrideBrokerDefaults) {
  TopicPolicy defaults;
  defaults.max_message_bytes = 5000;
  defaults.flush_messages = 0;
  TopicPolicy p = ResolveTopicPolicy({{"max.message.bytes", "100"},
                                      {"flush.messages", "1"},
                                      {"min.insync.replicas", "2"},
                                      {"unclean.leader.election.enable", "true"},
                                      {"retention.ms", "7"}},
                                     defaults);
  EXPECT_EQ(p.max_message_bytes, 100);
  EXPECT_EQ(p.flush_messages, 1);
  EXPECT_EQ(p.min_insync_replicas, 2);
  EXPECT_TRUE(p.unclean_leader_election);
  EXPECT_EQ(ResolveTopicPolicy({}, defaults).max_message_bytes, 5000);
  EXPECT_EQ(ResolveTopicPolicy({{"max.message.bytes", "junk"}}, defaults).max_message_bytes, 5000);
}

TEST(TopicPolicyTest, SegmentConfigsAreTakenOnlyWhereALogAcceptsThem) {
  TopicPolicy p = ResolveTopicPolicy({{"segment.bytes", "2048"}, {"segment.ms", "60000"}}, {});
  EXPECT_EQ(p.segment_bytes, 2048);
  EXPECT_EQ(p.segment_ms, 60000);
  // Unset, or a value an older controller let through: 0, the broker's log options.
  EXPECT_EQ(ResolveTopicPolicy({}, {}).segment_bytes, 0);
  EXPECT_EQ(ResolveTopicPolicy({{"segment.bytes", "14"}}, {}).segment_bytes, 0);
  EXPECT_EQ(ResolveTopicPolicy({{"segment.bytes", "4294967296"}}, {}).segment_bytes, 0);
  EXPECT_EQ(ResolveTopicPolicy({{"segment.ms", "0"}}, {}).segment_ms, 0);
}

// segment.bytes / segment.ms of the topic, not the broker's log options, decide when a
// partition's segments roll; an alter takes effect on the next append, and removing the
// config goes back to the broker's default.
TEST_F(PartitionManagerTest, TopicSegmentConfigsRollThePartitionLogs) {
  TestCluster cluster(1);
  cluster.CreateTopic("small", 1, 1, {{"segment.bytes", "1024"}});
  cluster.CreateTopic("plain", 1, 1);
  ASSERT_TRUE(manager_->Reconcile(cluster.image, nullptr, 0).ok());
  auto small = manager_->Get("small", 0);
  auto plain = manager_->Get("plain", 0);
  ASSERT_TRUE(small != nullptr && plain != nullptr);
  const std::string value(200, 'v');
  auto append = [&](Partition* p, int batches) {
    for (int i = 0; i < batches; ++i) {
      ASSERT_TRUE(p->AppendAsLeader({{"k", value, {}, 5}}, 10).ok());
    }
  };
  append(small.get(), 20);  // about 5 KB
  append(plain.get(), 20);
  EXPECT_GE(small->log()->segment_count(), 4u);
  EXPECT_EQ(plain->log()->segment_count(), 1u);  // the broker's default is 1 GiB

  // Alter: a bigger segment.bytes; the active segment now fills to 64 KiB.
  const std::string big = "65536";
  cluster.Commit(
      [&] {
        metadata::MetadataRecordBatch b;
        *b.add_records() = metadata::ConfigRecordOf(metadata::CONFIG_RESOURCE_TOPIC, "small",
                                                    "segment.bytes", &big);
        return b;
      }());
  ASSERT_TRUE(manager_->Reconcile(cluster.image, nullptr, 0).ok());
  const size_t before = small->log()->segment_count();
  append(small.get(), 20);
  EXPECT_EQ(small->log()->segment_count(), before);

  // segment.ms=1: every append a millisecond after the active segment began rolls.
  const std::string one_ms = "1";
  cluster.Commit(
      [&] {
        metadata::MetadataRecordBatch b;
        *b.add_records() = metadata::ConfigRecordOf(metadata::CONFIG_RESOURCE_TOPIC, "plain",
                                                    "segment.ms", &one_ms);
        return b;
      }());
  ASSERT_TRUE(manager_->Reconcile(cluster.image, nullptr, 0).ok());
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    append(plain.get(), 1);
  }
  EXPECT_EQ(plain->log()->segment_count(), 4u);

  // Deleting segment.bytes: back to the broker's 1 GiB, no more rolls by size.
  cluster.Commit(
      [&] {
        metadata::MetadataRecordBatch b;
        *b.add_records() = metadata::ConfigRecordOf(metadata::CONFIG_RESOURCE_TOPIC, "small",
                                                    "segment.bytes", nullptr);
        return b;
      }());
  ASSERT_TRUE(manager_->Reconcile(cluster.image, nullptr, 0).ok());
  EXPECT_EQ(small->policy().segment_bytes, 0);
  const size_t after = small->log()->segment_count();
  append(small.get(), 400);  // 80 KB: over the 64 KiB it had
  EXPECT_EQ(small->log()->segment_count(), after);
}

TEST_F(PartitionManagerTest, HostsExactlyTheReplicasAssignedHereAcrossDataDirs) {
  TestCluster cluster(3);
  cluster.CreateTopic("a", 6, 2);
  ASSERT_TRUE(manager_->Reconcile(cluster.image, nullptr, 0).ok());
  int assigned = 0;
  for (const auto& [index, info] : cluster.Topic("a").partitions) {
    const bool mine =
        std::find(info.replicas.begin(), info.replicas.end(), 1) != info.replicas.end();
    assigned += mine;
    EXPECT_EQ(OnDisk("a-" + std::to_string(index)), mine) << index;
    auto p = manager_->Get("a", index);
    ASSERT_EQ(p != nullptr, mine);
    if (mine) {
      EXPECT_EQ(p->IsLeader(), info.leader == 1);
    }
  }
  EXPECT_GT(assigned, 0);
  EXPECT_EQ(manager_->size(), static_cast<size_t>(assigned));
  // Spread over both data dirs.
  int in_d0 = 0;
  for (const auto& e : fs::directory_iterator(root_ + "/d0")) in_d0 += e.is_directory();
  EXPECT_GT(in_d0, 0);
  EXPECT_LT(in_d0, assigned);
}

TEST_F(PartitionManagerTest, RefusesReplicasPastTheOpenFilesBudgetWithoutHarmingOthers) {
  EXPECT_EQ(MaxReplicasForOpenFiles(0), 0u);  // unknown limit: unbounded
  EXPECT_EQ(MaxReplicasForOpenFiles(20000), (20000 - kReservedFiles) / kFilesPerReplica);
  EXPECT_EQ(MaxReplicasForOpenFiles(100), 1u);
  Reopen(3);
  TestCluster cluster(1);
  cluster.CreateTopic("many", 5, 1);
  absl::Status s = manager_->Reconcile(cluster.image, nullptr, 0);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("open-files limit"), absl::string_view::npos) << s;
  EXPECT_EQ(manager_->size(), 3u);
  int served = 0;
  for (int i = 0; i < 5; ++i) {
    if (auto p = manager_->Get("many", i); p != nullptr) {
      ASSERT_TRUE(p->AppendAsLeader({{"k", "v", {}, 5}}, 10).ok());
      ++served;
    }
  }
  EXPECT_EQ(served, 3);
}

TEST_F(PartitionManagerTest, RecoversLogsAndEpochHistoryOnReopen) {
  TestCluster cluster(1);
  cluster.CreateTopic("t", 1, 1);
  ASSERT_TRUE(manager_->Reconcile(cluster.image, nullptr, 0).ok());
  auto p = manager_->Get("t", 0);
  ASSERT_TRUE(p->IsLeader());
  ASSERT_TRUE(p->AppendAsLeader({{"k", "v", {}, 5}, {"k2", "v2", {}, 6}}, 10).ok());
  EXPECT_EQ(p->high_watermark(), 2);  // an ISR of one: the log end
  p.reset();
  ASSERT_TRUE(manager_->CloseAll().ok());
  Reopen();
  auto again = manager_->Get("t", 0);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->log()->log_end_offset(), 2);
  EXPECT_EQ(again->high_watermark(), 2);  // checkpointed on close
  ASSERT_EQ(again->epoch_history().size(), 1u);
  EXPECT_EQ(again->epoch_history()[0].start_offset, 0);
}

TEST_F(PartitionManagerTest, DeletedTopicIsRemovedAndRecreatedNamesakeStartsEmpty) {
  TestCluster cluster(1);
  cluster.CreateTopic("t", 2, 1);
  ASSERT_TRUE(manager_->Reconcile(cluster.image, nullptr, 0).ok());
  ASSERT_TRUE(manager_->Get("t", 1)->AppendAsLeader({{"", "old", {}, 1}}, 1).ok());
  const std::string old_hex = absl::BytesToHexString(cluster.Topic("t").id);

  controller::DeleteTopicsRequest del;
  del.add_names("t");
  auto deleted = controller::ControllerLogic::DeleteTopics(cluster.image, del);
  cluster.Commit(deleted.records);
  std::set<std::string> changed = {old_hex};
  ASSERT_TRUE(manager_->Reconcile(cluster.image, &changed, 0).ok());
  EXPECT_EQ(manager_->size(), 0u);
  EXPECT_FALSE(OnDisk("t-0"));
  EXPECT_FALSE(OnDisk("t-1"));

  // Re-created while this broker "was down": a full reconcile sees a new topic id.
  cluster.CreateTopic("t", 2, 1);
  ASSERT_TRUE(manager_->Reconcile(cluster.image, nullptr, 0).ok());
  EXPECT_EQ(manager_->Get("t", 1)->log()->log_end_offset(), 0);
}

TEST_F(PartitionManagerTest, NamesakeWithAnotherTopicIdOnDiskIsReplacedAtStart) {
  TestCluster first(1);
  first.CreateTopic("t", 1, 1);
  ASSERT_TRUE(manager_->Reconcile(first.image, nullptr, 0).ok());
  ASSERT_TRUE(manager_->Get("t", 0)->AppendAsLeader({{"", "stale", {}, 1}}, 1).ok());
  ASSERT_TRUE(manager_->CloseAll().ok());
  Reopen();
  TestCluster second(1);  // another topic id under the same name
  second.random = 12345;
  second.CreateTopic("t", 1, 1);
  ASSERT_NE(first.Topic("t").id, second.Topic("t").id);
  ASSERT_TRUE(manager_->Reconcile(second.image, nullptr, 0).ok());
  EXPECT_EQ(manager_->Get("t", 0)->log()->log_end_offset(), 0);
}

}  // namespace
}  // namespace keel::broker

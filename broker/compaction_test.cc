// A compacted topic end to end inside one broker: gRPC Produce with repeated keys, nulls and
// tombstones; the LogCleaner; then Fetch and ListOffsets across the gaps compaction left.
#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "broker/data_plane.h"
#include "broker/log_cleaner.h"
#include "controller/logic/test_cluster.h"

namespace keel::broker {
namespace {

namespace fs = std::filesystem;
using controller::testing::TestCluster;

constexpr int64_t kNowMs = 10'000'000'000;  // the cleaner's clock: far past every record

class CompactionTest : public ::testing::Test {
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
    o.log_options.segment_size_bytes = 1024;  // roll segments after a few records
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
        [] { return true; }, &notifier_);
    cluster_.CreateTopic("c", 3, 1, {{"cleanup.policy", "compact"}, {"delete.retention.ms", "1000"}});
    ASSERT_TRUE(manager_->Reconcile(cluster_.image, nullptr, 0).ok());
    for (const auto& [index, info] : cluster_.Topic("c").partitions) {
      if (info.leader == 1) partition_ = index;
    }
    ASSERT_GE(partition_, 0);
  }

  // One record; an unset optional means null.
  ProducePartitionResult Produce(std::optional<std::string> key,
                                 std::optional<std::string> value, int64_t timestamp_ms = 0) {
    ProduceRequest request;
    auto* p = request.add_topics();
    p->set_topic("c");
    auto* pd = p->add_partitions();
    pd->set_partition(partition_);
    auto* r = pd->add_records();
    if (key) r->set_key(*key);
    if (value) r->set_value(*value);
    r->set_timestamp_ms(timestamp_ms);
    ProduceResponse response;
    plane_->Produce(request, &response);
    return response.topics(0).partitions(0);
  }

  // Everything a consumer reads from `offset` to the high watermark, following last_offset.
  std::map<int64_t, Record> Consume(int64_t offset) {
    std::map<int64_t, Record> out;
    for (int round = 0; round < 1000; ++round) {
      FetchRequest request;
      auto* t = request.add_topics();
      t->set_topic("c");
      auto* fp = t->add_partitions();
      fp->set_partition(partition_);
      fp->set_fetch_offset(offset);
      fp->set_current_leader_epoch(-1);
      fp->set_partition_max_bytes(300);  // several fetches, some starting in emptied batches
      FetchResponse response;
      plane_->Fetch(request, &response, [] { return false; });
      const FetchPartitionData& d = response.topics(0).partitions(0);
      EXPECT_EQ(d.error(), keel::NONE);
      if (d.batches_size() == 0) break;
      for (const RecordBatch& b : d.batches()) {
        EXPECT_TRUE(b.has_last_offset());
        for (const Record& r : b.records()) {
          EXPECT_GE(r.offset(), offset);
          out[r.offset()] = r;
        }
        offset = b.last_offset() + 1;
      }
    }
    return out;
  }

  std::string root_;
  TestCluster cluster_{3};
  std::unique_ptr<storage::StateStore> state_;
  std::unique_ptr<PartitionManager> manager_;
  AppendNotifier notifier_;
  std::unique_ptr<DataPlane> plane_;
  int partition_ = -1;
};

TEST_F(CompactionTest, NullKeyRefusedWithInvalidRequest) {
  ProducePartitionResult r = Produce(std::nullopt, "v");
  EXPECT_EQ(r.error(), keel::INVALID_REQUEST);
  EXPECT_NE(r.error_message().find("compacted"), std::string::npos) << r.error_message();
  EXPECT_EQ(Produce("", "v").error(), keel::NONE);  // an empty key is a key
}

TEST_F(CompactionTest, ConsumerFromZeroSeesNewestPerKeyAtOriginalOffsets) {
  // k0..k4 over 8 rounds: offset = 5 * round + k. "gone" is deleted by a tombstone; "empty"
  // has an empty (not null) value.
  std::map<std::string, int64_t> newest;
  int64_t offset = 0;
  for (int round = 0; round < 8; ++round) {
    for (int k = 0; k < 5; ++k) {
      const std::string key = "k" + std::to_string(k);
      auto r = Produce(key, key + "@" + std::to_string(round), 1000);
      ASSERT_EQ(r.error(), keel::NONE);
      ASSERT_EQ(r.base_offset(), offset);
      newest[key] = offset++;
    }
  }
  ASSERT_EQ(Produce("gone", "x", 1000).base_offset(), offset++);
  ASSERT_EQ(Produce("gone", std::nullopt, 1000).base_offset(), offset++);  // tombstone
  ASSERT_EQ(Produce("empty", "", 1000).base_offset(), offset);
  newest["empty"] = offset++;
  // Filler with distinct keys closes the segments holding everything above.
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(Produce("filler" + std::to_string(i), std::string(40, 'f'), 1000).error(),
              keel::NONE);
  }
  const int64_t end = manager_->Get("c", partition_)->log()->log_end_offset();
  const auto before = Consume(0);
  ASSERT_EQ(static_cast<int64_t>(before.size()), end);

  LogCleanerOptions options;
  options.backoff_ms = 10;
  options.now_ms = [] { return kNowMs; };
  auto registry = observability::MetricsRegistry::Create();
  LogCleaner cleaner(manager_.get(), options, registry);
  cleaner.RunOnce();
  EXPECT_GT(cleaner.totals().segments_rewritten, 0);
  EXPECT_GT(cleaner.totals().records_removed, 0);
  EXPECT_EQ(cleaner.totals().errors, 0);

  const auto after = Consume(0);
  std::map<std::string, int> per_key;
  for (const auto& [o, r] : after) {
    ++per_key[r.key()];
    // Every survivor is exactly what was produced at that offset.
    EXPECT_EQ(before.at(o).SerializeAsString(), r.SerializeAsString()) << o;
  }
  for (const auto& [key, o] : newest) {
    EXPECT_EQ(per_key[key], 1) << key;
    ASSERT_EQ(after.count(o), 1u) << key;
  }
  EXPECT_EQ(after.at(newest["k3"]).value(), "k3@7");
  EXPECT_TRUE(after.at(newest["empty"]).has_value());  // empty, not null
  EXPECT_EQ(per_key.count("gone"), 0u);  // tombstone past delete.retention.ms: gone too
  // Reading from a removed offset starts at the next survivor.
  const auto from_middle = Consume(7);
  ASSERT_FALSE(from_middle.empty());
  EXPECT_EQ(from_middle.begin()->first, after.lower_bound(7)->first);
  // ListOffsets by time skips emptied batches to the first survivor.
  ListOffsetsRequest list;
  auto* lt = list.add_topics();
  lt->set_topic("c");
  auto* lp = lt->add_partitions();
  lp->set_partition(partition_);
  lp->set_timestamp_ms(500);
  ListOffsetsResponse listed;
  plane_->ListOffsets(list, &listed);
  EXPECT_EQ(listed.topics(0).partitions(0).offset(), after.begin()->first);

  // The cleaner's thread does the same on its own; nothing more to do now.
  cleaner.Start();
  for (int i = 0; i < 200 && cleaner.totals().runs < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cleaner.Stop();
  EXPECT_GE(cleaner.totals().runs, 3);
  const auto again = Consume(0);
  ASSERT_EQ(again.size(), after.size());
  for (const auto& [o, r] : again) EXPECT_EQ(after.at(o).SerializeAsString(), r.SerializeAsString());
}

TEST_F(CompactionTest, TombstoneStaysWithinDeleteRetention) {
  ASSERT_EQ(Produce("gone", "x", 1000).error(), keel::NONE);
  ASSERT_EQ(Produce("gone", std::nullopt, 1000).error(), keel::NONE);
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(Produce("filler" + std::to_string(i), std::string(40, 'f'), 1000).error(),
              keel::NONE);
  }
  LogCleanerOptions options;
  options.now_ms = [] { return int64_t{1500}; };  // 500 ms after the records; retention 1000
  LogCleaner cleaner(manager_.get(), options, nullptr);
  cleaner.RunOnce();
  const auto after = Consume(0);
  EXPECT_EQ(after.count(0), 0u);  // the put is superseded
  ASSERT_EQ(after.count(1), 1u);  // the tombstone stays, as null
  EXPECT_FALSE(after.at(1).has_value());
  EXPECT_EQ(after.at(1).key(), "gone");
}

}  // namespace
}  // namespace keel::broker

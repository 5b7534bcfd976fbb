#include "storage/state_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace keel::storage {
namespace {

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  auto dir = std::filesystem::path(tmp ? tmp : "/tmp") / name;
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(StateStore, SyncWritesAndAtomicBatchesSurviveReopen) {
  std::string dir = TempDir("state_reopen");
  {
    auto store = StateStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Put("raft/hard_state", "term=3", true).ok());
    StateStore::Batch batch;
    batch.Put("image/topic/aa", "orders");
    batch.Put("image/topic/bb", "payments");
    batch.Put("meta/applied_offset", "42");
    ASSERT_TRUE((*store)->Write(&batch, true).ok());
    ASSERT_TRUE((*store)->Delete("image/topic/bb", true).ok());
  }
  auto store = StateStore::Open(dir);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(**(*store)->Get("raft/hard_state"), "term=3");
  EXPECT_EQ(**(*store)->Get("meta/applied_offset"), "42");
  EXPECT_FALSE((*store)->Get("image/topic/bb")->has_value());
  std::vector<std::string> keys;
  ASSERT_TRUE((*store)
                  ->Scan("image/",
                         [&](const std::string& k, const std::string&) {
                           keys.push_back(k);
                           return true;
                         })
                  .ok());
  EXPECT_EQ(keys, std::vector<std::string>{"image/topic/aa"});
}

TEST(StateStore, CorruptStoreIsAClearError) {
  std::string dir = TempDir("state_corrupt");
  {
    auto store = StateStore::Open(dir);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("k", "v", true).ok());
  }
  // Destroy the manifest pointer: LevelDB cannot find its files any more.
  std::ofstream(dir + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
  auto store = StateStore::Open(dir);
  EXPECT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("open state store"), std::string::npos);
}

TEST(StateStore, TypedHelpersFollowTheDocumentedLayout) {
  std::string dir = TempDir("state_typed") + "/nested/state";  // parents are created
  auto store = StateStore::Open(dir);
  ASSERT_TRUE(store.ok());
  StateStore& s = **store;
  ASSERT_TRUE(s.PutInt64(state_keys::kAppliedOffset, 1234, true).ok());
  EXPECT_EQ(**s.Get("meta/applied_offset"), "1234");
  EXPECT_EQ(**s.GetInt64(state_keys::kAppliedOffset), 1234);
  EXPECT_FALSE(s.GetInt64("meta/absent")->has_value());
  ASSERT_TRUE(s.Put("meta/bad", "12x", false).ok());
  EXPECT_EQ(s.GetInt64("meta/bad").status().code(), absl::StatusCode::kDataLoss);

  ASSERT_TRUE(
      s.PutHighWatermarks({{"orders", 0}, {"orders", 1}, {"pay", 0}}, {10, 20, 30}, true).ok());
  EXPECT_EQ(**s.Get("checkpoint/hw/orders-1"), "20");
  EXPECT_EQ(**s.GetHighWatermark("pay", 0), 30);
  EXPECT_FALSE(s.GetHighWatermark("pay", 1)->has_value());
  EXPECT_EQ(s.PutHighWatermarks({{"x", 0}}, {}, true).code(), absl::StatusCode::kInvalidArgument);
  int partitions = 0;
  ASSERT_TRUE(s.Scan(state_keys::kHighWatermarkPrefix, [&](const std::string&, const std::string&) {
                 ++partitions;
                 return true;
               }).ok());
  EXPECT_EQ(partitions, 3);

  std::vector<state_keys::EpochEntry> epochs = {{0, 0}, {3, 120}, {5, 300}};
  EXPECT_TRUE(s.GetLeaderEpochs("orders", 0)->empty());
  ASSERT_TRUE(s.PutLeaderEpochs("orders", 0, epochs, true).ok());
  EXPECT_EQ(**s.Get("epochs/orders-0"), "0:0,3:120,5:300");
  EXPECT_EQ(*s.GetLeaderEpochs("orders", 0), epochs);
}

TEST(StateKeys, MalformedLeaderEpochHistoryIsDataLoss) {
  for (const char* bad : {"1", "1:2:3", "a:1", "3:10,2:20", "1:20,2:10", "1:1,"}) {
    EXPECT_EQ(state_keys::DecodeLeaderEpochs(bad).status().code(), absl::StatusCode::kDataLoss)
        << bad;
  }
  EXPECT_TRUE(state_keys::DecodeLeaderEpochs("")->empty());
}

// A sync write is in LevelDB's log before Put returns: a process that dies right after
// (no close, no compaction) still has it on the next open.
TEST(StateStore, SyncWriteSurvivesAProcessThatDiesWithoutClosing) {
  std::string dir = TempDir("state_killed");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = StateStore::Open(dir);
    if (!store.ok()) _exit(1);
    StateStore::Batch batch;
    batch.Put(state_keys::Image("topic/orders"), "image-bytes");
    batch.PutInt64(state_keys::kAppliedOffset, 77);
    if (!(*store)->Write(&batch, /*sync=*/true).ok()) _exit(2);
    _exit(0);  // no destructor: LevelDB is not closed
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto store = StateStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(**(*store)->Get("image/topic/orders"), "image-bytes");
  EXPECT_EQ(**(*store)->GetInt64("meta/applied_offset"), 77);
}

}  // namespace
}  // namespace keel::storage

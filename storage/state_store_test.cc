#include "storage/state_store.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace keel::storage

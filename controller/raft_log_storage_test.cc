#include "controller/raft_log_storage.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "storage/fault_injection_env.h"

namespace keel::controller {
namespace {

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

std::vector<raft::Entry> Entries(uint64_t first, uint64_t last, uint64_t term) {
  std::vector<raft::Entry> out;
  for (uint64_t i = first; i <= last; ++i) {
    raft::Entry e;
    e.set_index(i);
    e.set_term(term);
    e.set_data("entry-" + std::to_string(i));
    out.push_back(e);
  }
  return out;
}

class RaftLogStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::StateStore::Open(
        TempDir(std::string("raft_log_state_") +
                ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(store.ok()) << store.status();
    state_ = std::move(*store);
    conf_.add_voters(1);
  }

  absl::StatusOr<std::unique_ptr<RaftLogStorage>> Open() {
    return RaftLogStorage::Open("/controller", state_.get(), conf_, 1 << 20, &env_);
  }

  storage::FaultInjectionEnv env_;
  std::unique_ptr<storage::StateStore> state_;
  raft::ConfState conf_;
};

// The metadata log and the snapshot file live in the Env the storage was opened with: what
// was synced survives a simulated power loss.
TEST_F(RaftLogStorageTest, SyncedEntriesAndSnapshotSurviveACrashOfTheEnv) {
  {
    auto log = Open();
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Append(Entries(1, 5, 2)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
    ASSERT_TRUE((*log)->CreateSnapshot(3, "image-at-3").ok());
    EXPECT_TRUE(env_.FileExists("/controller/snapshot"));
    EXPECT_FALSE(env_.FileExists("/controller/snapshot.tmp"));
  }  // no Close: the process dies
  env_.SimulateCrash();

  auto log = Open();
  ASSERT_TRUE(log.ok()) << log.status();
  auto snapshot = (*log)->GetSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->metadata.index(), 3u);
  EXPECT_EQ(snapshot->metadata.term(), 2u);
  EXPECT_EQ(snapshot->data, "image-at-3");
  EXPECT_EQ((*log)->FirstIndex(), 4u);
  EXPECT_EQ((*log)->LastIndex(), 5u);
  auto tail = (*log)->Entries(4, 6, 1 << 20);
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[1].data(), "entry-5");
}

TEST_F(RaftLogStorageTest, ACorruptSnapshotFileIsDataLoss) {
  {
    auto log = Open();
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Append(Entries(1, 2, 1)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
    ASSERT_TRUE((*log)->CreateSnapshot(2, "image").ok());
  }
  env_.FlipBit("/controller/snapshot", 12, 3);  // inside the payload
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace keel::controller

// LevelDB from Debian: open, sync-put, get, close, reopen and read back from a temp dir.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <leveldb/db.h>

namespace {

TEST(LevelDbSmoke, PutSurvivesReopen) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = std::filesystem::path(tmp ? tmp : "/tmp") / "leveldb_smoke";
  std::filesystem::remove_all(dir);

  leveldb::Options options;
  options.create_if_missing = true;
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(options, dir.string(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    leveldb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Put(sync, "raft/term", "7").ok());
  }
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(options, dir.string(), &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::string value;
  ASSERT_TRUE(db->Get(leveldb::ReadOptions(), "raft/term", &value).ok());
  EXPECT_EQ(value, "7");
  EXPECT_TRUE(db->Get(leveldb::ReadOptions(), "missing", &value).IsNotFound());
}

}  // namespace

#include "storage/mem_env.h"

#include <gtest/gtest.h>

#include "storage/fault_injection_env.h"

namespace keel::storage {
namespace {

void Write(Env& env, const std::string& path, const std::string& data, bool sync) {
  auto f = env.NewAppendableFile(path);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(data).ok());
  if (sync) {
    ASSERT_TRUE((*f)->Sync().ok());
  }
}

TEST(MemEnv, ReadsWhatWasWrittenAndCountsBytesRead) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDirs("/d").ok());
  Write(env, "/d/a", "hello world", false);
  auto f = env.NewRandomAccessFile("/d/a");
  ASSERT_TRUE(f.ok());
  std::string out;
  ASSERT_TRUE((*f)->Read(6, 100, &out).ok());
  EXPECT_EQ(out, "world");
  EXPECT_EQ(env.bytes_read(), 5u);
  EXPECT_EQ(*env.FileSize("/d/a"), 11u);
  ASSERT_TRUE(env.Truncate("/d/a", 5).ok());
  EXPECT_EQ(env.Contents("/d/a"), "hello");
  ASSERT_TRUE(env.RenameFile("/d/a", "/d/b").ok());
  EXPECT_FALSE(env.FileExists("/d/a"));
  EXPECT_EQ(*env.GetChildren("/d"), std::vector<std::string>{"b"});
  EXPECT_EQ(env.NewRandomAccessFile("/d/a").status().code(), absl::StatusCode::kNotFound);
  auto w = env.NewWritableFile("/d/b");  // truncates
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("new").ok());
  EXPECT_EQ(env.Contents("/d/b"), "new");
}

TEST(MemEnv, DeleteDirRecursivelyRemovesTheSubtreeOnly) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirs("/d/p-0/sub").ok());
  Write(env, "/d/p-0/a", "x", true);
  Write(env, "/d/p-0/sub/b", "y", true);
  Write(env, "/d/p-00", "keep", true);  // shares the prefix, is not under the directory
  ASSERT_TRUE(env.SyncDir("/d/p-0").ok());
  ASSERT_TRUE(env.SyncDir("/d/p-0/sub").ok());
  ASSERT_TRUE(env.SyncDir("/d").ok());
  ASSERT_TRUE(env.DeleteDirRecursively("/d/p-0").ok());
  EXPECT_FALSE(env.FileExists("/d/p-0"));
  EXPECT_FALSE(env.FileExists("/d/p-0/a"));
  EXPECT_FALSE(env.FileExists("/d/p-0/sub/b"));
  EXPECT_EQ(env.Contents("/d/p-00"), "keep");
  env.SimulateCrash();
  EXPECT_FALSE(env.FileExists("/d/p-0/a"));  // deletion is durable at once in MemEnv
  EXPECT_EQ(env.Contents("/d/p-00"), "keep");
  EXPECT_TRUE(env.DeleteDirRecursively("/d/missing").ok());
}

TEST(FaultInjectionEnv, CrashKeepsSyncedBytesAndTearsTheRest) {
  FaultInjectionEnv env;
  Write(env, "/d/f", "synced", true);
  ASSERT_TRUE(env.SyncDir("/d").ok());
  Write(env, "/d/f", "-unsynced", false);
  env.SimulateCrash(3);
  EXPECT_EQ(env.Contents("/d/f"), "synced-un");
  Write(env, "/d/f", "XYZ", false);
  env.SimulateCrash(2, /*torn_bytes_are_zeros=*/true);
  EXPECT_EQ(env.Contents("/d/f"), std::string("synced-un\0\0", 11));
}

TEST(FaultInjectionEnv, CrashForgetsDirectoryChangesNotYetSynced) {
  FaultInjectionEnv env;
  Write(env, "/d/old", "o", true);
  ASSERT_TRUE(env.SyncDir("/d").ok());
  Write(env, "/d/new", "n", true);  // data synced, but not its directory entry
  ASSERT_TRUE(env.DeleteFile("/d/old").ok());
  env.SimulateCrash();
  EXPECT_FALSE(env.FileExists("/d/new"));
  EXPECT_EQ(env.Contents("/d/old"), "o");  // the deletion was never made durable
  Write(env, "/d/tmp", "t", true);
  ASSERT_TRUE(env.RenameFile("/d/tmp", "/d/final").ok());
  ASSERT_TRUE(env.SyncDir("/d").ok());
  env.SimulateCrash();
  EXPECT_EQ(env.Contents("/d/final"), "t");
  EXPECT_FALSE(env.FileExists("/d/tmp"));
}

TEST(FaultInjectionEnv, NoSpaceWritesWhatFitsThenFails) {
  FaultInjectionEnv env;
  Write(env, "/d/f", "abc", true);
  env.FailWritesAfter(4);
  auto f = env.NewAppendableFile("/d/f");
  absl::Status s = (*f)->Append("123456");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("No space left"), std::string::npos) << s;
  EXPECT_EQ(env.Contents("/d/f"), "abc1234");
  env.SetSpaceLimit(-1);
  EXPECT_TRUE((*f)->Append("5").ok());
}

TEST(FaultInjectionEnv, FailedSyncsAndBitFlips) {
  FaultInjectionEnv env;
  Write(env, "/d/f", "a", false);
  env.FailSyncs(true);
  auto f = env.NewAppendableFile("/d/f");
  EXPECT_FALSE((*f)->Sync().ok());
  env.FailSyncs(false);
  EXPECT_TRUE((*f)->Sync().ok());
  env.FlipBit("/d/f", 0, 1);
  EXPECT_EQ(env.Contents("/d/f"), "c");
}

}  // namespace
}  // namespace keel::storage

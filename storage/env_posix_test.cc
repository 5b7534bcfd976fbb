// The POSIX Env against a real directory under TEST_TMPDIR.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "storage/env.h"

namespace keel::storage {
namespace {

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(PosixEnv, DeleteDirRecursivelyRemovesTheSubtreeOnly) {
  Env* env = Env::Default();
  const std::string root = TempDir("posix_delete");
  ASSERT_TRUE(env->CreateDirs(root + "/p-0/sub").ok());
  ASSERT_TRUE(WriteFileAtomically(env, root + "/p-0/a", "x").ok());
  ASSERT_TRUE(WriteFileAtomically(env, root + "/p-0/sub/b", "y").ok());
  ASSERT_TRUE(WriteFileAtomically(env, root + "/p-00", "keep").ok());
  ASSERT_TRUE(env->DeleteDirRecursively(root + "/p-0").ok());
  EXPECT_FALSE(env->FileExists(root + "/p-0"));
  EXPECT_EQ(*ReadWholeFile(env, root + "/p-00"), "keep");
  EXPECT_TRUE(env->DeleteDirRecursively(root + "/missing").ok());
}

TEST(PosixEnv, WriteFileAtomicallyReplacesAndLeavesNoTempFile) {
  Env* env = Env::Default();
  const std::string root = TempDir("posix_atomic");
  ASSERT_TRUE(env->CreateDirs(root).ok());
  ASSERT_TRUE(WriteFileAtomically(env, root + "/f", "one").ok());
  ASSERT_TRUE(WriteFileAtomically(env, root + "/f", "two").ok());
  EXPECT_EQ(*ReadWholeFile(env, root + "/f"), "two");
  EXPECT_FALSE(env->FileExists(root + "/f.tmp"));
  EXPECT_EQ(ReadWholeFile(env, root + "/none").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace keel::storage

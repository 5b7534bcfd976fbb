#include "common/meta_properties.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "storage/fault_injection_env.h"

namespace keel::common {
namespace {

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  auto dir = std::filesystem::path(tmp ? tmp : "/tmp") / name;
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(MetaProperties, FormatsOnceThenAcceptsSameIdentity) {
  std::string dir = TempDir("meta_same");
  ASSERT_TRUE(FormatOrCheckDataDir(dir, {"abc", 1}).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/meta.properties"));
  EXPECT_TRUE(FormatOrCheckDataDir(dir, {"abc", 1}).ok());
}

TEST(MetaProperties, RefusesOtherClusterOrNode) {
  std::string dir = TempDir("meta_other");
  ASSERT_TRUE(FormatOrCheckDataDir(dir, {"abc", 1}).ok());
  absl::Status other_cluster = FormatOrCheckDataDir(dir, {"xyz", 1});
  EXPECT_EQ(other_cluster.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other_cluster.message().find("belongs to cluster 'abc'"), std::string::npos)
      << other_cluster;
  absl::Status other_node = FormatOrCheckDataDir(dir, {"abc", 2});
  EXPECT_EQ(other_node.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other_node.message().find("belongs to node 1"), std::string::npos) << other_node;
}

TEST(MetaProperties, RejectsCorruptFile) {
  std::string dir = TempDir("meta_corrupt");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/meta.properties") << "garbage line\n";
  EXPECT_EQ(FormatOrCheckDataDir(dir, {"abc", 1}).code(), absl::StatusCode::kInvalidArgument);
}

// Through storage::Env: the fault-injection Env reaches the file, and what was formatted
// survives a crash (the write is synced, renamed and its directory synced).
TEST(MetaProperties, FormattedIdentitySurvivesACrash) {
  storage::FaultInjectionEnv env;
  ASSERT_TRUE(FormatOrCheckDataDir("/data", {"abc", 7}, &env).ok());
  env.SimulateCrash();
  EXPECT_TRUE(env.FileExists("/data/meta.properties"));
  EXPECT_FALSE(env.FileExists("/data/meta.properties.tmp"));
  EXPECT_TRUE(FormatOrCheckDataDir("/data", {"abc", 7}, &env).ok());
  EXPECT_EQ(FormatOrCheckDataDir("/data", {"abc", 8}, &env).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MetaProperties, MissingNodeIdIsInvalid) {
  storage::MemEnv env;
  ASSERT_TRUE(storage::WriteFileAtomically(&env, "/d/meta.properties", "cluster.id=abc\n").ok());
  EXPECT_EQ(FormatOrCheckDataDir("/d", {"abc", 1}, &env).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace keel::common

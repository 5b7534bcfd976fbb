#include "controller/voters.h"

#include <gtest/gtest.h>

namespace keel::controller {
namespace {

TEST(ParseVoters, ParsesThreeVoters) {
  auto voters = ParseVoters("1@127.0.0.1:19091, 2@127.0.0.1:19092,3@localhost:19093");
  ASSERT_TRUE(voters.ok()) << voters.status();
  ASSERT_EQ(voters->size(), 3u);
  EXPECT_EQ(voters->at(2), "127.0.0.1:19092");
  EXPECT_EQ(FormatVoters(*voters), "1@127.0.0.1:19091,2@127.0.0.1:19092,3@localhost:19093");
}

TEST(ParseVoters, RejectsMalformedElements) {
  for (const char* bad : {"", "1", "1@", "x@h:1", "0@h:1", "1@h", "1@h:0", "1@h:70000",
                          "1@h:1,1@h:2", "1@:5"}) {
    auto voters = ParseVoters(bad);
    EXPECT_FALSE(voters.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(voters.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace keel::controller

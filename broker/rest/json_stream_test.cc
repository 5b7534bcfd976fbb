#include "broker/rest/json_stream.h"

#include <gtest/gtest.h>

namespace keel::rest {
namespace {

TEST(JsonObjectSplitterTest, SplitsConcatenatedObjectsAcrossChunks) {
  JsonObjectSplitter s(1000);
  std::vector<std::string> out;
  ASSERT_TRUE(s.Feed(R"( {"a":"x}{\"","b":[{"c":1}]}  {"d")", &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], R"({"a":"x}{\"","b":[{"c":1}]})");
  EXPECT_FALSE(s.Finish().ok());  // inside the second object
  ASSERT_TRUE(s.Feed(":2}\n", &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], R"({"d":2})");
  EXPECT_TRUE(s.Finish().ok());
}

TEST(JsonObjectSplitterTest, RefusesWhatIsNotAnObjectAndOversizedObjects) {
  std::vector<std::string> out;
  JsonObjectSplitter garbage(1000);
  EXPECT_FALSE(garbage.Feed(R"({"a":1} x)", &out).ok());
  JsonObjectSplitter array(1000);
  EXPECT_FALSE(array.Feed("[1]", &out).ok());
  JsonObjectSplitter small(8);
  EXPECT_FALSE(small.Feed(R"({"a":"123456789"})", &out).ok());
}

}  // namespace
}  // namespace keel::rest

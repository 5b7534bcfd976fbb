#include "broker/group/offset_record.h"

#include "gtest/gtest.h"

namespace keel::broker::group {
namespace {

TEST(OffsetReplayTest, TheNewestCommitWinsAndTombstonesAndDeletionsRemove) {
  OffsetReplay replay;
  const TopicPartition t0{"t", 0};
  const TopicPartition t1{"t", 1};
  ASSERT_TRUE(replay.Apply(EncodeOffsetKey("g", t0), EncodeOffsetValue({5, 1, "m"})).ok());
  ASSERT_TRUE(replay.Apply(EncodeOffsetKey("g", t0), EncodeOffsetValue({9, 2, std::nullopt})).ok());
  ASSERT_TRUE(replay.Apply(EncodeOffsetKey("g", t1), EncodeOffsetValue({3, -1, ""})).ok());
  ASSERT_TRUE(replay.Apply(EncodeOffsetKey("h", t0), EncodeOffsetValue({1, -1, ""})).ok());
  EXPECT_EQ(replay.offsets().at("g").at(t0), (CommittedOffset{9, 2, std::nullopt}));
  EXPECT_EQ(replay.offsets().at("g").at(t1), (CommittedOffset{3, -1, ""}));
  ASSERT_TRUE(replay.Apply(EncodeOffsetKey("g", t1), "").ok());
  EXPECT_EQ(replay.offsets().at("g").count(t1), 0u);
  ASSERT_TRUE(replay.Apply(EncodeGroupDeletedKey("g"), EncodeGroupDeletedValue()).ok());
  EXPECT_EQ(replay.offsets().count("g"), 0u);
  // A commit after the deletion starts the group again.
  ASSERT_TRUE(replay.Apply(EncodeOffsetKey("g", t0), EncodeOffsetValue({11, -1, ""})).ok());
  EXPECT_EQ(replay.offsets().at("g").at(t0).offset, 11);
  EXPECT_EQ(replay.offsets().at("h").at(t0).offset, 1);
}

TEST(OffsetReplayTest, TheHighestGenerationOfAGroupWinsAndDeletionClearsIt) {
  GroupSnapshot g2{"g", 2, "consumer", "range", "m1",
                   {{"m1", std::nullopt, "c", "/h", 10000, 20000, "sub", "asg"},
                    {"m2", "static-2", "c", "/h", 10000, 20000, "", std::string("\0x", 2)}}};
  GroupSnapshot g1 = g2;
  g1.generation_id = 1;
  g1.members.pop_back();
  OffsetReplay replay;
  ASSERT_TRUE(replay.Apply(EncodeGroupMetadataKey("g"), EncodeGroupMetadataValue(g2)).ok());
  // A write of an older generation that landed later does not win.
  ASSERT_TRUE(replay.Apply(EncodeGroupMetadataKey("g"), EncodeGroupMetadataValue(g1)).ok());
  ASSERT_EQ(replay.groups().count("g"), 1u);
  EXPECT_EQ(replay.groups().at("g"), g2);
  ASSERT_TRUE(replay.Apply(EncodeGroupDeletedKey("g"), EncodeGroupDeletedValue()).ok());
  EXPECT_EQ(replay.groups().count("g"), 0u);
  std::string value = EncodeGroupMetadataValue(g2);
  EXPECT_FALSE(replay.Apply(EncodeGroupMetadataKey("g"), value.substr(0, value.size() - 3)).ok());
  // A member count far beyond the bytes left is refused before anything is reserved.
  std::string lying = value;
  lying[2 + 4 + 2 + 8 + 2 + 5 + 2 + 2] = '\x7f';
  EXPECT_FALSE(replay.Apply(EncodeGroupMetadataKey("g"), lying).ok());
  EXPECT_TRUE(replay.groups().empty());
}

TEST(OffsetReplayTest, MalformedRecordsAreErrorsNotCrashes) {
  OffsetReplay replay;
  EXPECT_FALSE(replay.Apply("", "").ok());
  EXPECT_FALSE(replay.Apply("\x00\x07", "").ok());
  std::string key = EncodeOffsetKey("g", {"t", 0});
  EXPECT_FALSE(replay.Apply(key.substr(0, key.size() - 1), EncodeOffsetValue({1, 1, ""})).ok());
  std::string value = EncodeOffsetValue({1, 1, "meta"});
  EXPECT_FALSE(replay.Apply(key, value.substr(0, value.size() - 2)).ok());
  EXPECT_FALSE(replay.Apply(key, value + "x").ok());
  EXPECT_TRUE(replay.offsets().empty());
}

}  // namespace
}  // namespace keel::broker::group

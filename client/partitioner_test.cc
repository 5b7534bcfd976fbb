#include "client/partitioner.h"

#include <set>

#include <gtest/gtest.h>

namespace keel::client {
namespace {

// Kafka's published murmur2 results (clients' UtilsTest.testMurmur2): the same bytes must
// give the same hash, or a key would land in another partition than with Kafka's client.
TEST(Murmur2Test, MatchesKafkasPublishedVectors) {
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2("abc"), 479470107);
}

TEST(Murmur2Test, CoversEveryTailLength) {
  // Each length mod 4 takes another branch; the values must differ and be stable.
  std::set<int32_t> seen;
  for (const char* s : {"", "a", "ab", "abc", "abcd", "abcde"}) seen.insert(Murmur2(s));
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(Murmur2("abc"), Murmur2(std::string("abc")));
}

TEST(KeyPartitionTest, IsToPositiveOfMurmur2ModuloPartitions) {
  // toPositive, not abs: -973932308 & 0x7fffffff = 1173551340.
  EXPECT_EQ(ToPositive(-973932308), 1173551340);
  EXPECT_EQ(KeyPartition("21", 7), 1173551340 % 7);
  EXPECT_EQ(KeyPartition("foobar", 3), ToPositive(-790332482) % 3);
  EXPECT_EQ(ToPositive(INT32_MIN), 0);
  for (int n = 1; n < 50; ++n) {
    int32_t p = KeyPartition("key-" + std::to_string(n), n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

TEST(StickyPartitionerTest, SticksUntilANewBatchThenMovesElsewhere) {
  StickyPartitioner sticky(42);
  const int32_t first = sticky.Partition("t", 5);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sticky.Partition("t", 5), first);
  sticky.OnNewBatch("t", first, 5);
  const int32_t second = sticky.Partition("t", 5);
  EXPECT_NE(second, first);
  // A stale notification (not the current partition) changes nothing.
  sticky.OnNewBatch("t", first, 5);
  EXPECT_EQ(sticky.Partition("t", 5), second);
}

TEST(StickyPartitionerTest, VisitsEveryPartitionOverManyBatches) {
  StickyPartitioner sticky(7);
  std::set<int32_t> used;
  for (int i = 0; i < 200; ++i) {
    int32_t p = sticky.Partition("t", 4);
    used.insert(p);
    sticky.OnNewBatch("t", p, 4);
  }
  EXPECT_EQ(used.size(), 4u);
}

TEST(StickyPartitionerTest, OnePartitionStaysPut) {
  StickyPartitioner sticky(1);
  EXPECT_EQ(sticky.Partition("t", 1), 0);
  sticky.OnNewBatch("t", 0, 1);
  EXPECT_EQ(sticky.Partition("t", 1), 0);
}

}  // namespace
}  // namespace keel::client

// The coordinator placement must match Kafka's, or a client that cached a coordinator from
// a Kafka cluster's rule would be sent NOT_COORDINATOR forever; these are Java's values.
#include "broker/group/coordinator_router.h"

#include "gtest/gtest.h"

namespace keel::broker::group {
namespace {

TEST(JavaStringHashTest, MatchesJavaStringHashCode) {
  EXPECT_EQ(JavaStringHash(""), 0);
  EXPECT_EQ(JavaStringHash("hello"), 99162322);
  EXPECT_EQ(JavaStringHash("Aa"), JavaStringHash("BB"));  // Java's classic collision
  EXPECT_EQ(JavaStringHash("\xc3\xa9"), 233);              // U+00E9: one UTF-16 unit
  // U+1F600 is the surrogate pair D83D DE00.
  EXPECT_EQ(JavaStringHash("\xf0\x9f\x98\x80"), 0xD83D * 31 + 0xDE00);
  EXPECT_EQ(JavaStringHash("polygenelubricants"), INT32_MIN);
}

TEST(OffsetsPartitionForTest, IsKafkasAbsModuloPartitions) {
  // Utils.abs(Integer.MIN_VALUE) is 0 in Kafka.
  EXPECT_EQ(OffsetsPartitionFor("polygenelubricants", 50), 0);
  EXPECT_EQ(OffsetsPartitionFor("hello", 50), 99162322 % 50);
  // Negative hashes (Java: "consumer-group".hashCode() == -1738392088).
  EXPECT_EQ(JavaStringHash("consumer-group"), -1738392088);
  EXPECT_EQ(OffsetsPartitionFor("consumer-group", 50), 38);
  EXPECT_EQ(OffsetsPartitionFor("my-group", 50), 12);
  EXPECT_EQ(OffsetsPartitionFor("test-group", 50), 12);
  EXPECT_EQ(OffsetsPartitionFor("any", 0), 0);
}

TEST(ClientHostTest, IsSlashHostAsKafkaPrintsIt) {
  EXPECT_EQ(ClientHost("127.0.0.1:5555"), "/127.0.0.1");
  EXPECT_EQ(ClientHost("::1:5555"), "/::1");
  // gRPC's peer strings.
  EXPECT_EQ(ClientHost("ipv4:127.0.0.1:5555"), "/127.0.0.1");
  EXPECT_EQ(ClientHost("ipv6:[::1]:5555"), "/::1");
}

}  // namespace
}  // namespace keel::broker::group

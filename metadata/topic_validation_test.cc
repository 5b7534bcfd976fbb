#include "metadata/topic_validation.h"

#include <gtest/gtest.h>

namespace keel::metadata {
namespace {

TEST(ValidateTopicName, AcceptsKafkaLegalNames) {
  for (std::string ok : {"orders", "a", "orders.v1_x-2", "A-Z.0_9", "...", "_", "-"}) {
    EXPECT_FALSE(ValidateTopicName(ok).has_value()) << ok;
  }
  EXPECT_FALSE(ValidateTopicName(std::string(249, 'a')).has_value());
}

TEST(ValidateTopicName, RejectsIllegalNamesWithInvalidTopicException) {
  for (std::string bad :
       {std::string(""), std::string("."), std::string(".."), std::string(250, 'a'),
        std::string("a b"), std::string("a/b"), std::string("caf\xc3\xa9"), std::string("a\0b", 3),
        std::string("x:y"), std::string("tab\t")}) {
    auto e = ValidateTopicName(bad);
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_EQ(e->code, INVALID_TOPIC_EXCEPTION);
    EXPECT_FALSE(e->message.empty());
  }
}

TEST(TopicCollision, DotAndUnderscoreAreEqual) {
  EXPECT_TRUE(TopicNamesCollide("a.b", "a_b"));
  EXPECT_TRUE(TopicNamesCollide("a.b_c", "a_b.c"));
  EXPECT_FALSE(TopicNamesCollide("a.b", "a-b"));
  EXPECT_EQ(metadata::CollisionKey("x.y_z"), "x_y_z");
  EXPECT_FALSE(CheckTopicCollision("a.b", {"a.b"}).has_value());  // equal: not a collision
  EXPECT_FALSE(CheckTopicCollision("a.b", {"other", "a-b"}).has_value());
  auto e = CheckTopicCollision("metrics.cpu", {"other", "metrics_cpu"});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, INVALID_TOPIC_EXCEPTION);
  EXPECT_NE(e->message.find("metrics_cpu"), std::string::npos);
}

TEST(ValidateTopicConfig, AcceptsValidValues) {
  const std::pair<std::string, std::string> ok[] = {
      {"min.insync.replicas", "1"},
      {"min.insync.replicas", "3"},
      {"retention.ms", "-1"},
      {"retention.ms", "604800000"},
      {"retention.bytes", "-1"},
      {"retention.bytes", "1099511627776"},
      {"segment.bytes", "1024"},  // kMinSegmentBytes (Kafka's floor is 14)
      {"segment.bytes", "1073741824"},
      {"segment.ms", "1"},
      {"flush.ms", "0"},
      {"flush.messages", "1"},
      {"max.message.bytes", "0"},
      {"cleanup.policy", "delete"},
      {"cleanup.policy", "compact"},
      {"cleanup.policy", "compact,delete"},
      {"cleanup.policy", "delete, compact"},
      {"delete.retention.ms", "0"},
      {"delete.retention.ms", "86400000"},
      {"min.cleanable.dirty.ratio", "0"},
      {"min.cleanable.dirty.ratio", "0.5"},
      {"min.cleanable.dirty.ratio", "1"},
      {"message.timestamp.type", "CreateTime"},
      {"message.timestamp.type", "LogAppendTime"},
      {"unclean.leader.election.enable", "true"},
      {"unclean.leader.election.enable", "false"},
  };
  for (const auto& [k, v] : ok) {
    auto e = ValidateTopicConfig(k, v, /*replication_factor=*/3);
    EXPECT_FALSE(e.has_value()) << k << "=" << v << ": " << e->message;
    EXPECT_TRUE(IsKnownTopicConfig(k));
  }
}

TEST(ValidateTopicConfig, RejectsUnknownKeysAndBadValuesWithInvalidConfig) {
  const std::pair<std::string, std::string> bad[] = {
      {"no.such.config", "1"},
      {"min.insync.replicas", "0"},
      {"min.insync.replicas", "4"},  // above the replication factor 3
      {"min.insync.replicas", "two"},
      {"retention.ms", "-2"},
      {"retention.ms", "1.5"},
      {"retention.bytes", "-5"},
      {"retention.bytes", ""},
      {"segment.bytes", "1023"},  // below kMinSegmentBytes
      {"segment.bytes", "14"},
      {"segment.bytes", "4294967296"},  // not an int
      {"segment.ms", "0"},
      {"flush.ms", "-1"},
      {"flush.messages", "0"},
      {"max.message.bytes", "-1"},
      {"cleanup.policy", "compactt"},
      {"cleanup.policy", ""},
      {"cleanup.policy", "delete,"},
      {"delete.retention.ms", "-1"},
      {"min.cleanable.dirty.ratio", "1.5"},
      {"min.cleanable.dirty.ratio", "-0.1"},
      {"min.cleanable.dirty.ratio", "half"},
      {"message.timestamp.type", "createtime"},
      {"message.timestamp.type", ""},
      {"unclean.leader.election.enable", "yes"},
      {"unclean.leader.election.enable", "1"},
  };
  for (const auto& [k, v] : bad) {
    auto e = ValidateTopicConfig(k, v, /*replication_factor=*/3);
    ASSERT_TRUE(e.has_value()) << k << "=" << v;
    EXPECT_EQ(e->code, INVALID_CONFIG) << k << "=" << v;
    EXPECT_NE(e->message.find(k), std::string::npos) << e->message;
  }
  EXPECT_FALSE(IsKnownTopicConfig("no.such.config"));
}

TEST(ValidateTopicConfigs, FirstBadEntryWins) {
  EXPECT_FALSE(ValidateTopicConfigs({}, 1).has_value());
  EXPECT_FALSE(ValidateTopicConfigs({{"retention.ms", "10"}, {"segment.bytes", "1024"}}, 1));
  auto e = ValidateTopicConfigs({{"retention.ms", "10"}, {"segment.bytes", "1"}}, 1);
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(e->message.find("segment.bytes"), std::string::npos);
  EXPECT_EQ(KnownTopicConfigs().size(), 13u);
}

TEST(ParseCleanupPolicy, ListsOfDeleteAndCompact) {
  EXPECT_TRUE(ParseCleanupPolicy("compact")->compact);
  EXPECT_FALSE(ParseCleanupPolicy("compact")->delete_old);
  auto both = ParseCleanupPolicy("compact,delete");
  ASSERT_TRUE(both.has_value());
  EXPECT_TRUE(both->compact && both->delete_old);
  EXPECT_FALSE(ParseCleanupPolicy("delete")->compact);
  EXPECT_FALSE(ParseCleanupPolicy("nope").has_value());
}

}  // namespace
}  // namespace keel::metadata

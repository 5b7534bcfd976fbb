// ControllerLogic's topic operations: every validation error and the records they propose.
#include <gtest/gtest.h>

#include <set>

#include "controller/logic/controller_logic.h"
#include "controller/logic/test_cluster.h"

namespace keel::controller {
namespace {

using testing::CheckInvariants;
using testing::TestCluster;

void ExpectError(const TopicResult& result, ErrorCode want) {
  EXPECT_EQ(result.error(), want) << result.name() << ": " << result.error_message();
  if (want != NONE) {
    // The message starts with the Kafka error name.
    EXPECT_EQ(result.error_message().rfind(ErrorCode_Name(want) + ": ", 0), 0u)
        << result.error_message();
  }
}

TEST(CreateTopics, ProposesTopicPartitionsAndConfigsSpreadEvenly) {
  TestCluster c(3);
  TopicsOutcome out = c.CreateTopic("orders", 6, 3, {{"retention.ms", "1000"}});
  ExpectError(out.results[0], NONE);
  // One TopicRecord, six PartitionRecords, one ConfigRecord, in that order.
  ASSERT_EQ(out.records.records_size(), 8);
  EXPECT_TRUE(out.records.records(0).has_topic());
  for (int i = 1; i <= 6; ++i) EXPECT_TRUE(out.records.records(i).has_partition());
  EXPECT_TRUE(out.records.records(7).has_config());

  const metadata::TopicInfo& t = c.Topic("orders");
  EXPECT_EQ(t.id.size(), 16u);
  EXPECT_EQ(out.results[0].topic_id(), t.id);
  EXPECT_EQ(t.configs.at("retention.ms"), "1000");
  std::map<int32_t, int> leaders;
  for (const auto& [p, info] : t.partitions) {
    EXPECT_EQ(info.replicas.size(), 3u);
    EXPECT_EQ(info.isr, info.replicas);
    EXPECT_EQ(info.leader, info.replicas[0]);
    EXPECT_EQ(info.leader_epoch, 0);
    ++leaders[info.leader];
  }
  EXPECT_EQ(leaders, (std::map<int32_t, int>{{1, 2}, {2, 2}, {3, 2}}));
  EXPECT_TRUE(CheckInvariants(c.image).empty());
}

TEST(CreateTopics, EveryValidationErrorHasItsKafkaCode) {
  TestCluster c(2);
  ExpectError(c.CreateTopic("orders", 1, 1).results[0], NONE);
  ExpectError(c.CreateTopic("metrics_cpu", 1, 1).results[0], NONE);
  struct Case {
    std::string name;
    int partitions, rf;
    std::map<std::string, std::string> configs;
    ErrorCode want;
  };
  const Case cases[] = {
      {"orders", 1, 1, {}, TOPIC_ALREADY_EXISTS},
      {"bad name", 1, 1, {}, INVALID_TOPIC_EXCEPTION},
      {"", 1, 1, {}, INVALID_TOPIC_EXCEPTION},
      {".", 1, 1, {}, INVALID_TOPIC_EXCEPTION},
      {"..", 1, 1, {}, INVALID_TOPIC_EXCEPTION},
      {std::string(250, 'x'), 1, 1, {}, INVALID_TOPIC_EXCEPTION},
      {"metrics.cpu", 1, 1, {}, INVALID_TOPIC_EXCEPTION},  // collides with metrics_cpu
      {"p0", 0, 1, {}, INVALID_PARTITIONS},
      {"pneg", -3, 1, {}, INVALID_PARTITIONS},
      {"phuge", 2'000'000'000, 1, {}, INVALID_PARTITIONS},
      {"r0", 1, 0, {}, INVALID_REPLICATION_FACTOR},
      {"r3", 1, 3, {}, INVALID_REPLICATION_FACTOR},  // only 2 brokers
      {"c1", 1, 2, {{"min.insync.replicas", "3"}}, INVALID_CONFIG},
      {"c2", 1, 1, {{"no.such.config", "1"}}, INVALID_CONFIG},
      {"c3", 1, 1, {{"retention.ms", "-5"}}, INVALID_CONFIG},
      {"c4", 1, 1, {{"cleanup.policy", "compacted"}}, INVALID_CONFIG},
  };
  const metadata::MetadataImage before = c.image;
  for (const Case& k : cases) {
    TopicsOutcome out = c.CreateTopic(k.name, k.partitions, k.rf, k.configs);
    ASSERT_EQ(out.results.size(), 1u);
    ExpectError(out.results[0], k.want);
    EXPECT_EQ(out.records.records_size(), 0) << k.name;
  }
  EXPECT_TRUE(c.image == before);
  ExpectError(c.CreateTopic("c5", 1, 2, {{"min.insync.replicas", "2"}}).results[0], NONE);
  EXPECT_EQ(c.Topic("c5").configs.at("min.insync.replicas"), "2");
}

TEST(CreateTopics, PerTopicResultsInOneRequest) {
  TestCluster c(3);
  CreateTopicsRequest req;
  auto add = [&](const std::string& name, int partitions) {
    auto* t = req.add_topics();
    t->set_name(name);
    t->set_num_partitions(partitions);
    t->set_replication_factor(2);
  };
  add("a.b", 2);
  add("a_b", 1);  // collides with a.b earlier in the same request
  add("dup", 1);
  add("dup", 1);  // listed twice: both fail
  add("bad!", 1);
  add("ok", 3);
  TopicsOutcome out = ControllerLogic::CreateTopics(c.image, req, 7);
  ASSERT_EQ(out.results.size(), 6u);
  ExpectError(out.results[0], NONE);
  ExpectError(out.results[1], INVALID_TOPIC_EXCEPTION);
  ExpectError(out.results[2], INVALID_REQUEST);
  ExpectError(out.results[3], INVALID_REQUEST);
  ExpectError(out.results[4], INVALID_TOPIC_EXCEPTION);
  ExpectError(out.results[5], NONE);
  EXPECT_NE(out.results[0].topic_id(), out.results[5].topic_id());
  c.Commit(out.records);
  EXPECT_EQ(c.image.topics_by_id().size(), 2u);
  EXPECT_EQ(c.Topic("ok").partitions.size(), 3u);

  // The same randomness against the same image proposes the same records (determinism).
  TopicsOutcome again = ControllerLogic::CreateTopics(c.image, req, 7);
  TopicsOutcome again2 = ControllerLogic::CreateTopics(c.image, req, 7);
  EXPECT_EQ(again.records.SerializeAsString(), again2.records.SerializeAsString());
}

TEST(CreateTopics, ValidateOnlyProposesNothing) {
  TestCluster c(1);
  CreateTopicsRequest req;
  req.set_validate_only(true);
  auto* t = req.add_topics();
  t->set_name("v");
  t->set_num_partitions(3);
  t->set_replication_factor(1);
  auto* bad = req.add_topics();
  bad->set_name("w");
  bad->set_num_partitions(1);
  bad->set_replication_factor(2);
  TopicsOutcome out = ControllerLogic::CreateTopics(c.image, req, 1);
  ExpectError(out.results[0], NONE);
  ExpectError(out.results[1], INVALID_REPLICATION_FACTOR);
  EXPECT_EQ(out.records.records_size(), 0);
}

TEST(CreateTopics, ReplicationFactorCountsOnlyUsableBrokers) {
  TestCluster c(3);
  c.Commit(c.Heartbeat(3, /*want_shutdown=*/false, /*want_fence=*/true).records);
  c.Commit(c.Heartbeat(2, /*want_shutdown=*/true).records);
  ExpectError(c.CreateTopic("two", 1, 2).results[0], INVALID_REPLICATION_FACTOR);
  ExpectError(c.CreateTopic("one", 4, 1).results[0], NONE);
  for (const auto& [p, info] : c.Topic("one").partitions) {
    EXPECT_EQ(info.replicas, std::vector<int32_t>{1});  // never the fenced or leaving ones
  }
}

TEST(DeleteTopics, RemovesTopicsAndReportsUnknownOnes) {
  TestCluster c(3);
  c.CreateTopic("t", 2, 2, {{"retention.ms", "5"}});
  c.CreateTopic("u", 1, 1);
  DeleteTopicsRequest del;
  del.add_names("t");
  del.add_names("missing");
  del.add_names("u");
  del.add_names("u");
  TopicsOutcome out = ControllerLogic::DeleteTopics(c.image, del);
  ASSERT_EQ(out.results.size(), 4u);
  ExpectError(out.results[0], NONE);
  EXPECT_EQ(out.results[0].topic_id(), c.Topic("t").id);
  ExpectError(out.results[1], UNKNOWN_TOPIC_OR_PARTITION);
  ExpectError(out.results[2], INVALID_REQUEST);
  ExpectError(out.results[3], INVALID_REQUEST);
  ASSERT_EQ(out.records.records_size(), 1);
  c.Commit(out.records);
  EXPECT_EQ(c.image.TopicByName("t"), nullptr);
  EXPECT_NE(c.image.TopicByName("u"), nullptr);
  // The name is free again, with a new id and none of the old configs.
  ExpectError(c.CreateTopic("t", 1, 1).results[0], NONE);
  EXPECT_TRUE(c.Topic("t").configs.empty());
}

TEST(CreatePartitions, GrowsOnlyAndKeepsTheReplicationFactor) {
  TestCluster c(3);
  c.CreateTopic("t", 2, 2);
  CreatePartitionsRequest grow;
  grow.set_topic("t");
  for (int bad : {2, 1, 0, -1}) {
    grow.set_new_total_count(bad);
    TopicsOutcome out = ControllerLogic::CreatePartitions(c.image, grow, 1);
    ExpectError(out.results[0], INVALID_PARTITIONS);
    EXPECT_EQ(out.records.records_size(), 0);
  }
  grow.set_new_total_count(2'000'000'000);
  ExpectError(ControllerLogic::CreatePartitions(c.image, grow, 1).results[0], INVALID_PARTITIONS);
  grow.set_new_total_count(5);
  TopicsOutcome grown = ControllerLogic::CreatePartitions(c.image, grow, 1);
  ExpectError(grown.results[0], NONE);
  EXPECT_EQ(grown.results[0].topic_id(), c.Topic("t").id);
  EXPECT_EQ(grown.records.records_size(), 3);
  c.Commit(grown.records);
  ASSERT_EQ(c.Topic("t").partitions.size(), 5u);
  for (const auto& [p, info] : c.Topic("t").partitions) EXPECT_EQ(info.replicas.size(), 2u);
  EXPECT_TRUE(CheckInvariants(c.image).empty());

  grow.set_topic("missing");
  ExpectError(ControllerLogic::CreatePartitions(c.image, grow, 1).results[0],
              UNKNOWN_TOPIC_OR_PARTITION);
  // Replication factor 2 needs two usable brokers.
  c.Commit(c.Heartbeat(1, false, true).records);
  c.Commit(c.Heartbeat(2, false, true).records);
  grow.set_topic("t");
  grow.set_new_total_count(6);
  ExpectError(ControllerLogic::CreatePartitions(c.image, grow, 1).results[0],
              INVALID_REPLICATION_FACTOR);
}

TEST(AlterConfigs, SetsAndDeletesValidatedKeys) {
  TestCluster c(3);
  c.CreateTopic("t", 1, 2, {{"retention.ms", "5"}});
  AlterConfigsRequest req;
  req.set_topic("t");
  (*req.mutable_set())["segment.bytes"] = "1024";
  (*req.mutable_set())["min.insync.replicas"] = "2";
  req.add_delete_("retention.ms");
  req.add_delete_("flush.ms");  // known but not set: nothing to delete
  TopicsOutcome out = ControllerLogic::AlterConfigs(c.image, req);
  ExpectError(out.results[0], NONE);
  EXPECT_EQ(out.records.records_size(), 3);
  c.Commit(out.records);
  EXPECT_EQ(c.Topic("t").configs,
            (metadata::ConfigMap{{"min.insync.replicas", "2"}, {"segment.bytes", "1024"}}));

  const metadata::MetadataImage before = c.image;
  auto expect = [&](const AlterConfigsRequest& r, ErrorCode want) {
    TopicsOutcome o = ControllerLogic::AlterConfigs(c.image, r);
    ExpectError(o.results[0], want);
    EXPECT_EQ(o.records.records_size(), 0);
  };
  AlterConfigsRequest bad;
  bad.set_topic("t");
  (*bad.mutable_set())["min.insync.replicas"] = "3";  // above replication factor 2
  expect(bad, INVALID_CONFIG);
  bad.clear_set();
  (*bad.mutable_set())["what.ever"] = "1";
  expect(bad, INVALID_CONFIG);
  bad.clear_set();
  bad.add_delete_("what.ever");
  expect(bad, INVALID_CONFIG);
  bad.clear_delete_();
  (*bad.mutable_set())["retention.ms"] = "1";
  bad.add_delete_("retention.ms");
  expect(bad, INVALID_REQUEST);
  bad.set_topic("missing");
  expect(bad, UNKNOWN_TOPIC_OR_PARTITION);
  EXPECT_TRUE(c.image == before);
}

}  // namespace
}  // namespace keel::controller

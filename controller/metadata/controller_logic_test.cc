// The metadata state machine and the active controller's validation, one test per rule.
#include "controller/metadata/controller_logic.h"

#include <gtest/gtest.h>

#include "controller/metadata/topic_validation.h"

namespace keel::controller {
namespace {

// An image with `brokers` registered and unfenced brokers, built by applying records the
// way a controller would (one batch per offset).
class Cluster {
 public:
  explicit Cluster(int brokers) {
    for (int id = 1; id <= brokers; ++id) {
      RegisterBrokerRequest req;
      req.set_broker_id(id);
      req.set_incarnation_id("inc-" + std::to_string(id));
      auto* e = req.add_endpoints();
      e->set_host("127.0.0.1");
      e->set_port(9000 + id);
      auto reg = ControllerLogic::RegisterBroker(image, heartbeats, req, now_ms);
      EXPECT_TRUE(reg.ok());
      Commit(reg->records);
      BrokerHeartbeatRequest hb;
      hb.set_broker_id(id);
      hb.set_broker_epoch(image.Broker(id)->epoch);
      hb.set_current_metadata_offset(image.applied_offset());
      Commit(ControllerLogic::BrokerHeartbeat(image, heartbeats, hb, now_ms).records);
    }
  }
  void Commit(const metadata::MetadataRecordBatch& batch) {
    absl::Status s = image.ApplyBatch(batch, ++offset, &changes);
    ASSERT_TRUE(s.ok()) << s;
    log.push_back({offset, batch});
  }
  TopicsOutcome Create(const std::string& name, int partitions, int rf,
                       std::map<std::string, std::string> configs = {}) {
    CreateTopicsRequest req;
    auto* t = req.add_topics();
    t->set_name(name);
    t->set_num_partitions(partitions);
    t->set_replication_factor(rf);
    for (auto& [k, v] : configs) (*t->mutable_configs())[k] = v;
    TopicsOutcome out = ControllerLogic::CreateTopics(image, req, ++random);
    if (out.records.records_size() > 0) Commit(out.records);
    return out;
  }

  MetadataImage image;
  BrokerHeartbeatTracker heartbeats{9000};
  ImageChanges changes;
  std::vector<std::pair<int64_t, metadata::MetadataRecordBatch>> log;
  int64_t offset = 0;
  uint64_t random = 0;
  int64_t now_ms = 1'000'000;
};

TEST(TopicNames, KafkaRules) {
  EXPECT_FALSE(ValidateTopicName("orders.v1_x-2").has_value());
  for (std::string bad : {std::string(""), std::string("."), std::string(".."),
                          std::string(250, 'a'), std::string("a b"), std::string("ünï")}) {
    auto e = ValidateTopicName(bad);
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_EQ(e->code, INVALID_TOPIC_EXCEPTION);
  }
  EXPECT_FALSE(ValidateTopicName(std::string(249, 'a')).has_value());
}

TEST(CreateTopics, PlacesReplicasAndLeadersEvenly) {
  Cluster c(3);
  TopicsOutcome out = c.Create("orders", 6, 3);
  ASSERT_EQ(out.results[0].error(), NONE);
  const TopicInfo* t = c.image.TopicByName("orders");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->partitions.size(), 6u);
  std::map<int32_t, int> leaders;
  for (const auto& [p, info] : t->partitions) {
    EXPECT_EQ(info.replicas.size(), 3u);
    EXPECT_EQ(std::set<int32_t>(info.replicas.begin(), info.replicas.end()).size(), 3u);
    EXPECT_EQ(info.isr, info.replicas);
    EXPECT_EQ(info.leader, info.replicas[0]);
    ++leaders[info.leader];
  }
  EXPECT_EQ(leaders.size(), 3u);
  for (const auto& [id, n] : leaders) EXPECT_EQ(n, 2) << "broker " << id;
}

TEST(CreateTopics, EveryValidationErrorHasItsKafkaCode) {
  Cluster c(2);
  ASSERT_EQ(c.Create("orders", 1, 1).results[0].error(), NONE);
  struct Case {
    std::string name;
    int partitions, rf;
    std::map<std::string, std::string> configs;
    ErrorCode want;
  };
  std::vector<Case> cases = {
      {"orders", 1, 1, {}, TOPIC_ALREADY_EXISTS},
      {"bad name", 1, 1, {}, INVALID_TOPIC_EXCEPTION},
      {"..", 1, 1, {}, INVALID_TOPIC_EXCEPTION},
      {"orders_x", 1, 1, {}, NONE},
      {"orders.x", 1, 1, {}, INVALID_TOPIC_EXCEPTION},  // collides with orders_x
      {"p0", 0, 1, {}, INVALID_PARTITIONS},
      {"r0", 1, 0, {}, INVALID_REPLICATION_FACTOR},
      {"r3", 1, 3, {}, INVALID_REPLICATION_FACTOR},  // only 2 brokers
      {"c1", 1, 2, {{"min.insync.replicas", "3"}}, INVALID_CONFIG},
      {"c2", 1, 1, {{"no.such.config", "1"}}, INVALID_CONFIG},
      {"c3", 1, 1, {{"retention.ms", "-5"}}, INVALID_CONFIG},
      {"c4", 1, 2, {{"min.insync.replicas", "2"}}, NONE},
  };
  for (const Case& k : cases) {
    TopicsOutcome out = c.Create(k.name, k.partitions, k.rf, k.configs);
    EXPECT_EQ(out.results[0].error(), k.want) << k.name << ": " << out.results[0].error_message();
    if (k.want != NONE) {
      EXPECT_EQ(out.records.records_size(), 0) << k.name;
      EXPECT_EQ(out.results[0].error_message().rfind(ErrorCode_Name(k.want) + ":", 0), 0u)
          << out.results[0].error_message();
    }
  }
  EXPECT_EQ(c.image.TopicByName("c4")->configs.at("min.insync.replicas"), "2");
}

TEST(DeleteAndCreatePartitions, ErrorsAndEffects) {
  Cluster c(3);
  c.Create("t", 2, 2);
  CreatePartitionsRequest grow;
  grow.set_topic("t");
  grow.set_new_total_count(2);
  EXPECT_EQ(ControllerLogic::CreatePartitions(c.image, grow, 1).results[0].error(), INVALID_PARTITIONS);
  grow.set_new_total_count(5);
  TopicsOutcome grown = ControllerLogic::CreatePartitions(c.image, grow, 1);
  ASSERT_EQ(grown.results[0].error(), NONE);
  c.Commit(grown.records);
  EXPECT_EQ(c.image.TopicByName("t")->partitions.size(), 5u);
  grow.set_topic("missing");
  EXPECT_EQ(ControllerLogic::CreatePartitions(c.image, grow, 1).results[0].error(),
            UNKNOWN_TOPIC_OR_PARTITION);

  DeleteTopicsRequest del;
  del.add_names("t");
  del.add_names("missing");
  TopicsOutcome deleted = ControllerLogic::DeleteTopics(c.image, del);
  EXPECT_EQ(deleted.results[0].error(), NONE);
  EXPECT_EQ(deleted.results[1].error(), UNKNOWN_TOPIC_OR_PARTITION);
  c.Commit(deleted.records);
  EXPECT_EQ(c.image.TopicByName("t"), nullptr);
  EXPECT_EQ(c.Create("t", 1, 1).results[0].error(), NONE);  // the name is free again
}

TEST(Brokers, StartFencedUnfenceWhenCaughtUpAndRejectSecondLiveIncarnation) {
  Cluster c(0);
  RegisterBrokerRequest req;
  req.set_broker_id(5);
  req.set_incarnation_id("first");
  auto reg = ControllerLogic::RegisterBroker(c.image, c.heartbeats, req, c.now_ms);
  ASSERT_TRUE(reg.ok());
  c.Commit(reg->records);
  const BrokerInfo* b = c.image.Broker(5);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->fenced);
  EXPECT_EQ(b->epoch, c.offset);  // the broker epoch is the registration's offset

  req.set_incarnation_id("second");
  auto dup = ControllerLogic::RegisterBroker(c.image, c.heartbeats, req, c.now_ms + 1000);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code, DUPLICATE_BROKER_REGISTRATION);

  BrokerHeartbeatRequest hb;
  hb.set_broker_id(5);
  hb.set_broker_epoch(b->epoch);
  hb.set_current_metadata_offset(b->epoch - 1);  // not caught up yet
  auto behind = ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms);
  EXPECT_TRUE(behind.response.is_fenced());
  EXPECT_EQ(behind.records.records_size(), 0);
  hb.set_current_metadata_offset(b->epoch);
  auto caught_up = ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms);
  EXPECT_FALSE(caught_up.response.is_fenced());
  c.Commit(caught_up.records);
  EXPECT_FALSE(c.image.Broker(5)->fenced);

  hb.set_broker_epoch(999);  // not the registration's epoch
  EXPECT_EQ(ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms).response.error(),
            STALE_BROKER_EPOCH);

  // After the first incarnation's session lapses, a new one may register.
  auto later = ControllerLogic::RegisterBroker(c.image, c.heartbeats, req, c.now_ms + 10'000);
  EXPECT_TRUE(later.ok());
}

TEST(Brokers, LapsedSessionFencesAndMovesLeadershipWithinTheIsr) {
  Cluster c(3);
  c.Create("t", 3, 3);
  c.heartbeats.Touch(1, c.now_ms + 8000);
  c.heartbeats.Touch(2, c.now_ms + 8000);  // broker 3 stays silent
  auto batch = ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, c.now_ms + 9500);
  c.Commit(batch);
  EXPECT_TRUE(c.image.Broker(3)->fenced);
  EXPECT_FALSE(c.image.Broker(1)->fenced);
  for (const auto& [p, info] : c.image.TopicByName("t")->partitions) {
    EXPECT_NE(info.leader, 3);
    EXPECT_EQ(std::count(info.isr.begin(), info.isr.end(), 3), 0);
    EXPECT_EQ(info.isr.size(), 2u);
  }
  // Nothing more to fence on the next check.
  EXPECT_EQ(ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, c.now_ms + 9600).records_size(), 0);
}

TEST(Brokers, SoleIsrMemberFencedLeavesPartitionOfflineUntilItReturns) {
  Cluster c(2);
  c.Create("solo", 1, 1);
  int32_t leader = c.image.TopicByName("solo")->partitions.at(0).leader;
  int32_t other = leader == 1 ? 2 : 1;
  c.heartbeats.Touch(other, c.now_ms + 9000);
  c.Commit(ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, c.now_ms + 9500));
  const PartitionInfo& p = c.image.TopicByName("solo")->partitions.at(0);
  EXPECT_EQ(p.leader, -1);  // no unclean election
  EXPECT_EQ(p.isr, std::vector<int32_t>{leader});
  BrokerHeartbeatRequest hb;
  hb.set_broker_id(leader);
  hb.set_broker_epoch(c.image.Broker(leader)->epoch);
  hb.set_current_metadata_offset(c.image.applied_offset());
  c.Commit(ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms + 9600).records);
  EXPECT_EQ(c.image.TopicByName("solo")->partitions.at(0).leader, leader);
}

TEST(Brokers, ControlledShutdownMovesLeadershipsThenGrantsShutdown) {
  Cluster c(3);
  c.Create("t", 3, 3);
  BrokerHeartbeatRequest hb;
  hb.set_broker_id(2);
  hb.set_broker_epoch(c.image.Broker(2)->epoch);
  hb.set_current_metadata_offset(c.image.applied_offset());
  hb.set_want_shutdown(true);
  auto out = ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, c.now_ms);
  EXPECT_TRUE(out.response.should_shut_down());
  c.Commit(out.records);
  EXPECT_TRUE(c.image.Broker(2)->in_controlled_shutdown);
  for (const auto& [p, info] : c.image.TopicByName("t")->partitions) EXPECT_NE(info.leader, 2);
}

TEST(AlterPartition, ChecksLeaderEpochsAndMembers) {
  Cluster c(3);
  c.Create("t", 1, 3);
  const PartitionInfo p = c.image.TopicByName("t")->partitions.at(0);
  AlterPartitionRequest req;
  req.set_broker_id(p.leader);
  req.set_broker_epoch(c.image.Broker(p.leader)->epoch);
  req.set_topic_id(c.image.TopicByName("t")->id);
  req.set_partition(0);
  req.set_leader_epoch(p.leader_epoch);
  req.set_partition_epoch(p.partition_epoch);
  req.add_new_isr(p.leader);
  auto ok = ControllerLogic::AlterPartition(c.image, req);
  ASSERT_TRUE(ok.ok());
  c.Commit(ok->records);
  EXPECT_EQ(c.image.TopicByName("t")->partitions.at(0).isr, std::vector<int32_t>{p.leader});
  EXPECT_EQ(c.image.TopicByName("t")->partitions.at(0).partition_epoch, p.partition_epoch + 1);
  // The same request again carries a stale partition epoch.
  EXPECT_EQ(ControllerLogic::AlterPartition(c.image, req).status().code, INVALID_UPDATE_VERSION);
  req.set_partition_epoch(p.partition_epoch + 1);
  req.set_leader_epoch(p.leader_epoch + 5);
  EXPECT_EQ(ControllerLogic::AlterPartition(c.image, req).status().code, FENCED_LEADER_EPOCH);
  req.set_leader_epoch(p.leader_epoch);
  req.clear_new_isr();
  req.add_new_isr(p.leader);
  req.add_new_isr(99);
  EXPECT_EQ(ControllerLogic::AlterPartition(c.image, req).status().code, INVALID_REQUEST);
  req.set_broker_id(p.replicas[1]);
  req.set_broker_epoch(c.image.Broker(p.replicas[1])->epoch);
  EXPECT_EQ(ControllerLogic::AlterPartition(c.image, req).status().code, NOT_LEADER_OR_FOLLOWER);
  req.set_broker_epoch(12345);
  EXPECT_EQ(ControllerLogic::AlterPartition(c.image, req).status().code, STALE_BROKER_EPOCH);
}

TEST(MetadataImage, DeterministicAndRebuildableFromRecordsAndChanges) {
  Cluster c(3);
  c.Create("a", 3, 2, {{"retention.ms", "1000"}});
  c.Create("b", 1, 3);
  DeleteTopicsRequest del;
  del.add_names("b");
  c.Commit(ControllerLogic::DeleteTopics(c.image, del).records);
  // Another node applying the same log ends with an equal image.
  MetadataImage replica;
  for (const auto& [offset, batch] : c.log) ASSERT_TRUE(replica.ApplyBatch(batch, offset).ok());
  EXPECT_TRUE(replica == c.image);
  // The snapshot form rebuilds it.
  auto rebuilt = MetadataImage::FromRecords(c.image.ToRecords(), c.image.applied_offset());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_TRUE(*rebuilt == c.image);
  EXPECT_EQ(rebuilt->Broker(2)->epoch, c.image.Broker(2)->epoch);
  // So does replaying only the latest state of each changed entity (the LevelDB form).
  std::map<std::string, std::optional<metadata::MetadataRecord>> stored;
  for (const auto& ch : c.changes.changes) stored[ch.key] = ch.record;
  std::vector<metadata::MetadataRecord> records;
  for (const auto& [k, r] : stored) {
    if (r) records.push_back(*r);
  }
  auto from_changes = MetadataImage::FromRecords(records, c.image.applied_offset());
  ASSERT_TRUE(from_changes.ok()) << from_changes.status();
  EXPECT_TRUE(*from_changes == c.image);
  // An invalid record is an error, not a crash, and changes nothing.
  metadata::MetadataRecord bad;
  bad.mutable_partition_change()->set_topic_id("nope");
  EXPECT_FALSE(c.image.Apply(bad, 1000).ok());
  EXPECT_TRUE(replica == c.image);
}

}  // namespace
}  // namespace keel::controller

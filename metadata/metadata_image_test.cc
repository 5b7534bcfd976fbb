// The metadata state machine: records applied directly, without ControllerLogic.
#include "metadata/metadata_image.h"

#include <gtest/gtest.h>

#include "metadata/image_records.h"

namespace keel::metadata {
namespace {

const std::string kTopicId =
    std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);

MetadataRecord Register(int32_t id, const std::string& incarnation, bool fenced = true) {
  MetadataRecord r;
  r.mutable_register_broker()->set_broker_id(id);
  r.mutable_register_broker()->set_incarnation_id(incarnation);
  r.mutable_register_broker()->set_rack("r" + std::to_string(id % 2));
  r.mutable_register_broker()->set_fenced(fenced);
  auto* e = r.mutable_register_broker()->add_endpoints();
  e->set_name("DATA");
  e->set_host("h" + std::to_string(id));
  e->set_port(9092);
  return r;
}

MetadataRecord BrokerChange(int32_t id, int64_t epoch, metadata::FencingChange fencing,
                            bool shutdown = false) {
  MetadataRecord r;
  auto* c = r.mutable_broker_registration_change();
  c->set_broker_id(id);
  c->set_broker_epoch(epoch);
  c->set_fencing(fencing);
  if (shutdown) c->set_controlled_shutdown(metadata::CONTROLLED_SHUTDOWN_REQUESTED);
  return r;
}

MetadataRecord Topic(const std::string& name, const std::string& id = kTopicId) {
  MetadataRecord r;
  r.mutable_topic()->set_name(name);
  r.mutable_topic()->set_topic_id(id);
  return r;
}

MetadataRecord Partition(int32_t p, std::vector<int32_t> replicas, std::vector<int32_t> isr,
                         int32_t leader, const std::string& id = kTopicId) {
  MetadataRecord r;
  auto* pr = r.mutable_partition();
  pr->set_topic_id(id);
  pr->set_partition_id(p);
  for (int32_t b : replicas) pr->add_replicas(b);
  for (int32_t b : isr) pr->add_isr(b);
  pr->set_leader(leader);
  return r;
}

MetadataRecord Change(int32_t p, std::optional<int32_t> leader,
                      std::optional<std::vector<int32_t>> isr) {
  MetadataRecord r;
  auto* c = r.mutable_partition_change();
  c->set_topic_id(kTopicId);
  c->set_partition_id(p);
  if (leader) c->set_leader(*leader);
  if (isr) {
    c->mutable_isr();
    for (int32_t b : *isr) c->mutable_isr()->add_ids(b);
  }
  return r;
}

MetadataRecord Config(const std::string& topic, const std::string& key,
                      std::optional<std::string> value,
                      metadata::ConfigResourceType type = metadata::CONFIG_RESOURCE_TOPIC) {
  return ConfigRecordOf(type, topic, key, value ? &*value : nullptr);
}

MetadataRecordBatch Batch(std::vector<MetadataRecord> records) {
  MetadataRecordBatch b;
  for (auto& r : records) *b.add_records() = std::move(r);
  return b;
}

// Three unfenced brokers registered at offsets 1-3 and topic "t" with two partitions at 4.
MetadataImage BaseImage() {
  MetadataImage image;
  for (int32_t id = 1; id <= 3; ++id) {
    EXPECT_TRUE(image.Apply(Register(id, "inc" + std::to_string(id), false), id).ok());
  }
  EXPECT_TRUE(image
                  .ApplyBatch(Batch({Topic("t"), Partition(0, {1, 2, 3}, {1, 2, 3}, 1),
                                     Partition(1, {2, 3, 1}, {2, 3, 1}, 2)}),
                              4)
                  .ok());
  return image;
}

TEST(MetadataImage, BrokerEpochIsTheRegistrationOffset) {
  MetadataImage image;
  ASSERT_TRUE(image.Apply(Register(7, "a"), 42).ok());
  const BrokerInfo* b = image.Broker(7);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->epoch, 42);
  EXPECT_TRUE(b->fenced);
  EXPECT_EQ(b->rack, "r1");
  EXPECT_EQ(image.applied_offset(), 42);
  // A new registration of the id replaces the old one with a new epoch.
  ASSERT_TRUE(image.Apply(Register(7, "b"), 50).ok());
  EXPECT_EQ(image.Broker(7)->epoch, 50);
  EXPECT_EQ(image.Broker(7)->incarnation_id, "b");
  // The snapshot form carries its epoch, whatever the offset it is applied at.
  MetadataImage rebuilt;
  ASSERT_TRUE(rebuilt.Apply(BrokerRecordOf(*image.Broker(7)), 99).ok());
  EXPECT_EQ(rebuilt.Broker(7)->epoch, 50);
}

TEST(MetadataImage, RegistrationChangesNeedTheCurrentEpoch) {
  MetadataImage image;
  ASSERT_TRUE(image.Apply(Register(1, "a"), 10).ok());
  ASSERT_TRUE(image.Apply(BrokerChange(1, 10, metadata::UNFENCE), 11).ok());
  EXPECT_FALSE(image.Broker(1)->fenced);
  const MetadataImage before = image;
  EXPECT_FALSE(image.Apply(BrokerChange(1, 9, metadata::FENCE), 12).ok());   // stale epoch
  EXPECT_FALSE(image.Apply(BrokerChange(2, 10, metadata::FENCE), 12).ok());  // unknown broker
  EXPECT_TRUE(image == before);
  ASSERT_TRUE(image.Apply(BrokerChange(1, 10, metadata::FENCING_NONE, true), 13).ok());
  EXPECT_TRUE(image.Broker(1)->in_controlled_shutdown);
  EXPECT_FALSE(image.Broker(1)->usable());
  ASSERT_TRUE(image.Apply(BrokerChange(1, 10, metadata::FENCE), 14).ok());
  EXPECT_TRUE(image.Broker(1)->fenced);
  EXPECT_TRUE(image.Broker(1)->in_controlled_shutdown);  // only a new registration ends it
  EXPECT_TRUE(image.UsableBrokers().empty());

  MetadataRecord unregister;
  unregister.mutable_unregister_broker()->set_broker_id(1);
  unregister.mutable_unregister_broker()->set_broker_epoch(3);
  EXPECT_FALSE(image.Apply(unregister, 15).ok());
  unregister.mutable_unregister_broker()->set_broker_epoch(10);
  ASSERT_TRUE(image.Apply(unregister, 15).ok());
  EXPECT_EQ(image.Broker(1), nullptr);
}

TEST(MetadataImage, PartitionChangeBumpsPartitionEpochAlwaysAndLeaderEpochOnLeaderChange) {
  MetadataImage image = BaseImage();
  const PartitionInfo p0 = *image.Partition(kTopicId, 0);
  EXPECT_EQ(p0.leader_epoch, 0);
  EXPECT_EQ(p0.partition_epoch, 0);

  ASSERT_TRUE(image.Apply(Change(0, std::nullopt, std::vector<int32_t>{1, 2}), 5).ok());
  EXPECT_EQ(image.Partition(kTopicId, 0)->isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(image.Partition(kTopicId, 0)->leader_epoch, 0);  // an ISR shrink keeps it
  EXPECT_EQ(image.Partition(kTopicId, 0)->partition_epoch, 1);

  ASSERT_TRUE(image.Apply(Change(0, 1, std::nullopt), 6).ok());  // the same leader
  EXPECT_EQ(image.Partition(kTopicId, 0)->leader_epoch, 0);
  EXPECT_EQ(image.Partition(kTopicId, 0)->partition_epoch, 2);

  ASSERT_TRUE(image.Apply(Change(0, 2, std::vector<int32_t>{2}), 7).ok());
  EXPECT_EQ(image.Partition(kTopicId, 0)->leader, 2);
  EXPECT_EQ(image.Partition(kTopicId, 0)->leader_epoch, 1);
  EXPECT_EQ(image.Partition(kTopicId, 0)->partition_epoch, 3);

  ASSERT_TRUE(image.Apply(Change(0, kNoLeader, std::nullopt), 8).ok());  // offline
  EXPECT_EQ(image.Partition(kTopicId, 0)->leader, kNoLeader);
  EXPECT_EQ(image.Partition(kTopicId, 0)->leader_epoch, 2);
  EXPECT_EQ(*image.Partition(kTopicId, 1), (PartitionInfo{{2, 3, 1}, {2, 3, 1}, 2, 0, 0}));
}

TEST(MetadataImage, InvalidRecordsAreRejectedAndChangeNothing) {
  MetadataImage image = BaseImage();
  const MetadataImage before = image;
  ImageChanges changes;
  const MetadataRecord bad[] = {
      MetadataRecord(),                                     // no record
      Change(0, 4, std::nullopt),                           // leader outside the ISR
      Change(0, std::nullopt, std::vector<int32_t>{2, 3}),  // ISR without the leader 1
      Change(0, std::nullopt, std::vector<int32_t>{}),      // empty ISR
      Change(0, std::nullopt, std::vector<int32_t>{1, 9}),  // ISR member not a replica
      Change(0, std::nullopt, std::vector<int32_t>{1, 1}),  // duplicate ISR member
      Change(5, 1, std::nullopt),                           // unknown partition
      Partition(2, {}, {}, kNoLeader),                      // no replicas
      Partition(2, {1, 1}, {1}, 1),                         // duplicate replicas
      Partition(-1, {1}, {1}, 1),                           // negative partition id
      Partition(0, {1}, {1}, 1, "unknown-topic-id"),        // unknown topic
      Topic("t", "another-topic-id"),                       // name taken
      Topic("u"),                                           // id taken
      Topic(""),                                            // no name
      Config("missing", "retention.ms", "1"),               // unknown topic
      Config("t", "retention.ms", "1", metadata::CONFIG_RESOURCE_UNKNOWN),
  };
  for (const MetadataRecord& r : bad) {
    EXPECT_FALSE(image.Apply(r, 100, &changes).ok()) << r.ShortDebugString();
  }
  MetadataRecord remove;
  remove.mutable_remove_topic()->set_topic_id("nope");
  EXPECT_FALSE(image.Apply(remove, 100, &changes).ok());
  EXPECT_TRUE(image == before);
  EXPECT_EQ(image.applied_offset(), 4);
  EXPECT_TRUE(changes.changes.empty());
}

TEST(MetadataImage, BatchIsAtomic) {
  MetadataImage image = BaseImage();
  const MetadataImage before = image;
  ImageChanges changes;
  const std::string id2(16, 'x');
  // Valid records (a new topic, a config, an ISR change) followed by an invalid one.
  MetadataRecordBatch batch =
      Batch({Topic("u", id2), Partition(0, {1}, {1}, 1, id2), Config("u", "retention.ms", "5"),
             Change(0, std::nullopt, std::vector<int32_t>{1}), Register(9, "nine"),
             Config("", "log.dirs", "/x", metadata::CONFIG_RESOURCE_BROKER),
             BrokerChange(1, 1, metadata::FENCE), Partition(1, {1}, {2}, 1, id2)});
  absl::Status s = image.ApplyBatch(batch, 5, &changes);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("record 7"), std::string::npos) << s;
  EXPECT_TRUE(image == before);
  EXPECT_TRUE(changes.changes.empty());
  EXPECT_EQ(image.TopicByName("u"), nullptr);
  EXPECT_EQ(image.Partition(kTopicId, 0)->isr, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(image.Broker(9), nullptr);
  EXPECT_FALSE(image.Broker(1)->fenced);
  EXPECT_TRUE(image.broker_configs().empty());

  // A removal rolled back restores the whole topic.
  MetadataRecord remove;
  remove.mutable_remove_topic()->set_topic_id(kTopicId);
  EXPECT_FALSE(image
                   .ApplyBatch(Batch({Config("t", "retention.ms", "7"), remove, Topic("t", id2),
                                      Config("t", "segment.ms", "bad-but-unchecked"),
                                      Change(0, 1, std::nullopt)}),
                               5, &changes)
                   .ok());
  EXPECT_TRUE(image == before);
  EXPECT_TRUE(changes.changes.empty());

  // Without the bad record the batch applies whole, at one offset.
  batch.mutable_records()->RemoveLast();
  ASSERT_TRUE(image.ApplyBatch(batch, 5, &changes).ok());
  EXPECT_EQ(image.applied_offset(), 5);
  EXPECT_EQ(image.Broker(9)->epoch, 5);
  EXPECT_EQ(image.TopicByName("u")->configs.at("retention.ms"), "5");
  EXPECT_EQ(image.Partition(kTopicId, 0)->partition_epoch, 1);
  EXPECT_EQ(image.broker_configs().at("").at("log.dirs"), "/x");
}

TEST(MetadataImage, RemoveTopicDropsPartitionsAndConfigsAndFreesTheName) {
  MetadataImage image = BaseImage();
  ASSERT_TRUE(image.Apply(Config("t", "retention.ms", "1000"), 5).ok());
  ImageChanges changes;
  MetadataRecord remove;
  remove.mutable_remove_topic()->set_topic_id(kTopicId);
  ASSERT_TRUE(image.Apply(remove, 6, &changes).ok());
  EXPECT_EQ(image.TopicByName("t"), nullptr);
  EXPECT_EQ(image.TopicById(kTopicId), nullptr);
  EXPECT_EQ(image.Partition(kTopicId, 0), nullptr);
  std::set<std::string> deleted;
  for (const auto& c : changes.changes) {
    EXPECT_FALSE(c.record.has_value()) << c.key;
    deleted.insert(c.key);
  }
  const std::string hex = "0102030405060708090a0b0c0d0e0f10";
  EXPECT_EQ(deleted,
            (std::set<std::string>{"topic/" + hex, "partition/" + hex + "/0",
                                   "partition/" + hex + "/1", "config/topic/t/retention.ms"}));
  ASSERT_TRUE(image
                  .ApplyBatch(Batch({Topic("t", std::string(16, 'n')),
                                     Partition(0, {3}, {3}, 3, std::string(16, 'n'))}),
                              7)
                  .ok());
  EXPECT_TRUE(image.TopicByName("t")->configs.empty());  // old configs do not come back
}

TEST(MetadataImage, ConfigsSetAndDelete) {
  MetadataImage image = BaseImage();
  ImageChanges changes;
  ASSERT_TRUE(image.Apply(Config("t", "retention.ms", "1000"), 5, &changes).ok());
  ASSERT_TRUE(image.Apply(Config("t", "retention.ms", "2000"), 6, &changes).ok());
  ASSERT_TRUE(
      image.Apply(Config("1", "x", "y", metadata::CONFIG_RESOURCE_BROKER), 7, &changes).ok());
  EXPECT_EQ(image.TopicByName("t")->configs, (ConfigMap{{"retention.ms", "2000"}}));
  EXPECT_EQ(image.broker_configs().at("1"), (ConfigMap{{"x", "y"}}));
  ASSERT_TRUE(image.Apply(Config("t", "retention.ms", std::nullopt), 8, &changes).ok());
  ASSERT_TRUE(
      image.Apply(Config("1", "x", std::nullopt, metadata::CONFIG_RESOURCE_BROKER), 9, &changes)
          .ok());
  EXPECT_TRUE(image.TopicByName("t")->configs.empty());
  EXPECT_TRUE(image.broker_configs().empty());
  ASSERT_EQ(changes.changes.size(), 5u);
  EXPECT_EQ(changes.changes[0].key, "config/topic/t/retention.ms");
  EXPECT_EQ(changes.changes[1].record->config().value(), "2000");
  EXPECT_EQ(changes.changes[2].key, "config/broker/1/x");
  EXPECT_FALSE(changes.changes[3].record.has_value());
  EXPECT_FALSE(changes.changes[4].record.has_value());
}

TEST(MetadataImage, ChangesCarryFullStateUnderStableKeys) {
  MetadataImage image;
  ImageChanges changes;
  ASSERT_TRUE(image.Apply(Register(1, "a"), 1, &changes).ok());
  ASSERT_TRUE(image.Apply(BrokerChange(1, 1, metadata::UNFENCE), 2, &changes).ok());
  ASSERT_TRUE(image.ApplyBatch(Batch({Topic("t"), Partition(0, {1}, {1}, 1)}), 3, &changes).ok());
  ASSERT_TRUE(image.Apply(Change(0, kNoLeader, std::nullopt), 4, &changes).ok());
  MetadataRecord lc;
  lc.mutable_leader_change()->set_leader_id(2);
  lc.mutable_leader_change()->set_leader_epoch(5);
  ASSERT_TRUE(image.Apply(lc, 5, &changes).ok());
  ASSERT_EQ(changes.changes.size(), 6u);
  const std::string hex = "0102030405060708090a0b0c0d0e0f10";
  EXPECT_EQ(changes.changes[0].key, "broker/1");
  EXPECT_EQ(changes.changes[1].key, "broker/1");
  // The change record becomes the full registration, now unfenced, with its epoch.
  const auto& broker = changes.changes[1].record->register_broker();
  EXPECT_FALSE(broker.fenced());
  EXPECT_EQ(broker.broker_epoch(), 1);
  EXPECT_EQ(changes.changes[2].key, "topic/" + hex);
  EXPECT_EQ(changes.changes[3].key, "partition/" + hex + "/0");
  EXPECT_EQ(changes.changes[4].key, "partition/" + hex + "/0");
  const auto& partition = changes.changes[4].record->partition();
  EXPECT_EQ(partition.leader(), kNoLeader);
  EXPECT_EQ(partition.leader_epoch(), 1);
  EXPECT_EQ(partition.partition_epoch(), 1);
  EXPECT_EQ(changes.changes[5].key, "leader");
  EXPECT_TRUE(image.has_leader_change());
  EXPECT_EQ(image.last_leader_change().leader_epoch(), 5);

  // The last record under each key rebuilds the image (the controller's LevelDB form).
  std::map<std::string, MetadataRecord> stored;
  for (const auto& c : changes.changes) {
    if (c.record) stored[c.key] = *c.record;
  }
  std::vector<MetadataRecord> records;
  for (const auto& [k, r] : stored) records.push_back(r);
  auto rebuilt = MetadataImage::FromRecords(records, 5);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_TRUE(*rebuilt == image);
}

TEST(MetadataImage, SameRecordsGiveEqualImagesAndToRecordsRoundTrips) {
  std::vector<std::pair<int64_t, MetadataRecordBatch>> log;
  for (int32_t id = 1; id <= 3; ++id) log.push_back({id, Batch({Register(id, "i", id != 2)})});
  log.push_back({4, Batch({Topic("t"), Partition(0, {1, 2, 3}, {1, 3}, 3),
                           Partition(1, {3, 1}, {3, 1}, 1), Config("t", "retention.ms", "9")})});
  log.push_back({5, Batch({Change(0, 1, std::nullopt), MetadataRecord()})});  // rejected
  log.push_back({6, Batch({Change(1, 3, std::vector<int32_t>{3})})});
  log.push_back({7, Batch({Config("", "k", "v", metadata::CONFIG_RESOURCE_BROKER)})});
  MetadataImage a, b;
  for (const auto& [offset, batch] : log) {
    const bool ok_a = a.ApplyBatch(batch, offset).ok();
    const bool ok_b = b.ApplyBatch(batch, offset).ok();
    EXPECT_EQ(ok_a, ok_b);
    EXPECT_EQ(ok_a, offset != 5);
  }
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.applied_offset(), 7);

  std::vector<MetadataRecord> records = a.ToRecords();
  auto rebuilt = MetadataImage::FromRecords(records, a.applied_offset());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_TRUE(*rebuilt == a);
  // Applied in order to an empty image, the records rebuild it too (the WatchMetadata form).
  MetadataImage replayed;
  for (const auto& r : records) ASSERT_TRUE(replayed.Apply(r, a.applied_offset()).ok());
  EXPECT_TRUE(replayed == a);
  // And the image is sensitive to what it holds.
  ASSERT_TRUE(b.Apply(Change(1, std::nullopt, std::vector<int32_t>{3}), 8).ok());
  EXPECT_FALSE(a == b);
}

TEST(MetadataImage, DescribeBuilders) {
  MetadataImage image = BaseImage();
  ASSERT_TRUE(image.Apply(Config("t", "retention.ms", "1000"), 5).ok());
  controller::ListTopicsResponse list;
  image.FillListTopics(&list);
  EXPECT_EQ(list.names_size(), 1);
  EXPECT_EQ(list.metadata_offset(), 5);

  controller::DescribeTopicsRequest req;
  req.add_names("t");
  req.add_names("missing");
  controller::DescribeTopicsResponse described;
  image.FillDescribeTopics(req, &described);
  ASSERT_EQ(described.topics_size(), 2);
  EXPECT_EQ(described.topics(0).topic_id(), kTopicId);
  ASSERT_EQ(described.topics(0).partitions_size(), 2);
  EXPECT_EQ(described.topics(0).partitions(1).leader(), 2);
  EXPECT_EQ(described.topics(0).partitions(1).replicas_size(), 3);
  EXPECT_EQ(described.topics(0).configs().at("retention.ms"), "1000");
  EXPECT_EQ(described.topics(1).error(), UNKNOWN_TOPIC_OR_PARTITION);

  controller::DescribeClusterResponse cluster;
  image.FillDescribeCluster(&cluster);
  ASSERT_EQ(cluster.brokers_size(), 3);
  EXPECT_EQ(cluster.brokers(1).broker_id(), 2);
  EXPECT_EQ(cluster.brokers(1).broker_epoch(), 2);
  EXPECT_EQ(cluster.brokers(1).endpoints(0).host(), "h2");
  EXPECT_FALSE(cluster.brokers(1).fenced());
}

}  // namespace
}  // namespace keel::metadata

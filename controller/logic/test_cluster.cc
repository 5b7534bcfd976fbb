#include "controller/logic/test_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/logic/topic_validation.h"
#include "metadata/image_records.h"

namespace keel::controller::testing {

TestCluster::TestCluster(int brokers, std::vector<std::string> racks) {
  for (int id = 1; id <= brokers; ++id) {
    RegisterAndUnfence(id, absl::StrCat("inc-", id),
                       static_cast<size_t>(id) <= racks.size() ? racks[id - 1] : "");
  }
}

void TestCluster::Commit(const metadata::MetadataRecordBatch& batch) {
  absl::Status s = image.ApplyBatch(batch, ++offset, &changes);
  ASSERT_TRUE(s.ok()) << s;
  log.emplace_back(offset, batch);
}

int64_t TestCluster::RegisterAndUnfence(int32_t broker_id, const std::string& incarnation,
                                        const std::string& rack) {
  RegisterBrokerRequest req;
  req.set_broker_id(broker_id);
  req.set_incarnation_id(incarnation);
  req.set_rack(rack);
  auto* e = req.add_endpoints();
  e->set_name("DATA");
  e->set_host("127.0.0.1");
  e->set_port(9000 + broker_id);
  auto reg = ControllerLogic::RegisterBroker(image, heartbeats, req, now_ms);
  EXPECT_TRUE(reg.ok()) << FormatApiError(reg.status());
  if (!reg.ok()) return -1;
  Commit(reg->records);
  Commit(Heartbeat(broker_id).records);
  EXPECT_FALSE(image.Broker(broker_id)->fenced);
  return image.Broker(broker_id)->epoch;
}

TopicsOutcome TestCluster::CreateTopic(const std::string& name, int partitions,
                                       int replication_factor,
                                       std::map<std::string, std::string> configs) {
  CreateTopicsRequest req;
  auto* t = req.add_topics();
  t->set_name(name);
  t->set_num_partitions(partitions);
  t->set_replication_factor(replication_factor);
  for (auto& [k, v] : configs) (*t->mutable_configs())[k] = v;
  TopicsOutcome out = ControllerLogic::CreateTopics(image, req, ++random);
  if (out.records.records_size() > 0) Commit(out.records);
  return out;
}

HeartbeatOutcome TestCluster::Heartbeat(int32_t broker_id, bool want_shutdown, bool want_fence) {
  BrokerHeartbeatRequest hb;
  hb.set_broker_id(broker_id);
  const metadata::BrokerInfo* b = image.Broker(broker_id);
  hb.set_broker_epoch(b == nullptr ? -1 : b->epoch);
  hb.set_current_metadata_offset(image.applied_offset());
  hb.set_want_shutdown(want_shutdown);
  hb.set_want_fence(want_fence);
  return ControllerLogic::BrokerHeartbeat(image, heartbeats, hb, now_ms);
}

const metadata::TopicInfo& TestCluster::Topic(const std::string& name) const {
  const metadata::TopicInfo* t = image.TopicByName(name);
  EXPECT_NE(t, nullptr) << name;
  return *t;
}

const metadata::PartitionInfo& TestCluster::Partition(const std::string& topic,
                                                      int32_t partition) const {
  return Topic(topic).partitions.at(partition);
}

std::vector<std::string> CheckInvariants(const metadata::MetadataImage& image) {
  std::vector<std::string> violations;
  for (const auto& [id, t] : image.topics_by_id()) {
    if (id != t.id) violations.push_back("topic keyed by another id: " + t.name);
    auto name = image.topic_ids_by_name().find(t.name);
    if (name == image.topic_ids_by_name().end() || name->second != id) {
      violations.push_back("topic name index misses " + t.name);
    }
    // The collision index names exactly the topics a scan of every name would find.
    std::vector<std::string> colliding;
    for (const auto& [other, other_id] : image.topic_ids_by_name()) {
      if (TopicNamesCollide(other, t.name)) colliding.push_back(other);
    }
    std::vector<std::string> indexed = image.TopicsCollidingWith(t.name);
    std::sort(indexed.begin(), indexed.end());
    if (indexed != colliding) {
      violations.push_back("collision index for " + t.name + " holds " +
                           absl::StrJoin(indexed, ",") + ", not " + absl::StrJoin(colliding, ","));
    }
    int32_t expected_partition = 0;
    for (const auto& [p, info] : t.partitions) {
      const std::string where = absl::StrCat(t.name, "-", p, ": ");
      if (p != expected_partition++) violations.push_back(where + "partition ids have a gap");
      if (absl::Status s = metadata::CheckPartitionState(info); !s.ok()) {
        violations.push_back(where + std::string(s.message()));
      }
      if (info.leader != metadata::kNoLeader) {
        const metadata::BrokerInfo* leader = image.Broker(info.leader);
        if (leader == nullptr || !leader->usable()) {
          violations.push_back(absl::StrCat(where, "leader ", info.leader, " is not usable"));
        }
      }
      if (info.isr.size() > 1) {
        for (int32_t member : info.isr) {
          const metadata::BrokerInfo* b = image.Broker(member);
          if (b == nullptr || !b->usable()) {
            violations.push_back(
                absl::StrCat(where, "unusable broker ", member, " in a multi-member ISR"));
          }
        }
      }
    }
  }
  if (image.topic_ids_by_name().size() != image.topics_by_id().size()) {
    violations.push_back("name and id indexes differ in size");
  }
  auto rebuilt = metadata::MetadataImage::FromRecords(image.ToRecords(), image.applied_offset());
  if (!rebuilt.ok()) {
    violations.push_back("ToRecords does not rebuild: " + rebuilt.status().ToString());
  } else if (!(*rebuilt == image)) {
    violations.push_back("ToRecords rebuilds a different image");
  }
  return violations;
}

}  // namespace keel::controller::testing

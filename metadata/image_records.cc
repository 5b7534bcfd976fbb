#include "metadata/image_records.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace keel::metadata {

std::string BrokerKey(int32_t broker_id) { return absl::StrCat("broker/", broker_id); }

std::string TopicKey(const std::string& topic_id) {
  return "topic/" + absl::BytesToHexString(topic_id);
}

std::string PartitionKey(const std::string& topic_id, int32_t partition) {
  return absl::StrCat("partition/", absl::BytesToHexString(topic_id), "/", partition);
}

std::string ConfigKey(metadata::ConfigResourceType type, const std::string& resource_name,
                      const std::string& config_name) {
  const char* kind = type == metadata::CONFIG_RESOURCE_TOPIC ? "topic" : "broker";
  return absl::StrCat("config/", kind, "/", resource_name, "/", config_name);
}

MetadataRecord BrokerRecordOf(const BrokerInfo& b) {
  MetadataRecord r;
  auto* rb = r.mutable_register_broker();
  rb->set_broker_id(b.id);
  rb->set_incarnation_id(b.incarnation_id);
  rb->set_broker_epoch(b.epoch);
  for (const auto& e : b.endpoints) *rb->add_endpoints() = e;
  rb->set_rack(b.rack);
  rb->set_fenced(b.fenced);
  rb->set_in_controlled_shutdown(b.in_controlled_shutdown);
  return r;
}

MetadataRecord TopicRecordOf(const TopicInfo& t) {
  MetadataRecord r;
  r.mutable_topic()->set_name(t.name);
  r.mutable_topic()->set_topic_id(t.id);
  return r;
}

MetadataRecord PartitionRecordOf(const std::string& topic_id, int32_t partition,
                                 const PartitionInfo& info) {
  MetadataRecord r;
  auto* pr = r.mutable_partition();
  pr->set_topic_id(topic_id);
  pr->set_partition_id(partition);
  for (int32_t id : info.replicas) pr->add_replicas(id);
  for (int32_t id : info.isr) pr->add_isr(id);
  pr->set_leader(info.leader);
  pr->set_leader_epoch(info.leader_epoch);
  pr->set_partition_epoch(info.partition_epoch);
  return r;
}

MetadataRecord ConfigRecordOf(metadata::ConfigResourceType type, const std::string& resource_name,
                              const std::string& config_name, const std::string* value) {
  MetadataRecord r;
  auto* c = r.mutable_config();
  c->set_resource_type(type);
  c->set_resource_name(resource_name);
  c->set_name(config_name);
  if (value != nullptr) c->set_value(*value);
  return r;
}

absl::Status CheckPartitionState(const PartitionInfo& p) {
  auto broken = [&](const char* what) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " (replicas [", absl::StrJoin(p.replicas, ","), "], isr [",
                     absl::StrJoin(p.isr, ","), "], leader ", p.leader, ")"));
  };
  if (p.replicas.empty()) return broken("a partition needs at least one replica");
  std::set<int32_t> replicas(p.replicas.begin(), p.replicas.end());
  if (replicas.size() != p.replicas.size()) return broken("duplicate replicas");
  if (*replicas.begin() < 0) return broken("negative replica id");
  if (p.isr.empty()) return broken("the ISR may not be empty");
  std::set<int32_t> isr(p.isr.begin(), p.isr.end());
  if (isr.size() != p.isr.size()) return broken("duplicate ISR members");
  if (!std::includes(replicas.begin(), replicas.end(), isr.begin(), isr.end())) {
    return broken("ISR member that is not a replica");
  }
  if (p.leader != kNoLeader && !isr.count(p.leader)) return broken("leader outside the ISR");
  if (p.leader_epoch < 0 || p.partition_epoch < 0) return broken("negative epoch");
  return absl::OkStatus();
}

}  // namespace keel::metadata

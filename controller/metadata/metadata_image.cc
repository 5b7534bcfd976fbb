#include "controller/metadata/metadata_image.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace keel::controller {
namespace {

using metadata::MetadataRecord;

bool SameEndpoints(const std::vector<metadata::Endpoint>& a,
                   const std::vector<metadata::Endpoint>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].SerializeAsString() != b[i].SerializeAsString()) return false;
  }
  return true;
}

MetadataRecord BrokerRecord(const BrokerInfo& b) {
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

MetadataRecord PartitionRecordOf(const TopicInfo& t, int32_t p, const PartitionInfo& info) {
  MetadataRecord r;
  auto* pr = r.mutable_partition();
  pr->set_topic_id(t.id);
  pr->set_partition_id(p);
  for (int32_t id : info.replicas) pr->add_replicas(id);
  for (int32_t id : info.isr) pr->add_isr(id);
  pr->set_leader(info.leader);
  pr->set_leader_epoch(info.leader_epoch);
  pr->set_partition_epoch(info.partition_epoch);
  return r;
}

MetadataRecord ConfigRecordOf(const std::string& topic, const std::string& key,
                              const std::string* value) {
  MetadataRecord r;
  auto* c = r.mutable_config();
  c->set_resource_type(metadata::CONFIG_RESOURCE_TOPIC);
  c->set_resource_name(topic);
  c->set_name(key);
  if (value != nullptr) c->set_value(*value);
  return r;
}

void Upsert(ImageChanges* changes, std::string key, MetadataRecord record) {
  if (changes != nullptr) changes->changes.push_back({std::move(key), std::move(record)});
}
void Erase(ImageChanges* changes, std::string key) {
  if (changes != nullptr) changes->changes.push_back({std::move(key), std::nullopt});
}

std::string PartitionKey(const TopicInfo& t, int32_t p) {
  return absl::StrCat("partition/", HexId(t.id), "/", p);
}
std::string ConfigKey(const std::string& topic, const std::string& key) {
  return absl::StrCat("config/topic/", topic, "/", key);
}

}  // namespace

bool BrokerInfo::operator==(const BrokerInfo& o) const {
  return id == o.id && incarnation_id == o.incarnation_id && epoch == o.epoch &&
         SameEndpoints(endpoints, o.endpoints) && rack == o.rack && fenced == o.fenced &&
         in_controlled_shutdown == o.in_controlled_shutdown;
}

std::string HexId(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

absl::Status MetadataImage::ApplyBatch(const metadata::MetadataRecordBatch& batch, int64_t offset,
                                       ImageChanges* changes) {
  for (const MetadataRecord& r : batch.records()) {
    if (auto s = Apply(r, offset, changes); !s.ok()) return s;
  }
  applied_offset_ = std::max(applied_offset_, offset);
  return absl::OkStatus();
}

absl::Status MetadataImage::Apply(const MetadataRecord& record, int64_t offset,
                                  ImageChanges* changes) {
  switch (record.record_case()) {
    case MetadataRecord::kRegisterBroker: {
      const auto& r = record.register_broker();
      BrokerInfo b;
      b.id = r.broker_id();
      b.incarnation_id = r.incarnation_id();
      // A live registration's epoch is its offset; a snapshot carries the original epoch.
      b.epoch = r.broker_epoch() > 0 ? r.broker_epoch() : offset;
      b.endpoints.assign(r.endpoints().begin(), r.endpoints().end());
      b.rack = r.rack();
      b.fenced = r.fenced();
      b.in_controlled_shutdown = r.in_controlled_shutdown();
      brokers_[b.id] = b;
      Upsert(changes, absl::StrCat("broker/", b.id), BrokerRecord(b));
      break;
    }
    case MetadataRecord::kBrokerRegistrationChange: {
      const auto& r = record.broker_registration_change();
      auto it = brokers_.find(r.broker_id());
      if (it == brokers_.end() || it->second.epoch != r.broker_epoch()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "registration change for broker ", r.broker_id(), " epoch ", r.broker_epoch(),
            " does not match a registration"));
      }
      if (r.fencing() == metadata::FENCE) it->second.fenced = true;
      if (r.fencing() == metadata::UNFENCE) it->second.fenced = false;
      if (r.controlled_shutdown() == metadata::CONTROLLED_SHUTDOWN_REQUESTED) {
        it->second.in_controlled_shutdown = true;
      }
      Upsert(changes, absl::StrCat("broker/", it->first), BrokerRecord(it->second));
      break;
    }
    case MetadataRecord::kUnregisterBroker: {
      const auto& r = record.unregister_broker();
      if (brokers_.erase(r.broker_id()) == 0) {
        return absl::NotFoundError(absl::StrCat("unknown broker ", r.broker_id()));
      }
      Erase(changes, absl::StrCat("broker/", r.broker_id()));
      break;
    }
    case MetadataRecord::kTopic: {
      const auto& r = record.topic();
      if (names_.count(r.name()) || topics_.count(r.topic_id())) {
        return absl::AlreadyExistsError(absl::StrCat("topic ", r.name(), " already exists"));
      }
      TopicInfo t;
      t.name = r.name();
      t.id = r.topic_id();
      names_[t.name] = t.id;
      Upsert(changes, absl::StrCat("topic/", HexId(t.id)), record);
      topics_[t.id] = std::move(t);
      break;
    }
    case MetadataRecord::kPartition: {
      const auto& r = record.partition();
      auto it = topics_.find(r.topic_id());
      if (it == topics_.end()) {
        return absl::NotFoundError(absl::StrCat("partition of unknown topic ", HexId(r.topic_id())));
      }
      PartitionInfo p;
      p.replicas.assign(r.replicas().begin(), r.replicas().end());
      p.isr.assign(r.isr().begin(), r.isr().end());
      p.leader = r.leader();
      p.leader_epoch = r.leader_epoch();
      p.partition_epoch = r.partition_epoch();
      it->second.partitions[r.partition_id()] = p;
      Upsert(changes, PartitionKey(it->second, r.partition_id()), record);
      break;
    }
    case MetadataRecord::kPartitionChange: {
      const auto& r = record.partition_change();
      auto it = topics_.find(r.topic_id());
      if (it == topics_.end() || !it->second.partitions.count(r.partition_id())) {
        return absl::NotFoundError(absl::StrCat("change of unknown partition ",
                                                HexId(r.topic_id()), "/", r.partition_id()));
      }
      PartitionInfo& p = it->second.partitions[r.partition_id()];
      if (r.has_leader() && r.leader() != p.leader) {
        p.leader = r.leader();
        ++p.leader_epoch;
      }
      if (r.has_isr()) p.isr.assign(r.isr().ids().begin(), r.isr().ids().end());
      if (r.has_replicas()) p.replicas.assign(r.replicas().ids().begin(), r.replicas().ids().end());
      ++p.partition_epoch;
      Upsert(changes, PartitionKey(it->second, r.partition_id()),
             PartitionRecordOf(it->second, r.partition_id(), p));
      break;
    }
    case MetadataRecord::kRemoveTopic: {
      auto it = topics_.find(record.remove_topic().topic_id());
      if (it == topics_.end()) {
        return absl::NotFoundError("remove of unknown topic " +
                                   HexId(record.remove_topic().topic_id()));
      }
      for (const auto& [p, info] : it->second.partitions) {
        Erase(changes, PartitionKey(it->second, p));
      }
      for (const auto& [k, v] : it->second.configs) Erase(changes, ConfigKey(it->second.name, k));
      Erase(changes, absl::StrCat("topic/", HexId(it->first)));
      names_.erase(it->second.name);
      topics_.erase(it);
      break;
    }
    case MetadataRecord::kConfig: {
      const auto& r = record.config();
      if (r.resource_type() != metadata::CONFIG_RESOURCE_TOPIC) break;  // broker configs: none yet
      auto name = names_.find(r.resource_name());
      if (name == names_.end()) {
        return absl::NotFoundError("config for unknown topic " + r.resource_name());
      }
      TopicInfo& t = topics_[name->second];
      if (r.has_value()) {
        t.configs[r.name()] = r.value();
        Upsert(changes, ConfigKey(t.name, r.name()), record);
      } else {
        t.configs.erase(r.name());
        Erase(changes, ConfigKey(t.name, r.name()));
      }
      break;
    }
    case MetadataRecord::kNoOp:
      break;
    case MetadataRecord::kLeaderChange:
      leader_change_ = record.leader_change();
      Upsert(changes, "leader", record);
      break;
    case MetadataRecord::RECORD_NOT_SET:
      return absl::InvalidArgumentError("empty metadata record");
  }
  return absl::OkStatus();
}

std::vector<MetadataRecord> MetadataImage::ToRecords() const {
  std::vector<MetadataRecord> out;
  for (const auto& [id, b] : brokers_) out.push_back(BrokerRecord(b));
  for (const auto& [id, t] : topics_) {
    MetadataRecord tr;
    tr.mutable_topic()->set_name(t.name);
    tr.mutable_topic()->set_topic_id(t.id);
    out.push_back(std::move(tr));
    for (const auto& [p, info] : t.partitions) out.push_back(PartitionRecordOf(t, p, info));
    for (const auto& [k, v] : t.configs) out.push_back(ConfigRecordOf(t.name, k, &v));
  }
  if (leader_change_.leader_id() != 0) {
    MetadataRecord lc;
    *lc.mutable_leader_change() = leader_change_;
    out.push_back(std::move(lc));
  }
  return out;
}

absl::StatusOr<MetadataImage> MetadataImage::FromRecords(std::vector<MetadataRecord> records,
                                                         int64_t offset) {
  // Materialized entities come back in key order; topics must precede their partitions
  // and configs.
  auto rank = [](const MetadataRecord& r) {
    switch (r.record_case()) {
      case MetadataRecord::kRegisterBroker:
        return 0;
      case MetadataRecord::kTopic:
        return 1;
      case MetadataRecord::kPartition:
        return 2;
      case MetadataRecord::kConfig:
        return 3;
      default:
        return 4;
    }
  };
  std::stable_sort(records.begin(), records.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  MetadataImage image;
  for (const MetadataRecord& r : records) {
    if (auto s = image.Apply(r, offset); !s.ok()) return s;
  }
  image.applied_offset_ = offset;
  return image;
}

std::vector<int32_t> MetadataImage::BrokerIds() const {
  std::vector<int32_t> out;
  for (const auto& [id, b] : brokers_) out.push_back(id);
  return out;
}

const BrokerInfo* MetadataImage::Broker(int32_t id) const {
  auto it = brokers_.find(id);
  return it == brokers_.end() ? nullptr : &it->second;
}

const TopicInfo* MetadataImage::TopicByName(const std::string& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? nullptr : &topics_.at(it->second);
}

const TopicInfo* MetadataImage::TopicById(const std::string& id) const {
  auto it = topics_.find(id);
  return it == topics_.end() ? nullptr : &it->second;
}

std::vector<int32_t> MetadataImage::UsableBrokers() const {
  std::vector<int32_t> out;
  for (const auto& [id, b] : brokers_) {
    if (!b.fenced && !b.in_controlled_shutdown) out.push_back(id);
  }
  return out;
}

void MetadataImage::FillListTopics(ListTopicsResponse* response) const {
  for (const auto& [name, id] : names_) response->add_names(name);
  response->set_metadata_offset(applied_offset_);
}

void MetadataImage::FillDescribeTopics(const DescribeTopicsRequest& request,
                                       DescribeTopicsResponse* response) const {
  auto describe = [&](const TopicInfo& t) {
    TopicDescription* d = response->add_topics();
    d->set_name(t.name);
    d->set_topic_id(t.id);
    for (const auto& [p, info] : t.partitions) {
      PartitionDescription* pd = d->add_partitions();
      pd->set_partition(p);
      pd->set_leader(info.leader);
      for (int32_t id : info.replicas) pd->add_replicas(id);
      for (int32_t id : info.isr) pd->add_isr(id);
      pd->set_leader_epoch(info.leader_epoch);
      pd->set_partition_epoch(info.partition_epoch);
    }
    for (const auto& [k, v] : t.configs) (*d->mutable_configs())[k] = v;
  };
  if (request.names().empty()) {
    for (const auto& [name, id] : names_) describe(topics_.at(id));
  } else {
    for (const std::string& name : request.names()) {
      const TopicInfo* t = TopicByName(name);
      if (t != nullptr) {
        describe(*t);
      } else {
        TopicDescription* d = response->add_topics();
        d->set_name(name);
        d->set_error(UNKNOWN_TOPIC_OR_PARTITION);
      }
    }
  }
  response->set_metadata_offset(applied_offset_);
}

void MetadataImage::FillDescribeCluster(DescribeClusterResponse* response) const {
  for (const auto& [id, b] : brokers_) {
    BrokerDescription* d = response->add_brokers();
    d->set_broker_id(id);
    for (const auto& e : b.endpoints) *d->add_endpoints() = e;
    d->set_rack(b.rack);
    d->set_broker_epoch(b.epoch);
    d->set_fenced(b.fenced);
    d->set_in_controlled_shutdown(b.in_controlled_shutdown);
  }
  response->set_metadata_offset(applied_offset_);
}

bool MetadataImage::operator==(const MetadataImage& o) const {
  return brokers_ == o.brokers_ && topics_ == o.topics_ && names_ == o.names_ &&
         leader_change_.SerializeAsString() == o.leader_change_.SerializeAsString();
}

}  // namespace keel::controller

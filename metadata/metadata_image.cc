#include "metadata/metadata_image.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "metadata/image_records.h"

namespace keel::metadata {
namespace {

void Upsert(ImageChanges* changes, std::string key, MetadataRecord record) {
  if (changes != nullptr) changes->changes.push_back({std::move(key), std::move(record)});
}

void Erase(ImageChanges* changes, std::string key) {
  if (changes != nullptr) changes->changes.push_back({std::move(key), std::nullopt});
}

bool SameEndpoints(const std::vector<metadata::Endpoint>& a,
                   const std::vector<metadata::Endpoint>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].SerializeAsString() != b[i].SerializeAsString()) return false;
  }
  return true;
}

}  // namespace

std::string CollisionKey(std::string_view name) {
  std::string key(name);
  std::replace(key.begin(), key.end(), '.', '_');
  return key;
}

bool BrokerInfo::operator==(const BrokerInfo& o) const {
  return id == o.id && incarnation_id == o.incarnation_id && epoch == o.epoch &&
         SameEndpoints(endpoints, o.endpoints) && rack == o.rack && fenced == o.fenced &&
         in_controlled_shutdown == o.in_controlled_shutdown;
}

int TopicInfo::replication_factor() const {
  return partitions.empty() ? 0 : static_cast<int>(partitions.begin()->second.replicas.size());
}

absl::Status MetadataImage::ApplyBatch(const metadata::MetadataRecordBatch& batch, int64_t offset,
                                       ImageChanges* changes) {
  const size_t changes_before = changes != nullptr ? changes->changes.size() : 0;
  // A single record needs no undo log: ApplyOne changes nothing when it fails.
  UndoLog undo;
  UndoLog* undo_ptr = batch.records_size() > 1 ? &undo : nullptr;
  for (int i = 0; i < batch.records_size(); ++i) {
    absl::Status s = ApplyOne(batch.records(i), offset, changes, undo_ptr);
    if (!s.ok()) {
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) (*it)(*this);
      if (changes != nullptr) changes->changes.resize(changes_before);
      return absl::Status(s.code(), absl::StrCat("record ", i, " of the batch at offset ", offset,
                                                 ": ", s.message()));
    }
  }
  applied_offset_ = std::max(applied_offset_, offset);
  return absl::OkStatus();
}

absl::Status MetadataImage::Apply(const MetadataRecord& record, int64_t offset,
                                  ImageChanges* changes) {
  absl::Status s = ApplyOne(record, offset, changes, nullptr);
  if (s.ok()) applied_offset_ = std::max(applied_offset_, offset);
  return s;
}

absl::Status MetadataImage::ApplyOne(const MetadataRecord& record, int64_t offset,
                                     ImageChanges* changes, UndoLog* undo) {
  switch (record.record_case()) {
    case MetadataRecord::kRegisterBroker:
      return ApplyRegisterBroker(record, offset, changes, undo);
    case MetadataRecord::kBrokerRegistrationChange:
      return ApplyBrokerChange(record.broker_registration_change(), changes, undo);
    case MetadataRecord::kUnregisterBroker:
      return ApplyUnregisterBroker(record.unregister_broker(), changes, undo);
    case MetadataRecord::kTopic:
      return ApplyTopic(record, changes, undo);
    case MetadataRecord::kPartition:
      return ApplyPartition(record, changes, undo);
    case MetadataRecord::kPartitionChange:
      return ApplyPartitionChange(record.partition_change(), changes, undo);
    case MetadataRecord::kRemoveTopic:
      return ApplyRemoveTopic(record.remove_topic(), changes, undo);
    case MetadataRecord::kConfig:
      return ApplyConfig(record, changes, undo);
    case MetadataRecord::kNoOp:
      return absl::OkStatus();
    case MetadataRecord::kLeaderChange:
      return ApplyLeaderChange(record, changes, undo);
    case MetadataRecord::RECORD_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("empty or unknown metadata record type");
}

absl::Status MetadataImage::ApplyRegisterBroker(const MetadataRecord& record, int64_t offset,
                                                ImageChanges* changes, UndoLog* undo) {
  const auto& r = record.register_broker();
  if (r.broker_id() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("negative broker id ", r.broker_id()));
  }
  BrokerInfo b;
  b.id = r.broker_id();
  b.incarnation_id = r.incarnation_id();
  b.epoch = r.broker_epoch() > 0 ? r.broker_epoch() : offset;
  b.endpoints.assign(r.endpoints().begin(), r.endpoints().end());
  b.rack = r.rack();
  b.fenced = r.fenced();
  b.in_controlled_shutdown = r.in_controlled_shutdown();
  auto it = brokers_.find(b.id);
  if (undo != nullptr) {
    std::optional<BrokerInfo> old;
    if (it != brokers_.end()) old = it->second;
    undo->push_back([id = b.id, old](MetadataImage& image) {
      if (old) {
        image.brokers_[id] = *old;
      } else {
        image.brokers_.erase(id);
      }
    });
  }
  Upsert(changes, BrokerKey(b.id), BrokerRecordOf(b));
  brokers_[b.id] = std::move(b);
  return absl::OkStatus();
}

absl::Status MetadataImage::ApplyBrokerChange(const metadata::BrokerRegistrationChangeRecord& r,
                                              ImageChanges* changes, UndoLog* undo) {
  auto it = brokers_.find(r.broker_id());
  if (it == brokers_.end() || it->second.epoch != r.broker_epoch()) {
    return absl::FailedPreconditionError(absl::StrCat("registration change for broker ",
                                                      r.broker_id(), " at epoch ", r.broker_epoch(),
                                                      " matches no current registration"));
  }
  if (undo != nullptr) {
    undo->push_back([old = it->second](MetadataImage& image) { image.brokers_[old.id] = old; });
  }
  BrokerInfo& b = it->second;
  if (r.fencing() == metadata::FENCE) b.fenced = true;
  if (r.fencing() == metadata::UNFENCE) b.fenced = false;
  // Only a new registration ends a controlled shutdown (as in KRaft).
  if (r.controlled_shutdown() == metadata::CONTROLLED_SHUTDOWN_REQUESTED) {
    b.in_controlled_shutdown = true;
  }
  Upsert(changes, BrokerKey(b.id), BrokerRecordOf(b));
  return absl::OkStatus();
}

absl::Status MetadataImage::ApplyUnregisterBroker(const metadata::UnregisterBrokerRecord& r,
                                                  ImageChanges* changes, UndoLog* undo) {
  auto it = brokers_.find(r.broker_id());
  if (it == brokers_.end() || it->second.epoch != r.broker_epoch()) {
    return absl::NotFoundError(absl::StrCat("unregister of broker ", r.broker_id(), " at epoch ",
                                            r.broker_epoch(), " matches no registration"));
  }
  if (undo != nullptr) {
    undo->push_back([old = it->second](MetadataImage& image) { image.brokers_[old.id] = old; });
  }
  brokers_.erase(it);
  Erase(changes, BrokerKey(r.broker_id()));
  return absl::OkStatus();
}

void MetadataImage::AddCollisionKey(const std::string& name) {
  collision_keys_.emplace(CollisionKey(name), name);
}

void MetadataImage::RemoveCollisionKey(const std::string& name) {
  auto [first, last] = collision_keys_.equal_range(CollisionKey(name));
  for (auto it = first; it != last; ++it) {
    if (it->second == name) {
      collision_keys_.erase(it);
      return;
    }
  }
}

std::vector<std::string> MetadataImage::TopicsCollidingWith(std::string_view name) const {
  std::vector<std::string> out;
  auto [first, last] = collision_keys_.equal_range(CollisionKey(name));
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

absl::Status MetadataImage::ApplyTopic(const MetadataRecord& record, ImageChanges* changes,
                                       UndoLog* undo) {
  const auto& r = record.topic();
  if (r.name().empty() || r.topic_id().empty()) {
    return absl::InvalidArgumentError("a topic needs a name and an id");
  }
  if (names_.count(r.name())) {
    return absl::AlreadyExistsError(absl::StrCat("topic '", r.name(), "' already exists"));
  }
  if (topics_.count(r.topic_id())) {
    return absl::AlreadyExistsError(
        absl::StrCat("topic id ", absl::BytesToHexString(r.topic_id()), " is taken"));
  }
  TopicInfo& t = topics_[r.topic_id()];
  t.name = r.name();
  t.id = r.topic_id();
  names_[t.name] = t.id;
  AddCollisionKey(t.name);
  if (undo != nullptr) {
    undo->push_back([name = t.name, id = t.id](MetadataImage& image) {
      image.names_.erase(name);
      image.RemoveCollisionKey(name);
      image.topics_.erase(id);
    });
  }
  Upsert(changes, TopicKey(t.id), TopicRecordOf(t));
  return absl::OkStatus();
}

absl::Status MetadataImage::ApplyPartition(const MetadataRecord& record, ImageChanges* changes,
                                           UndoLog* undo) {
  const auto& r = record.partition();
  auto it = topics_.find(r.topic_id());
  if (it == topics_.end()) {
    return absl::NotFoundError(
        absl::StrCat("partition of unknown topic id ", absl::BytesToHexString(r.topic_id())));
  }
  if (r.partition_id() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("negative partition id ", r.partition_id()));
  }
  PartitionInfo p;
  p.replicas.assign(r.replicas().begin(), r.replicas().end());
  p.isr.assign(r.isr().begin(), r.isr().end());
  p.leader = r.leader();
  p.leader_epoch = r.leader_epoch();
  p.partition_epoch = r.partition_epoch();
  if (absl::Status s = CheckPartitionState(p); !s.ok()) return s;
  auto& partitions = it->second.partitions;
  if (undo != nullptr) {
    std::optional<PartitionInfo> old;
    if (auto pit = partitions.find(r.partition_id()); pit != partitions.end()) old = pit->second;
    undo->push_back([id = r.topic_id(), pid = r.partition_id(), old](MetadataImage& image) {
      auto& parts = image.topics_.at(id).partitions;
      if (old) {
        parts[pid] = *old;
      } else {
        parts.erase(pid);
      }
    });
  }
  partitions[r.partition_id()] = std::move(p);
  Upsert(changes, PartitionKey(r.topic_id(), r.partition_id()), record);
  return absl::OkStatus();
}

absl::Status MetadataImage::ApplyPartitionChange(const metadata::PartitionChangeRecord& r,
                                                 ImageChanges* changes, UndoLog* undo) {
  auto not_found = [&] {
    return absl::NotFoundError(absl::StrCat("change of unknown partition ",
                                            absl::BytesToHexString(r.topic_id()), "/",
                                            r.partition_id()));
  };
  auto it = topics_.find(r.topic_id());
  if (it == topics_.end()) return not_found();
  auto pit = it->second.partitions.find(r.partition_id());
  if (pit == it->second.partitions.end()) return not_found();
  PartitionInfo next = pit->second;
  if (r.has_leader() && r.leader() != next.leader) {
    next.leader = r.leader();
    ++next.leader_epoch;
  }
  if (r.has_isr()) next.isr.assign(r.isr().ids().begin(), r.isr().ids().end());
  if (r.has_replicas()) next.replicas.assign(r.replicas().ids().begin(), r.replicas().ids().end());
  ++next.partition_epoch;
  if (absl::Status s = CheckPartitionState(next); !s.ok()) return s;
  if (undo != nullptr) {
    undo->push_back([id = r.topic_id(), pid = r.partition_id(), old = pit->second](
                        MetadataImage& image) { image.topics_.at(id).partitions[pid] = old; });
  }
  pit->second = std::move(next);
  Upsert(changes, PartitionKey(r.topic_id(), r.partition_id()),
         PartitionRecordOf(r.topic_id(), r.partition_id(), pit->second));
  return absl::OkStatus();
}

absl::Status MetadataImage::ApplyRemoveTopic(const metadata::RemoveTopicRecord& r,
                                             ImageChanges* changes, UndoLog* undo) {
  auto it = topics_.find(r.topic_id());
  if (it == topics_.end()) {
    return absl::NotFoundError("remove of unknown topic id " +
                               absl::BytesToHexString(r.topic_id()));
  }
  const TopicInfo& t = it->second;
  for (const auto& [p, info] : t.partitions) Erase(changes, PartitionKey(t.id, p));
  for (const auto& [k, v] : t.configs) {
    Erase(changes, ConfigKey(metadata::CONFIG_RESOURCE_TOPIC, t.name, k));
  }
  Erase(changes, TopicKey(t.id));
  names_.erase(t.name);
  RemoveCollisionKey(t.name);
  if (undo != nullptr) {
    // Moved, not copied: a topic may hold many partitions.
    auto removed = std::make_shared<TopicInfo>(std::move(it->second));
    undo->push_back([removed](MetadataImage& image) {
      image.names_[removed->name] = removed->id;
      image.AddCollisionKey(removed->name);
      image.topics_[removed->id] = std::move(*removed);
    });
  }
  topics_.erase(it);
  return absl::OkStatus();
}

absl::Status MetadataImage::ApplyConfig(const MetadataRecord& record, ImageChanges* changes,
                                        UndoLog* undo) {
  const auto& r = record.config();
  if (r.name().empty()) return absl::InvalidArgumentError("a config record needs a name");
  ConfigMap* configs = nullptr;
  if (r.resource_type() == metadata::CONFIG_RESOURCE_TOPIC) {
    auto name = names_.find(r.resource_name());
    if (name == names_.end()) {
      return absl::NotFoundError("config for unknown topic '" + r.resource_name() + "'");
    }
    configs = &topics_.at(name->second).configs;
  } else if (r.resource_type() == metadata::CONFIG_RESOURCE_BROKER) {
    configs = &broker_configs_[r.resource_name()];
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("config record with resource type ", r.resource_type()));
  }
  if (undo != nullptr) {
    std::optional<std::string> old;
    if (auto cit = configs->find(r.name()); cit != configs->end()) old = cit->second;
    undo->push_back([r, old](MetadataImage& image) {
      ConfigMap& configs = r.resource_type() == metadata::CONFIG_RESOURCE_TOPIC
                               ? image.topics_.at(image.names_.at(r.resource_name())).configs
                               : image.broker_configs_[r.resource_name()];
      if (old) {
        configs[r.name()] = *old;
      } else {
        configs.erase(r.name());
      }
      if (r.resource_type() == metadata::CONFIG_RESOURCE_BROKER && configs.empty()) {
        image.broker_configs_.erase(r.resource_name());
      }
    });
  }
  const std::string key = ConfigKey(r.resource_type(), r.resource_name(), r.name());
  if (r.has_value()) {
    (*configs)[r.name()] = r.value();
    Upsert(changes, key, record);
  } else {
    configs->erase(r.name());
    Erase(changes, key);
  }
  // An empty broker config map is no config at all (keeps equal images equal).
  if (r.resource_type() == metadata::CONFIG_RESOURCE_BROKER && configs->empty()) {
    broker_configs_.erase(r.resource_name());
  }
  return absl::OkStatus();
}

absl::Status MetadataImage::ApplyLeaderChange(const MetadataRecord& record, ImageChanges* changes,
                                              UndoLog* undo) {
  if (undo != nullptr) {
    undo->push_back([old = leader_change_](MetadataImage& image) { image.leader_change_ = old; });
  }
  leader_change_ = record.leader_change();
  Upsert(changes, kLeaderKey, record);
  return absl::OkStatus();
}

}  // namespace keel::metadata

// MetadataImage's snapshot form (ToRecords / FromRecords), its accessors and equality.
#include <algorithm>

#include "metadata/image_records.h"
#include "metadata/metadata_image.h"

namespace keel::metadata {

std::vector<MetadataRecord> MetadataImage::ToRecords() const {
  std::vector<MetadataRecord> out;
  for (const auto& [id, b] : brokers_) out.push_back(BrokerRecordOf(b));
  for (const auto& [name, configs] : broker_configs_) {
    for (const auto& [k, v] : configs) {
      out.push_back(ConfigRecordOf(metadata::CONFIG_RESOURCE_BROKER, name, k, &v));
    }
  }
  for (const auto& [id, t] : topics_) {
    out.push_back(TopicRecordOf(t));
    for (const auto& [p, info] : t.partitions) out.push_back(PartitionRecordOf(t.id, p, info));
    for (const auto& [k, v] : t.configs) {
      out.push_back(ConfigRecordOf(metadata::CONFIG_RESOURCE_TOPIC, t.name, k, &v));
    }
  }
  if (leader_change_) {
    MetadataRecord lc;
    *lc.mutable_leader_change() = *leader_change_;
    out.push_back(std::move(lc));
  }
  return out;
}

absl::StatusOr<MetadataImage> MetadataImage::FromRecords(std::vector<MetadataRecord> records,
                                                         int64_t offset) {
  // Materialized entities come back in key order, where partition/ sorts before topic/.
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
    if (absl::Status s = image.ApplyOne(r, offset, nullptr, nullptr); !s.ok()) return s;
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

std::vector<int32_t> MetadataImage::UsableBrokers() const {
  std::vector<int32_t> out;
  for (const auto& [id, b] : brokers_) {
    if (b.usable()) out.push_back(id);
  }
  return out;
}

const TopicInfo* MetadataImage::TopicByName(const std::string& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? nullptr : &topics_.at(it->second);
}

const TopicInfo* MetadataImage::TopicById(const std::string& id) const {
  auto it = topics_.find(id);
  return it == topics_.end() ? nullptr : &it->second;
}

const PartitionInfo* MetadataImage::Partition(const std::string& topic_id,
                                              int32_t partition) const {
  const TopicInfo* t = TopicById(topic_id);
  if (t == nullptr) return nullptr;
  auto it = t->partitions.find(partition);
  return it == t->partitions.end() ? nullptr : &it->second;
}

const metadata::LeaderChangeRecord& MetadataImage::last_leader_change() const {
  return leader_change_ ? *leader_change_ : metadata::LeaderChangeRecord::default_instance();
}

bool MetadataImage::operator==(const MetadataImage& o) const {
  auto same_leader_change = [&] {
    if (leader_change_.has_value() != o.leader_change_.has_value()) return false;
    return !leader_change_ ||
           leader_change_->SerializeAsString() == o.leader_change_->SerializeAsString();
  };
  return applied_offset_ == o.applied_offset_ && brokers_ == o.brokers_ && topics_ == o.topics_ &&
         names_ == o.names_ && broker_configs_ == o.broker_configs_ && same_leader_change();
}

}  // namespace keel::metadata

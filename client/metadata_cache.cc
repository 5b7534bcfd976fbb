#include "client/metadata_cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace keel::client {

const PartitionMetadata* TopicMetadata::Find(int32_t partition) const {
  if (partition >= 0 && static_cast<size_t>(partition) < partitions.size() &&
      partitions[partition].partition == partition) {
    return &partitions[partition];
  }
  for (const auto& p : partitions) {
    if (p.partition == partition) return &p;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<MetadataCache>> MetadataCache::FromBootstrap(
    const std::string& bootstrap_controllers, const std::string& bootstrap_servers,
    int64_t metadata_max_age_ms) {
  std::vector<std::string> controllers = SplitAddresses(bootstrap_controllers);
  std::vector<std::string> brokers = SplitAddresses(bootstrap_servers);
  if (controllers.empty() && brokers.empty()) {
    return absl::InvalidArgumentError(
        "give bootstrap.controllers (or bootstrap.servers with explicit partitions)");
  }
  std::shared_ptr<AdminClient> admin;
  if (!controllers.empty()) {
    AdminClientOptions options;
    options.controllers = controllers;
    admin = std::make_shared<AdminClient>(options);
  }
  return std::make_shared<MetadataCache>(admin, brokers, metadata_max_age_ms);
}

MetadataCache::MetadataCache(std::shared_ptr<AdminClient> admin,
                             std::vector<std::string> bootstrap_brokers,
                             int64_t metadata_max_age_ms)
    : admin_(std::move(admin)),
      bootstrap_brokers_(std::move(bootstrap_brokers)),
      max_age_(metadata_max_age_ms) {}

std::shared_ptr<const TopicMetadata> MetadataCache::Cached(absl::string_view topic) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : it->second.metadata;
}

absl::StatusOr<std::shared_ptr<const TopicMetadata>> MetadataCache::Topic(
    const std::string& topic, std::chrono::milliseconds timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = topics_.find(topic);
    if (it != topics_.end() && it->second.metadata != nullptr) {
      const Entry& e = it->second;
      if (e.is_static) return e.metadata;
      const bool fresh = std::chrono::steady_clock::now() - e.metadata->fetched_at < max_age_;
      if (!e.stale && fresh) return e.metadata;
    }
  }
  if (absl::Status s = Refresh({topic}, timeout); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || it->second.metadata == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("UNKNOWN_TOPIC_OR_PARTITION: Topic '", topic, "' does not exist."));
  }
  return it->second.metadata;
}

absl::Status MetadataCache::Refresh(const std::vector<std::string>& topics,
                                    std::chrono::milliseconds timeout) {
  if (admin_ == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& t : topics) {
      auto it = topics_.find(t);
      if (it == topics_.end() || !it->second.is_static) {
        return absl::InvalidArgumentError(
            absl::StrCat("without controllers the partitions of '", t,
                         "' are unknown: give controllers, or the partition to use"));
      }
    }
    return absl::OkStatus();
  }
  auto described = admin_->DescribeTopics(topics, timeout);
  if (!described.ok()) return described.status();
  auto cluster = admin_->DescribeCluster(timeout);
  if (!cluster.ok()) return cluster.status();
  std::map<int32_t, std::string> broker_address;
  for (const auto& b : cluster->brokers()) {
    if (b.endpoints().empty()) continue;
    broker_address[b.broker_id()] =
        absl::StrCat(b.endpoints(0).host(), ":", b.endpoints(0).port());
  }
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  brokers_ = broker_address;
  for (const auto& t : described->topics()) {
    if (t.error() != keel::NONE) {
      topics_.erase(t.name());
      continue;
    }
    auto metadata = std::make_shared<TopicMetadata>();
    metadata->name = t.name();
    metadata->fetched_at = now;
    for (const auto& p : t.partitions()) {
      PartitionMetadata pm;
      pm.partition = p.partition();
      pm.leader_id = p.leader();
      pm.leader_epoch = p.leader_epoch();
      auto it = broker_address.find(p.leader());
      if (p.leader() >= 0 && it != broker_address.end()) pm.leader_address = it->second;
      metadata->partitions.push_back(std::move(pm));
    }
    std::sort(metadata->partitions.begin(), metadata->partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    Entry& e = topics_[t.name()];
    e.metadata = std::move(metadata);
    e.stale = false;
    e.is_static = false;
  }
  return absl::OkStatus();
}

void MetadataCache::HintLeader(const std::string& topic, int32_t partition,
                               const keel::NodeAddress& leader) {
  if (leader.address().empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || it->second.metadata == nullptr) return;
  auto copy = std::make_shared<TopicMetadata>(*it->second.metadata);
  for (auto& p : copy->partitions) {
    if (p.partition != partition) continue;
    p.leader_id = leader.node_id();
    p.leader_address = leader.address();
    p.leader_epoch = -1;
  }
  it->second.metadata = std::move(copy);
}

void MetadataCache::MarkStale(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  Entry& e = it->second;
  if (!e.is_static) {
    e.stale = true;
    return;
  }
  if (bootstrap_brokers_.empty() || e.metadata == nullptr) return;
  e.bootstrap_next = (e.bootstrap_next + 1) % bootstrap_brokers_.size();
  auto copy = std::make_shared<TopicMetadata>(*e.metadata);
  for (auto& p : copy->partitions) p.leader_address = bootstrap_brokers_[e.bootstrap_next];
  e.metadata = std::move(copy);
}

void MetadataCache::AddStaticTopic(const std::string& topic,
                                   const std::vector<int32_t>& partitions) {
  auto metadata = std::make_shared<TopicMetadata>();
  metadata->name = topic;
  metadata->fetched_at = std::chrono::steady_clock::now();
  for (int32_t p : partitions) {
    PartitionMetadata pm;
    pm.partition = p;
    if (!bootstrap_brokers_.empty()) pm.leader_address = bootstrap_brokers_[0];
    metadata->partitions.push_back(std::move(pm));
  }
  std::sort(metadata->partitions.begin(), metadata->partitions.end(),
            [](const auto& a, const auto& b) { return a.partition < b.partition; });
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = topics_[topic];
  e.metadata = std::move(metadata);
  e.is_static = true;
  e.stale = false;
}

std::string MetadataCache::BrokerAddress(int32_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = brokers_.find(id);
  return it == brokers_.end() ? "" : it->second;
}

std::shared_ptr<broker::BrokerService::Stub> MetadataCache::Stub(const std::string& address) {
  std::shared_ptr<grpc::Channel> channel = channels_.Get(address);
  std::lock_guard<std::mutex> lock(mu_);
  auto& stub = stubs_[address];
  if (stub == nullptr) stub = broker::BrokerService::NewStub(channel);
  return stub;
}

}  // namespace keel::client

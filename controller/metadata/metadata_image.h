// MetadataImage: the cluster metadata as of one offset of the metadata log, kept hot in
// memory on every controller (so failover needs no reload) and rebuilt on brokers.
//
// Apply is deterministic: the same records at the same offsets give equal images on every
// node. A RegisterBrokerRecord's broker epoch is the offset it is applied at (Kafka's rule),
// so the proposer need not know it. A PartitionChangeRecord bumps the partition epoch, and
// the leader epoch when it changes the leader (as in KRaft).
//
// Thread safety: none; callers synchronize (the controller guards it with a shared mutex).
#ifndef KEEL_CONTROLLER_METADATA_METADATA_IMAGE_H_
#define KEEL_CONTROLLER_METADATA_METADATA_IMAGE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/controller.pb.h"
#include "proto/metadata.pb.h"

namespace keel::controller {

struct BrokerInfo {
  int32_t id = 0;
  std::string incarnation_id;
  int64_t epoch = 0;
  std::vector<metadata::Endpoint> endpoints;
  std::string rack;
  bool fenced = true;
  bool in_controlled_shutdown = false;
  bool operator==(const BrokerInfo& o) const;
};

struct PartitionInfo {
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  bool operator==(const PartitionInfo&) const = default;
};

struct TopicInfo {
  std::string name;
  std::string id;  // 16 bytes
  std::map<int32_t, PartitionInfo> partitions;
  std::map<std::string, std::string> configs;
  bool operator==(const TopicInfo&) const = default;
};

// One entity whose stored form changed: `record` is its new full state, or empty when it
// was deleted. Keys: broker/<id>, topic/<hex id>, partition/<hex id>/<p>,
// config/topic/<name>/<key>, leader.
struct EntityChange {
  std::string key;
  std::optional<metadata::MetadataRecord> record;
};

struct ImageChanges {
  std::vector<EntityChange> changes;
};

std::string HexId(const std::string& bytes);

class MetadataImage {
 public:
  // All records of a batch get `offset`. On an invalid record the error is returned and the
  // records before it stay applied (the leader validates before proposing, so a committed
  // batch is valid on every node; a rejected one is rejected identically everywhere).
  absl::Status ApplyBatch(const metadata::MetadataRecordBatch& batch, int64_t offset,
                          ImageChanges* changes = nullptr);
  absl::Status Apply(const metadata::MetadataRecord& record, int64_t offset,
                     ImageChanges* changes = nullptr);

  // The whole image as records that rebuild an equal image when applied to an empty one.
  std::vector<metadata::MetadataRecord> ToRecords() const;
  static absl::StatusOr<MetadataImage> FromRecords(std::vector<metadata::MetadataRecord> records,
                                                   int64_t offset);

  int64_t applied_offset() const { return applied_offset_; }
  const std::map<int32_t, BrokerInfo>& brokers() const { return brokers_; }
  std::vector<int32_t> BrokerIds() const;
  const BrokerInfo* Broker(int32_t id) const;
  const TopicInfo* TopicByName(const std::string& name) const;
  const TopicInfo* TopicById(const std::string& id) const;
  const std::map<std::string, TopicInfo>& topics_by_id() const { return topics_; }
  const std::map<std::string, std::string>& topic_ids_by_name() const { return names_; }
  const metadata::LeaderChangeRecord& last_leader_change() const { return leader_change_; }
  // Brokers that may lead or join an ISR: registered, unfenced, not shutting down.
  std::vector<int32_t> UsableBrokers() const;

  void FillListTopics(ListTopicsResponse* response) const;
  void FillDescribeTopics(const DescribeTopicsRequest& request,
                          DescribeTopicsResponse* response) const;
  void FillDescribeCluster(DescribeClusterResponse* response) const;

  bool operator==(const MetadataImage& o) const;

 private:
  std::map<int32_t, BrokerInfo> brokers_;
  std::map<std::string, TopicInfo> topics_;   // by id
  std::map<std::string, std::string> names_;  // name -> id
  metadata::LeaderChangeRecord leader_change_;
  int64_t applied_offset_ = 0;
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_METADATA_METADATA_IMAGE_H_

// MetadataImage: the cluster metadata as of one offset of the metadata log. Every controller
// keeps it hot in memory (so failover needs no reload); brokers and keelctl rebuild it from
// the same records.
//
// Apply rules (docs/formats/metadata-records.md has the full table):
// - Deterministic: the same records at the same offsets give equal images on every node.
// - A RegisterBrokerRecord's broker epoch is the offset it is applied at (Kafka's rule), so
//   the proposer need not know it. The image's own snapshot form (ToRecords) carries the
//   epoch explicitly; a record with broker_epoch > 0 keeps it.
// - A PartitionChangeRecord always bumps the partition epoch, and bumps the leader epoch only
//   when it changes the leader (KRaft since 3.6: an ISR shrink or expansion does not).
// - An invalid record (unknown topic id, a partition whose leader is outside its ISR, a
//   stale broker epoch, ...) returns an error and leaves the image unchanged. A batch is
//   atomic: if any record fails, none of its records stay applied and no changes are
//   reported for it. Every node rejects the same batch the same way.
// - applied_offset advances with every successful Apply/ApplyBatch (never backwards).
//
// Invariants the image keeps for every partition: replicas non-empty and distinct; the ISR
// non-empty, distinct and a subset of the replicas; the leader is -1 or an ISR member.
//
// Thread safety: none; callers synchronize (the controller guards it with a shared mutex).
// Copyable: the leader keeps a committed copy and a latest (committed + proposed) copy.
#ifndef KEEL_METADATA_METADATA_IMAGE_H_
#define KEEL_METADATA_METADATA_IMAGE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/controller.pb.h"
#include "proto/metadata.pb.h"

namespace keel::metadata {

inline constexpr int32_t kNoLeader = -1;

struct BrokerInfo {
  int32_t id = 0;
  std::string incarnation_id;
  int64_t epoch = 0;  // the offset of its registration record
  std::vector<metadata::Endpoint> endpoints;
  std::string rack;  // empty: no rack
  bool fenced = true;
  bool in_controlled_shutdown = false;
  // May lead partitions and join ISRs.
  bool usable() const { return !fenced && !in_controlled_shutdown; }
  bool operator==(const BrokerInfo& o) const;
};

struct PartitionInfo {
  std::vector<int32_t> replicas;  // preference order: replicas[0] is the preferred leader
  std::vector<int32_t> isr;
  int32_t leader = kNoLeader;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  bool operator==(const PartitionInfo&) const = default;
};

using ConfigMap = std::map<std::string, std::string>;

struct TopicInfo {
  std::string name;
  std::string id;  // 16 bytes
  std::map<int32_t, PartitionInfo> partitions;
  ConfigMap configs;
  // The replica count of its partitions (all of a topic's partitions share it); 0 if none.
  int replication_factor() const;
  bool operator==(const TopicInfo&) const = default;
};

// One entity whose stored form changed: `record` is its new full state, or empty when the
// entity was deleted. Keys (docs/formats/metadata-records.md): broker/<id>,
// topic/<hex id>, partition/<hex id>/<p>, config/topic/<name>/<key>,
// config/broker/<name>/<key>, leader. A key may appear several times; the last one wins.
struct EntityChange {
  std::string key;
  std::optional<metadata::MetadataRecord> record;
};

struct ImageChanges {
  std::vector<EntityChange> changes;
};

// One partition as the admin and lifecycle RPCs report it.
controller::PartitionDescription DescribePartition(int32_t partition, const PartitionInfo& info);

// Kafka treats '.' and '_' as equal when checking topic names for collisions (both map to '_'
// in metric names): two names collide when their keys are equal.
std::string CollisionKey(std::string_view name);

class MetadataImage {
 public:
  // Applies every record of `batch` at `offset`, atomically (see above).
  absl::Status ApplyBatch(const metadata::MetadataRecordBatch& batch, int64_t offset,
                          ImageChanges* changes = nullptr);
  absl::Status Apply(const metadata::MetadataRecord& record, int64_t offset,
                     ImageChanges* changes = nullptr);

  // The whole image as records that rebuild an equal image when applied in order to an
  // empty one: brokers, broker configs, then each topic followed by its partitions and
  // configs, then the last LeaderChangeRecord.
  std::vector<metadata::MetadataRecord> ToRecords() const;
  // Rebuilds an image from snapshot records or from materialized entities in any order
  // (topics are applied before their partitions and configs); applied_offset() == offset.
  static absl::StatusOr<MetadataImage> FromRecords(std::vector<metadata::MetadataRecord> records,
                                                   int64_t offset);

  int64_t applied_offset() const { return applied_offset_; }

  const std::map<int32_t, BrokerInfo>& brokers() const { return brokers_; }
  std::vector<int32_t> BrokerIds() const;
  const BrokerInfo* Broker(int32_t id) const;
  // Brokers that may lead or join an ISR: registered, unfenced, not shutting down.
  std::vector<int32_t> UsableBrokers() const;

  const std::map<std::string, TopicInfo>& topics_by_id() const { return topics_; }
  const std::map<std::string, std::string>& topic_ids_by_name() const { return names_; }
  const TopicInfo* TopicByName(const std::string& name) const;
  // Names of the topics whose collision key (CollisionKey: '.' and '_' are equal) is
  // that of `name`, `name` itself included if it exists: usually none or one. O(log topics),
  // so validating a new topic does not scan every name.
  std::vector<std::string> TopicsCollidingWith(std::string_view name) const;
  const TopicInfo* TopicById(const std::string& id) const;
  const PartitionInfo* Partition(const std::string& topic_id, int32_t partition) const;

  // Broker-level configs by resource name (a broker id, or "" for the cluster default).
  const std::map<std::string, ConfigMap>& broker_configs() const { return broker_configs_; }

  bool has_leader_change() const { return leader_change_.has_value(); }
  // The last LeaderChangeRecord applied; a default instance if none.
  const metadata::LeaderChangeRecord& last_leader_change() const;

  // Response builders for the read-only admin RPCs (metadata_image_describe.cc).
  void FillListTopics(controller::ListTopicsResponse* response) const;
  void FillDescribeTopics(const controller::DescribeTopicsRequest& request,
                          controller::DescribeTopicsResponse* response) const;
  void FillDescribeCluster(controller::DescribeClusterResponse* response) const;

  // Content and applied offset.
  bool operator==(const MetadataImage& o) const;

 private:
  using UndoLog = std::vector<std::function<void(MetadataImage&)>>;

  // Applies one record, or returns an error having changed nothing. When `undo` is set,
  // pushes what restores the previous state.
  absl::Status ApplyOne(const metadata::MetadataRecord& record, int64_t offset,
                        ImageChanges* changes, UndoLog* undo);
  absl::Status ApplyRegisterBroker(const metadata::MetadataRecord& record, int64_t offset,
                                   ImageChanges* changes, UndoLog* undo);
  absl::Status ApplyBrokerChange(const metadata::BrokerRegistrationChangeRecord& r,
                                 ImageChanges* changes, UndoLog* undo);
  absl::Status ApplyUnregisterBroker(const metadata::UnregisterBrokerRecord& r,
                                     ImageChanges* changes, UndoLog* undo);
  void AddCollisionKey(const std::string& name);
  void RemoveCollisionKey(const std::string& name);
  absl::Status ApplyTopic(const metadata::MetadataRecord& record, ImageChanges* changes,
                          UndoLog* undo);
  absl::Status ApplyPartition(const metadata::MetadataRecord& record, ImageChanges* changes,
                              UndoLog* undo);
  absl::Status ApplyPartitionChange(const metadata::PartitionChangeRecord& r, ImageChanges* changes,
                                    UndoLog* undo);
  absl::Status ApplyRemoveTopic(const metadata::RemoveTopicRecord& r, ImageChanges* changes,
                                UndoLog* undo);
  absl::Status ApplyConfig(const metadata::MetadataRecord& record, ImageChanges* changes,
                           UndoLog* undo);
  absl::Status ApplyLeaderChange(const metadata::MetadataRecord& record, ImageChanges* changes,
                                 UndoLog* undo);

  std::map<int32_t, BrokerInfo> brokers_;
  std::map<std::string, TopicInfo> topics_;                 // by id
  std::map<std::string, std::string> names_;                // name -> id
  std::multimap<std::string, std::string> collision_keys_;  // CollisionKey(name) -> name
  std::map<std::string, ConfigMap> broker_configs_;
  std::optional<metadata::LeaderChangeRecord> leader_change_;
  int64_t applied_offset_ = 0;
};

}  // namespace keel::metadata

#endif  // KEEL_METADATA_METADATA_IMAGE_H_

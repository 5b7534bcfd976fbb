// GroupOffsetLog: the group coordinator's OffsetStore on __consumer_offsets, and the load a
// broker does when it becomes the leader of one of its partitions (Kafka's
// GroupMetadataManager, for offsets).
//
// Writes: a commit is one record batch (one record per partition, our layout in
// docs/formats/consumer-offsets.md) appended acks=all to the group's partition; the
// coordinator answers the commit after that returned, so an acknowledged commit is on every
// in-sync replica. A group that becomes Stable appends its membership; DeleteGroups appends
// tombstones for the group's keys. The topic is compacted (cleanup.policy=compact).
//
// Loads: the first group request for a partition this broker leads at a leader epoch it has
// not loaded reads the partition's log from its start to its end on the requesting thread
// and hands the offsets and Stable memberships to the coordinator; meanwhile the partition's other group requests
// get COORDINATOR_LOAD_IN_PROGRESS (clients retry). A leader change (a new epoch) loads
// again, so a coordinator that regains a partition drops what it held from before.
//
// Thread safety: all methods are thread-safe; no lock is held across the log read or the
// append.
#ifndef KEEL_BROKER_KAFKA_GROUP_OFFSET_LOG_H_
#define KEEL_BROKER_KAFKA_GROUP_OFFSET_LOG_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "broker/data_plane.h"
#include "broker/group/group_coordinator.h"
#include "broker/group/offset_store.h"

namespace keel::broker::kafka {

class GroupOffsetLog : public group::OffsetStore {
 public:
  // `read_image` and `data_plane` outlive this.
  GroupOffsetLog(DataPlane* data_plane, DataPlane::ReadImage read_image,
                 int64_t commit_timeout_ms = 5000);

  absl::Status StoreOffsets(const std::string& group_id,
                            const std::map<group::TopicPartition, group::CommittedOffset>&
                                offsets) override;
  // Tombstones (null values) for every committed offset of the group and for its metadata,
  // so that log compaction drops the group's records (docs/formats/consumer-offsets.md).
  absl::Status DeleteGroup(const std::string& group_id,
                           const std::vector<group::TopicPartition>& committed) override;
  absl::Status StoreGroup(const group::GroupSnapshot& snapshot) override;

  // 0 once `partition` (of `partition_count`) is loaded at `leader_epoch` into
  // `coordinator`, loading it now if nobody else is; COORDINATOR_LOAD_IN_PROGRESS while
  // another request loads it; COORDINATOR_NOT_AVAILABLE if the load failed.
  int16_t EnsureLoaded(int32_t partition, int32_t partition_count, int32_t leader_epoch,
                       group::GroupCoordinator* coordinator);

 private:
  struct LoadState {
    int32_t loaded_epoch = -1;
    bool loading = false;
  };

  absl::Status Append(const std::string& group_id, std::vector<storage::Record> records);
  absl::Status Load(int32_t partition, int32_t partition_count,
                    group::GroupCoordinator* coordinator);

  DataPlane* const data_plane_;
  const DataPlane::ReadImage read_image_;
  const int64_t commit_timeout_ms_;

  std::mutex mu_;
  std::map<int32_t, LoadState> partitions_;  // guarded by mu_
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_GROUP_OFFSET_LOG_H_

// OffsetStore: where committed offsets and group metadata become durable. The coordinator
// calls it outside its lock and answers a commit only after Store returned OK (acks=all in
// the replicated implementation); MemOffsetStore is the in-memory twin tests use and the
// broker uses until the __consumer_offsets writer exists (docs/groups.md).
//
// Thread safety: implementations are thread-safe.
#ifndef KEEL_BROKER_GROUP_OFFSET_STORE_H_
#define KEEL_BROKER_GROUP_OFFSET_STORE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace keel::broker::group {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
  bool operator==(const CommittedOffset&) const = default;
};

// A Stable group's membership as the coordinator persists it (Kafka's GroupMetadata record):
// enough for a new coordinator to go on with the same generation, so that members need not
// rebalance after a coordinator change.
struct GroupSnapshot {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::string metadata;  // of the chosen protocol
    std::string assignment;
    bool operator==(const Member&) const = default;
  };
  std::string group_id;
  int32_t generation_id = 0;
  std::string protocol_type;
  std::string protocol_name;
  std::string leader_id;
  std::vector<Member> members;  // in join order
  bool operator==(const GroupSnapshot&) const = default;
};

class OffsetStore {
 public:
  virtual ~OffsetStore() = default;
  // Makes the commits durable (all or nothing).
  virtual absl::Status StoreOffsets(const std::string& group_id,
                                    const std::map<TopicPartition, CommittedOffset>& offsets) = 0;
  // Removes every offset of the group (DeleteGroups); `committed` names the partitions it
  // had offsets for (so a log store can write one tombstone per key).
  virtual absl::Status DeleteGroup(const std::string& group_id,
                                   const std::vector<TopicPartition>& committed) = 0;
  // Persists a Stable group's membership (replaces the previous one).
  virtual absl::Status StoreGroup(const GroupSnapshot& snapshot) = 0;
};

class MemOffsetStore : public OffsetStore {
 public:
  absl::Status StoreOffsets(const std::string& group_id,
                            const std::map<TopicPartition, CommittedOffset>& offsets) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_) return absl::UnavailableError("injected store failure");
    for (const auto& [tp, o] : offsets) stored_[group_id][tp] = o;
    return absl::OkStatus();
  }
  absl::Status DeleteGroup(const std::string& group_id,
                           const std::vector<TopicPartition>& /*committed*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_) return absl::UnavailableError("injected store failure");
    stored_.erase(group_id);
    groups_.erase(group_id);
    return absl::OkStatus();
  }
  absl::Status StoreGroup(const GroupSnapshot& snapshot) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_) return absl::UnavailableError("injected store failure");
    groups_[snapshot.group_id] = snapshot;
    return absl::OkStatus();
  }
  std::optional<GroupSnapshot> StoredGroup(const std::string& group_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(group_id);
    if (it == groups_.end()) return std::nullopt;
    return it->second;
  }
  // Tests: what was stored, and failure injection.
  std::map<TopicPartition, CommittedOffset> Stored(const std::string& group_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stored_.find(group_id);
    return it == stored_.end() ? std::map<TopicPartition, CommittedOffset>{} : it->second;
  }
  void SetFailing(bool fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = fail;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<TopicPartition, CommittedOffset>> stored_;  // guarded by mu_
  std::map<std::string, GroupSnapshot> groups_;                             // guarded by mu_
  bool fail_ = false;                                                        // guarded by mu_
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_OFFSET_STORE_H_

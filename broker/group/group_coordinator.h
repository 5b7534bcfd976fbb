// GroupCoordinator: every consumer group this broker coordinates, each a Group state machine
// (group.h), behind one lock. The owner drives time: Tick() fires expired timers (a ticker
// thread in the broker, a fake clock in tests). Deferred answers (JoinGroup, SyncGroup) are
// callbacks the coordinator runs after it released its lock, on whichever thread completed
// them (a request's thread or the ticker's).
//
// Offset commits are validated under the lock, made durable through the OffsetStore without
// it, then applied; a commit sequence number per partition keeps the in-memory offset from
// going backwards when two commits of one partition race (the later validated one wins).
//
// Thread safety: every method is thread-safe.
#ifndef KEEL_BROKER_GROUP_GROUP_COORDINATOR_H_
#define KEEL_BROKER_GROUP_GROUP_COORDINATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "broker/group/group.h"
#include "broker/group/group_config.h"
#include "broker/group/offset_store.h"

namespace keel::broker::group {

// What the coordinator reports to its metrics (group_metrics.h). Called on the thread that
// completed the operation, without the coordinator's lock; must be thread-safe.
class GroupObserver {
 public:
  virtual ~GroupObserver() = default;
  // A JoinGroup answered with a generation (error 0), `latency_ms` after it arrived (its
  // wait for the rebalance included).
  virtual void OnJoin(int64_t latency_ms) = 0;
  // A SyncGroup answered with an assignment (error 0); a follower's wait is included.
  virtual void OnSync(int64_t latency_ms) = 0;
  // An OffsetCommit answered (its durable write included): partitions committed, refused.
  virtual void OnCommit(int64_t latency_ms, size_t committed, size_t refused) = 0;
};

class GroupCoordinator {
 public:
  // `monotonic_ms` is the clock every timeout is measured on; `store` outlives this.
  // `seed` feeds the member id suffixes (0: from std::random_device).
  GroupCoordinator(GroupConfig config, std::function<int64_t()> monotonic_ms,
                   OffsetStore* store, uint64_t seed = 0);

  const GroupConfig& config() const { return config_; }

  // `observer` (null: none) outlives this or is reset to null before it goes.
  void SetObserver(GroupObserver* observer) { observer_.store(observer); }

  // JoinGroup: creates the group on a first join without a member id. `done` runs once.
  void Join(const std::string& group_id, JoinRequest request, JoinCallback done);
  // SyncGroup. The leader's sync that makes the group Stable persists its membership
  // (OffsetStore::StoreGroup) before the members' answers go out, as Kafka does; so does
  // any operation after which a group is Empty in a new generation.
  void Sync(const std::string& group_id, const SyncRequest& request, SyncCallback done);
  int16_t Heartbeat(const std::string& group_id, const MemberIdentity& member,
                    int32_t generation_id);
  // One error code per member (UNKNOWN_MEMBER_ID for each of an unknown group).
  std::vector<int16_t> Leave(const std::string& group_id,
                             const std::vector<MemberIdentity>& members);

  // OffsetCommit: an error code per partition. Blocks on the store.
  std::map<TopicPartition, int16_t> Commit(const std::string& group_id,
                                           const MemberIdentity& member, int32_t generation_id,
                                           const std::map<TopicPartition, CommittedOffset>& offsets);
  // OffsetFetch: the committed offsets of `partitions` (all committed ones when nullopt);
  // a partition without a commit has offset -1.
  std::map<TopicPartition, CommittedOffset> FetchOffsets(
      const std::string& group_id, const std::optional<std::vector<TopicPartition>>& partitions);

  // DescribeGroups: nullopt for an unknown group (Kafka answers it as Dead, no error).
  std::optional<GroupSummary> Describe(const std::string& group_id);
  // ListGroups: every group, without members (member_count set).
  std::vector<GroupSummary> List();
  // DeleteGroups: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or 0 (offsets removed from the store).
  int16_t Delete(const std::string& group_id);

  // A new coordinator's load of one __consumer_offsets partition: every group `in_partition`
  // selects is replaced: its members from an earlier term are dropped (their waiting requests
  // answered NOT_COORDINATOR), then it gets exactly the offsets in `offsets` and the
  // membership in `groups` (a persisted Stable group goes on with its generation).
  void LoadPartition(
      const std::function<bool(const std::string&)>& in_partition,
      const std::map<std::string, std::map<TopicPartition, CommittedOffset>>& offsets,
      const std::map<std::string, GroupSnapshot>& groups);

  // Fires expired timers of every group.
  void Tick();
  // The earliest time (on monotonic_ms) a Tick has something to do.
  int64_t NextDeadlineMs();

  // Rebalances completed (generations begun) since start, over all groups.
  uint64_t rebalances_total();

  // Tests: runs CheckInvariants on every group.
  void CheckInvariants();

 private:
  // Runs the group's queued callbacks after the lock is released.
  using Ready = std::vector<std::function<void()>>;
  static void Run(Ready ready);
  struct Before {
    GroupState state;
    int32_t generation_id;
  };
  // Counts rebalances and collects the snapshot to persist after an operation changed `g`
  // from `before`. Requires mu_.
  void NotePersist(const Group& g, const Before& before, std::vector<GroupSnapshot>* out);
  // Stores the snapshots (without mu_, before the operation's callbacks run).
  void Persist(const std::vector<GroupSnapshot>& snapshots);
  std::string FreshMemberId(const std::string& client_id);  // requires mu_
  std::map<TopicPartition, int16_t> CommitUnobserved(
      const std::string& group_id, const MemberIdentity& member, int32_t generation_id,
      const std::map<TopicPartition, CommittedOffset>& offsets);

  const GroupConfig config_;
  const std::function<int64_t()> monotonic_ms_;
  OffsetStore* const store_;
  std::atomic<GroupObserver*> observer_{nullptr};

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Group>> groups_;  // guarded by mu_
  std::mt19937_64 random_;                                // guarded by mu_
  uint64_t commit_seq_ = 0;                               // guarded by mu_
  uint64_t rebalances_total_ = 0;                         // guarded by mu_
  // The sequence of the last applied commit per group and partition (guarded by mu_).
  std::map<std::string, std::map<TopicPartition, uint64_t>> applied_seq_;
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_GROUP_COORDINATOR_H_

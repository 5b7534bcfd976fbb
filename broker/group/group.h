// Group: one consumer group's state machine in Kafka's classic group protocol (the
// GroupCoordinator / GroupMetadata pair of Kafka's broker, without its I/O). Like the Raft
// core it has no threads, sockets, clocks or disk: every input carries `now_ms` (a monotonic
// clock the owner reads), Tick(now_ms) fires the timers (rebalance deadline, the initial
// rebalance delay, session expiry), and answers that cannot be given at once (a JoinGroup
// waits for the rebalance, a follower's SyncGroup waits for the leader's) are kept as
// callbacks; when the group completes one, the call is queued and the owner runs the queue
// with TakeReady() after it released its lock, so a callback never runs inside the group.
//
// States (Kafka's): Empty -> PreparingRebalance -> CompletingRebalance -> Stable, back to
// PreparingRebalance on a join with new metadata, a leave, a session expiry; Dead once
// deleted. Invariants (CheckInvariants, run by the tests after every step):
//   - generation_id only increases;
//   - leader_id is empty or names a member; a group with members outside Empty has a leader;
//   - in Stable every member holds the assignment of the current generation;
//   - static_members maps each instance id to the member that holds it, one to one.
//
// Offsets live beside the membership (Kafka keeps them in the same GroupMetadata): the group
// validates a commit against the generation; the coordinator makes it durable and then calls
// ApplyCommit.
//
// Thread safety: none; the coordinator guards each group with its lock.
#ifndef KEEL_BROKER_GROUP_GROUP_H_
#define KEEL_BROKER_GROUP_GROUP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/group/group_config.h"
#include "broker/group/offset_store.h"

namespace keel::broker::group {

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// Kafka's names ("Empty", "PreparingRebalance", ...), as DescribeGroups and ListGroups say.
std::string_view StateName(GroupState state);

struct Protocol {
  std::string name;
  std::string metadata;  // opaque to the broker (the client's assignor reads it)
  bool operator==(const Protocol&) const = default;
};

struct JoinRequest {
  std::string member_id;  // empty on a first join
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<Protocol> protocols;  // in the member's order of preference
  // JoinGroup v4+: a first join without a member id is answered MEMBER_ID_REQUIRED with the
  // id the member must rejoin with (KIP-394).
  bool require_known_member_id = false;
  // The id a new member gets (client_id + "-" + a random uuid; chosen by the caller so that
  // the group stays deterministic).
  std::string fresh_member_id;
};

struct JoinMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string metadata;
};

struct JoinResult {
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::string protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader_id;
  std::string member_id;
  std::vector<JoinMember> members;  // only the leader's answer carries them
};
using JoinCallback = std::function<void(const JoinResult&)>;

struct SyncRequest {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // v5+: checked when given
  std::optional<std::string> protocol_name;
  std::map<std::string, std::string> assignments;  // the leader's: member id -> assignment
};

struct SyncResult {
  int16_t error_code = 0;
  std::string protocol_type;
  std::optional<std::string> protocol_name;
  std::string assignment;
};
using SyncCallback = std::function<void(const SyncResult&)>;

struct MemberIdentity {
  std::string member_id;  // may be empty when group_instance_id is given (LeaveGroup v3+)
  std::optional<std::string> group_instance_id;
};

struct MemberSummary {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::string metadata;    // of the chosen protocol; Stable only (as Kafka)
  std::string assignment;  // Stable only
};

struct GroupSummary {
  std::string group_id;
  GroupState state = GroupState::kDead;
  std::string protocol_type;
  std::string protocol_name;  // Stable only
  int32_t generation_id = 0;
  std::string leader_id;
  size_t member_count = 0;
  std::vector<MemberSummary> members;  // Describe only
};

class Group {
 public:
  Group(std::string group_id, const GroupConfig* config);

  const std::string& group_id() const { return group_id_; }
  GroupState state() const { return state_; }
  int32_t generation_id() const { return generation_id_; }
  const std::string& leader_id() const { return leader_id_; }
  const std::string& protocol_type() const { return protocol_type_; }
  const std::optional<std::string>& protocol_name() const { return protocol_name_; }
  size_t member_count() const { return members_.size(); }
  bool HasMember(const std::string& member_id) const { return members_.count(member_id) > 0; }
  // The member's current assignment (empty if none or unknown).
  std::string AssignmentOf(const std::string& member_id) const;
  // The member id that holds `instance_id`, or empty.
  std::string StaticMember(const std::string& instance_id) const;

  // JoinGroup. `done` runs (through TakeReady) when the join completes, at once for an error.
  void Join(const JoinRequest& request, int64_t now_ms, JoinCallback done);
  // SyncGroup.
  void Sync(const SyncRequest& request, int64_t now_ms, SyncCallback done);
  // Heartbeat: the error code (0: none).
  int16_t Heartbeat(const MemberIdentity& member, int32_t generation_id, int64_t now_ms);
  // LeaveGroup v3+ (v0-2 is one identity): one error code per identity.
  std::vector<int16_t> Leave(const std::vector<MemberIdentity>& members, int64_t now_ms);

  // Whether a commit from this member and generation may be stored now (0 if so). A
  // generation below 0 with no member id is a "simple" commit (manual assignment), accepted
  // while the group has no members.
  int16_t ValidateCommit(const MemberIdentity& member, int32_t generation_id) const;
  // Stores committed offsets (after the coordinator made them durable).
  void ApplyCommit(const std::map<TopicPartition, CommittedOffset>& offsets);
  // Replaces every committed offset (a new coordinator loaded them from the log).
  void ReplaceOffsets(std::map<TopicPartition, CommittedOffset> offsets) {
    offsets_ = std::move(offsets);
  }
  const std::map<TopicPartition, CommittedOffset>& offsets() const { return offsets_; }

  // The membership to persist; only meaningful while Stable.
  GroupSnapshot Snapshot() const;
  // A new coordinator goes on from a persisted Stable group: same generation, leader and
  // assignments; every member's session restarts at `now_ms`. Requires an Empty group
  // without members (a fresh one).
  void Restore(const GroupSnapshot& snapshot, int64_t now_ms);

  // Drops every member, answering their waiting requests with `error_code` (the broker is
  // no longer, or again, this group's coordinator: clients find the coordinator and rejoin).
  // The group is Empty afterwards; offsets stay.
  void Evict(int16_t error_code);

  // Dead if Empty (DeleteGroups); otherwise NON_EMPTY_GROUP. Offsets are dropped.
  int16_t Delete();

  // Fires expired timers: the rebalance deadline, the initial delay, session expiry.
  void Tick(int64_t now_ms);
  // The earliest time Tick has something to do (INT64_MAX: nothing), for the owner's timer.
  int64_t NextDeadlineMs() const;

  // Completed callbacks to run outside the owner's lock, in order.
  std::vector<std::function<void()>> TakeReady() { return std::move(ready_); }

  GroupSummary Describe() const;

  // Aborts with a message when an invariant above is broken (tests).
  void CheckInvariants() const;

 private:
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::string protocol_type;
    std::vector<Protocol> protocols;
    std::string assignment;
    int32_t assignment_generation = -1;
    int64_t last_heartbeat_ms = 0;
    JoinCallback awaiting_join;  // set while its JoinGroup waits
    SyncCallback awaiting_sync;  // set while its SyncGroup waits
  };

  // Kafka's supportsProtocols: whether a member with these protocols may join.
  bool SupportsProtocols(const std::string& protocol_type,
                         const std::vector<Protocol>& protocols) const;
  // Protocol names every member supports.
  std::set<std::string> CandidateProtocols() const;
  // Each member votes for its most preferred candidate; most votes wins, ties go to the
  // leader's preference.
  std::string SelectProtocol() const;
  const std::string* MetadataFor(const Member& m, const std::string& protocol) const;

  void AddMember(const JoinRequest& request, const std::string& member_id, int64_t now_ms,
                 JoinCallback done);
  void UpdateMember(Member& m, const JoinRequest& request, JoinCallback done);
  void RemoveMember(const std::string& member_id, int16_t pending_error);
  void RejoinStatic(const JoinRequest& request, int64_t now_ms, JoinCallback done);
  void JoinKnown(const JoinRequest& request, int64_t now_ms, JoinCallback done);

  void MaybePrepareRebalance(int64_t now_ms);
  void PrepareRebalance(int64_t now_ms);
  void TryCompleteJoin(int64_t now_ms);
  void CompleteJoin(int64_t now_ms);
  // After a member left or expired: rebalance, or complete the one in progress.
  void AfterRemoval(int64_t now_ms);
  bool AllMembersJoined() const;
  JoinResult CurrentJoinResult(const Member& m, bool with_members) const;
  void AnswerJoin(Member& m, JoinResult result);
  void AnswerSync(Member& m, SyncResult result);
  void PropagateSyncError(int16_t error_code);
  void TransitionTo(GroupState state);
  bool KeepAlive(const Member& m, int64_t now_ms) const;
  // FENCED_INSTANCE_ID / UNKNOWN_MEMBER_ID / 0 for a member identity.
  int16_t CheckMember(const MemberIdentity& member) const;

  const std::string group_id_;
  const GroupConfig* const config_;
  GroupState state_ = GroupState::kEmpty;
  int32_t generation_id_ = 0;
  std::string protocol_type_;
  std::optional<std::string> protocol_name_;
  std::string leader_id_;
  std::map<std::string, Member> members_;  // by member id
  std::vector<std::string> join_order_;   // member ids, oldest first (leader succession)
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  // Ids handed out with MEMBER_ID_REQUIRED, not yet rejoined: id -> expiry time.
  std::map<std::string, int64_t> pending_members_;
  // The rebalance in progress: when the join completes regardless of who rejoined.
  int64_t rebalance_deadline_ms_ = 0;
  // The first rebalance of an empty group waits for more members (initial delay).
  bool initial_delay_ = false;
  int64_t initial_delay_started_ms_ = 0;
  int32_t initial_delay_max_ms_ = 0;
  bool joined_during_delay_ = false;
  std::map<TopicPartition, CommittedOffset> offsets_;
  std::vector<std::function<void()>> ready_;
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_GROUP_H_

#include "broker/group/group.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "kafka/error_codes.h"

namespace keel::broker::group {
namespace {

using keel::kafka::Code;
using keel::kafka::ErrorCode;

constexpr int16_t kNone = 0;

[[noreturn]] void Broken(const std::string& group_id, const char* what) {
  std::fprintf(stderr, "group '%s': invariant broken: %s\n", group_id.c_str(), what);
  std::abort();
}

}  // namespace

std::string_view StateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Unknown";
}

Group::Group(std::string group_id, const GroupConfig* config)
    : group_id_(std::move(group_id)), config_(config) {}

std::string Group::AssignmentOf(const std::string& member_id) const {
  auto it = members_.find(member_id);
  return it == members_.end() ? std::string() : it->second.assignment;
}

std::string Group::StaticMember(const std::string& instance_id) const {
  auto it = static_members_.find(instance_id);
  return it == static_members_.end() ? std::string() : it->second;
}

// ---- protocol selection ----

bool Group::SupportsProtocols(const std::string& protocol_type,
                              const std::vector<Protocol>& protocols) const {
  if (protocol_type.empty() || protocols.empty()) return false;
  if (members_.empty()) return true;
  if (protocol_type != protocol_type_) return false;
  const std::set<std::string> candidates = CandidateProtocols();
  for (const Protocol& p : protocols) {
    if (candidates.count(p.name) > 0) return true;
  }
  return false;
}

std::set<std::string> Group::CandidateProtocols() const {
  std::set<std::string> out;
  bool first = true;
  for (const auto& [id, m] : members_) {
    std::set<std::string> mine;
    for (const Protocol& p : m.protocols) mine.insert(p.name);
    if (first) {
      out = std::move(mine);
      first = false;
    } else {
      std::set<std::string> both;
      std::set_intersection(out.begin(), out.end(), mine.begin(), mine.end(),
                            std::inserter(both, both.begin()));
      out = std::move(both);
    }
  }
  return out;
}

std::string Group::SelectProtocol() const {
  const std::set<std::string> candidates = CandidateProtocols();
  if (candidates.empty()) return "";
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_) {
    for (const Protocol& p : m.protocols) {
      if (candidates.count(p.name) > 0) {
        ++votes[p.name];
        break;
      }
    }
  }
  // Ties go to the leader's preference (any member's order would do; this one is stable).
  std::vector<std::string> order;
  auto leader = members_.find(leader_id_);
  const Member& tie_breaker = leader != members_.end() ? leader->second : members_.begin()->second;
  for (const Protocol& p : tie_breaker.protocols) {
    if (candidates.count(p.name) > 0) order.push_back(p.name);
  }
  std::string best;
  int best_votes = -1;
  for (const std::string& name : order) {
    if (votes[name] > best_votes) {
      best = name;
      best_votes = votes[name];
    }
  }
  return best;
}

const std::string* Group::MetadataFor(const Member& m, const std::string& protocol) const {
  for (const Protocol& p : m.protocols) {
    if (p.name == protocol) return &p.metadata;
  }
  return nullptr;
}

// ---- JoinGroup ----

void Group::Join(const JoinRequest& request, int64_t now_ms, JoinCallback done) {
  auto fail = [&](ErrorCode code) {
    JoinResult r;
    r.error_code = Code(code);
    r.member_id = request.member_id;
    ready_.push_back([done = std::move(done), r] { done(r); });
  };
  if (state_ == GroupState::kDead) return fail(ErrorCode::kCoordinatorNotAvailable);
  if (request.session_timeout_ms < config_->min_session_timeout_ms ||
      request.session_timeout_ms > config_->max_session_timeout_ms) {
    return fail(ErrorCode::kInvalidSessionTimeout);
  }
  if (!SupportsProtocols(request.protocol_type, request.protocols)) {
    return fail(ErrorCode::kInconsistentGroupProtocol);
  }
  if (request.member_id.empty()) {
    // A static member coming back under a new member id (a restarted process).
    if (request.group_instance_id.has_value() &&
        static_members_.count(*request.group_instance_id) > 0) {
      return RejoinStatic(request, now_ms, std::move(done));
    }
    if (members_.size() + pending_members_.size() >= static_cast<size_t>(config_->max_size)) {
      return fail(ErrorCode::kGroupMaxSizeReached);
    }
    const std::string& id = request.fresh_member_id;
    if (request.require_known_member_id && !request.group_instance_id.has_value()) {
      // KIP-394: the member learns its id first, so that a join retried after a lost answer
      // does not leave an orphan member behind for a whole session timeout.
      pending_members_[id] = now_ms + request.session_timeout_ms;
      JoinResult r;
      r.error_code = Code(ErrorCode::kMemberIdRequired);
      r.member_id = id;
      ready_.push_back([done = std::move(done), r] { done(r); });
      return;
    }
    AddMember(request, id, now_ms, std::move(done));
    return;
  }
  if (pending_members_.count(request.member_id) > 0) {
    if (members_.size() >= static_cast<size_t>(config_->max_size)) {
      pending_members_.erase(request.member_id);
      return fail(ErrorCode::kGroupMaxSizeReached);
    }
    pending_members_.erase(request.member_id);
    AddMember(request, request.member_id, now_ms, std::move(done));
    return;
  }
  JoinKnown(request, now_ms, std::move(done));
}

void Group::JoinKnown(const JoinRequest& request, int64_t now_ms, JoinCallback done) {
  const int16_t member_error = CheckMember({request.member_id, request.group_instance_id});
  if (member_error != kNone) {
    JoinResult r;
    r.error_code = member_error;
    r.member_id = request.member_id;
    ready_.push_back([done = std::move(done), r] { done(r); });
    return;
  }
  Member& m = members_.at(request.member_id);
  m.last_heartbeat_ms = now_ms;
  auto answer_current = [&] {
    JoinResult r = CurrentJoinResult(m, m.member_id == leader_id_);
    ready_.push_back([done = std::move(done), r] { done(r); });
  };
  switch (state_) {
    case GroupState::kPreparingRebalance:
      UpdateMember(m, request, std::move(done));
      TryCompleteJoin(now_ms);
      return;
    case GroupState::kCompletingRebalance:
      // Unchanged metadata: the join answer was lost, send it again.
      if (m.protocols == request.protocols) return answer_current();
      UpdateMember(m, request, std::move(done));
      PrepareRebalance(now_ms);
      return;
    case GroupState::kStable:
      // A follower rejoining without a change gets the current generation (as Kafka); the
      // leader rejoining means it wants a new assignment (it saw the topics change).
      if (m.member_id != leader_id_ && m.protocols == request.protocols) {
        return answer_current();
      }
      UpdateMember(m, request, std::move(done));
      PrepareRebalance(now_ms);
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
  // Not reached: CheckMember found a member, so the group is neither Empty nor Dead.
  Broken(group_id_, "a known member in an Empty or Dead group");
}

void Group::AddMember(const JoinRequest& request, const std::string& member_id, int64_t now_ms,
                      JoinCallback done) {
  Member m;
  m.member_id = member_id;
  m.group_instance_id = request.group_instance_id;
  m.client_id = request.client_id;
  m.client_host = request.client_host;
  m.last_heartbeat_ms = now_ms;
  if (members_.empty()) protocol_type_ = request.protocol_type;
  members_[member_id] = std::move(m);
  join_order_.push_back(member_id);
  if (request.group_instance_id.has_value()) {
    static_members_[*request.group_instance_id] = member_id;
  }
  if (leader_id_.empty()) leader_id_ = member_id;
  UpdateMember(members_[member_id], request, std::move(done));
  if (initial_delay_) joined_during_delay_ = true;
  MaybePrepareRebalance(now_ms);
  TryCompleteJoin(now_ms);
}

void Group::UpdateMember(Member& m, const JoinRequest& request, JoinCallback done) {
  m.session_timeout_ms = request.session_timeout_ms;
  m.rebalance_timeout_ms = request.rebalance_timeout_ms;
  m.protocol_type = request.protocol_type;
  m.protocols = request.protocols;
  m.client_id = request.client_id;
  m.client_host = request.client_host;
  if (m.awaiting_join) {
    // A second join while the first waits: the first is superseded (Kafka answers it too).
    JoinResult r;
    r.error_code = Code(ErrorCode::kUnknownMemberId);
    r.member_id = m.member_id;
    ready_.push_back([old = std::move(m.awaiting_join), r] { old(r); });
  }
  m.awaiting_join = std::move(done);
}

void Group::RejoinStatic(const JoinRequest& request, int64_t now_ms, JoinCallback done) {
  const std::string old_id = static_members_.at(*request.group_instance_id);
  const std::string& new_id = request.fresh_member_id;
  Member m = std::move(members_.at(old_id));
  members_.erase(old_id);
  // The old id's waiting requests belong to a fenced process.
  if (m.awaiting_join) {
    JoinResult r;
    r.error_code = Code(ErrorCode::kFencedInstanceId);
    r.member_id = old_id;
    ready_.push_back([old = std::move(m.awaiting_join), r] { old(r); });
    m.awaiting_join = nullptr;
  }
  if (m.awaiting_sync) {
    SyncResult r;
    r.error_code = Code(ErrorCode::kFencedInstanceId);
    ready_.push_back([old = std::move(m.awaiting_sync), r] { old(r); });
    m.awaiting_sync = nullptr;
  }
  const bool metadata_unchanged = m.protocols == request.protocols;
  m.member_id = new_id;
  m.last_heartbeat_ms = now_ms;
  std::replace(join_order_.begin(), join_order_.end(), old_id, new_id);
  static_members_[*request.group_instance_id] = new_id;
  const std::string previous_leader = leader_id_;
  if (leader_id_ == old_id) leader_id_ = new_id;
  Member& placed = members_[new_id] = std::move(m);
  UpdateMember(placed, request, std::move(done));
  switch (state_) {
    case GroupState::kStable:
      if (metadata_unchanged && protocol_name_.has_value() &&
          SelectProtocol() == *protocol_name_) {
        // KIP-345: same process identity, same subscription: keep the assignment, no
        // rebalance. The answer names the old leader id so that a returning leader does not
        // run a needless assignment a Stable group would not hand out.
        JoinResult r = CurrentJoinResult(placed, /*with_members=*/false);
        r.leader_id = previous_leader;
        ready_.push_back([cb = std::move(placed.awaiting_join), r] { cb(r); });
        placed.awaiting_join = nullptr;
        return;
      }
      PrepareRebalance(now_ms);
      return;
    case GroupState::kCompletingRebalance:
      PrepareRebalance(now_ms);
      return;
    case GroupState::kPreparingRebalance:
      TryCompleteJoin(now_ms);
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      Broken(group_id_, "a static member in an Empty or Dead group");
  }
}

// ---- rebalance ----

void Group::MaybePrepareRebalance(int64_t now_ms) {
  if (state_ == GroupState::kEmpty || state_ == GroupState::kStable ||
      state_ == GroupState::kCompletingRebalance) {
    PrepareRebalance(now_ms);
  }
}

void Group::PrepareRebalance(int64_t now_ms) {
  // Followers waiting for the leader's assignment will not get one for this generation.
  if (state_ == GroupState::kCompletingRebalance) {
    PropagateSyncError(Code(ErrorCode::kRebalanceInProgress));
  }
  int32_t rebalance_timeout_ms = 0;
  for (const auto& [id, m] : members_) {
    rebalance_timeout_ms = std::max(rebalance_timeout_ms, m.rebalance_timeout_ms);
  }
  if (state_ == GroupState::kEmpty) {
    initial_delay_ = true;
    initial_delay_started_ms_ = now_ms;
    initial_delay_max_ms_ = rebalance_timeout_ms;
    joined_during_delay_ = false;
    rebalance_deadline_ms_ =
        now_ms + std::min(config_->initial_rebalance_delay_ms, rebalance_timeout_ms);
  } else {
    initial_delay_ = false;
    rebalance_deadline_ms_ = now_ms + rebalance_timeout_ms;
  }
  TransitionTo(GroupState::kPreparingRebalance);
  // Everyone may be waiting already (a lone member rejoining, the last one leaving).
  TryCompleteJoin(now_ms);
}

bool Group::AllMembersJoined() const {
  if (!pending_members_.empty()) return false;
  for (const auto& [id, m] : members_) {
    if (!m.awaiting_join) return false;
  }
  return true;
}

void Group::TryCompleteJoin(int64_t now_ms) {
  if (state_ != GroupState::kPreparingRebalance || initial_delay_) return;
  if (AllMembersJoined()) CompleteJoin(now_ms);
}

void Group::CompleteJoin(int64_t now_ms) {
  // Members that did not rejoin within the rebalance timeout are out.
  std::vector<std::string> gone;
  for (const auto& [id, m] : members_) {
    if (!m.awaiting_join) gone.push_back(id);
  }
  for (const std::string& id : gone) RemoveMember(id, kNone);
  initial_delay_ = false;
  ++generation_id_;
  if (members_.empty()) {
    protocol_name_.reset();
    protocol_type_.clear();
    TransitionTo(GroupState::kEmpty);
    return;
  }
  protocol_name_ = SelectProtocol();
  TransitionTo(GroupState::kCompletingRebalance);
  for (auto& [id, m] : members_) {
    m.last_heartbeat_ms = now_ms;
    AnswerJoin(m, CurrentJoinResult(m, id == leader_id_));
  }
}

JoinResult Group::CurrentJoinResult(const Member& m, bool with_members) const {
  JoinResult r;
  r.generation_id = generation_id_;
  r.protocol_type = protocol_type_;
  r.protocol_name = protocol_name_;
  r.leader_id = leader_id_;
  r.member_id = m.member_id;
  if (with_members && protocol_name_.has_value()) {
    for (const std::string& id : join_order_) {
      const Member& other = members_.at(id);
      const std::string* metadata = MetadataFor(other, *protocol_name_);
      r.members.push_back({id, other.group_instance_id, metadata ? *metadata : ""});
    }
  }
  return r;
}

void Group::AnswerJoin(Member& m, JoinResult result) {
  if (!m.awaiting_join) return;
  ready_.push_back([cb = std::move(m.awaiting_join), r = std::move(result)] { cb(r); });
  m.awaiting_join = nullptr;
}

void Group::AnswerSync(Member& m, SyncResult result) {
  if (!m.awaiting_sync) return;
  ready_.push_back([cb = std::move(m.awaiting_sync), r = std::move(result)] { cb(r); });
  m.awaiting_sync = nullptr;
}

void Group::PropagateSyncError(int16_t error_code) {
  for (auto& [id, m] : members_) {
    m.assignment.clear();
    m.assignment_generation = -1;
    SyncResult r;
    r.error_code = error_code;
    AnswerSync(m, r);
  }
}

void Group::RemoveMember(const std::string& member_id, int16_t pending_error) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  Member& m = it->second;
  JoinResult jr;
  jr.error_code = pending_error == kNone ? Code(ErrorCode::kUnknownMemberId) : pending_error;
  jr.member_id = member_id;
  AnswerJoin(m, jr);
  SyncResult sr;
  sr.error_code = jr.error_code;
  AnswerSync(m, sr);
  if (m.group_instance_id.has_value()) static_members_.erase(*m.group_instance_id);
  members_.erase(it);
  join_order_.erase(std::remove(join_order_.begin(), join_order_.end(), member_id),
                    join_order_.end());
  if (leader_id_ == member_id) {
    // Leadership passes to the oldest remaining member.
    leader_id_ = join_order_.empty() ? std::string() : join_order_.front();
  }
}

void Group::AfterRemoval(int64_t now_ms) {
  switch (state_) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      PrepareRebalance(now_ms);
      break;
    case GroupState::kPreparingRebalance:
      TryCompleteJoin(now_ms);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

void Group::TransitionTo(GroupState state) { state_ = state; }

// ---- SyncGroup, Heartbeat, LeaveGroup ----

int16_t Group::CheckMember(const MemberIdentity& member) const {
  if (member.group_instance_id.has_value()) {
    auto s = static_members_.find(*member.group_instance_id);
    if (s != static_members_.end() && s->second != member.member_id) {
      return Code(ErrorCode::kFencedInstanceId);
    }
  }
  auto it = members_.find(member.member_id);
  if (it == members_.end()) return Code(ErrorCode::kUnknownMemberId);
  // As Kafka, a request without an instance id is not checked against one (v0-2 clients).
  if (member.group_instance_id.has_value() &&
      it->second.group_instance_id != member.group_instance_id) {
    return Code(ErrorCode::kFencedInstanceId);
  }
  return kNone;
}

void Group::Sync(const SyncRequest& request, int64_t now_ms, SyncCallback done) {
  auto answer = [&](int16_t code) {
    SyncResult r;
    r.error_code = code;
    ready_.push_back([done = std::move(done), r] { done(r); });
  };
  if (state_ == GroupState::kDead) return answer(Code(ErrorCode::kCoordinatorNotAvailable));
  const int16_t member_error = CheckMember({request.member_id, request.group_instance_id});
  if (member_error != kNone) return answer(member_error);
  if (request.generation_id != generation_id_) return answer(Code(ErrorCode::kIllegalGeneration));
  if ((request.protocol_type.has_value() && *request.protocol_type != protocol_type_) ||
      (request.protocol_name.has_value() && *request.protocol_name != protocol_name_)) {
    return answer(Code(ErrorCode::kInconsistentGroupProtocol));
  }
  Member& m = members_.at(request.member_id);
  m.last_heartbeat_ms = now_ms;
  switch (state_) {
    case GroupState::kEmpty:
      return answer(Code(ErrorCode::kUnknownMemberId));
    case GroupState::kPreparingRebalance:
      return answer(Code(ErrorCode::kRebalanceInProgress));
    case GroupState::kCompletingRebalance: {
      if (m.awaiting_sync) {
        SyncResult superseded;
        superseded.error_code = Code(ErrorCode::kRebalanceInProgress);
        AnswerSync(m, superseded);
      }
      m.awaiting_sync = std::move(done);
      if (m.member_id != leader_id_) return;
      // The leader's assignment: members it left out get an empty one (Kafka does the same).
      for (auto& [id, other] : members_) {
        auto a = request.assignments.find(id);
        other.assignment = a == request.assignments.end() ? std::string() : a->second;
        other.assignment_generation = generation_id_;
      }
      TransitionTo(GroupState::kStable);
      for (auto& [id, other] : members_) {
        SyncResult r;
        r.protocol_type = protocol_type_;
        r.protocol_name = protocol_name_;
        r.assignment = other.assignment;
        AnswerSync(other, r);
      }
      return;
    }
    case GroupState::kStable: {
      SyncResult r;
      r.protocol_type = protocol_type_;
      r.protocol_name = protocol_name_;
      r.assignment = m.assignment;
      ready_.push_back([done = std::move(done), r] { done(r); });
      return;
    }
    case GroupState::kDead:
      break;
  }
}

int16_t Group::Heartbeat(const MemberIdentity& member, int32_t generation_id, int64_t now_ms) {
  if (state_ == GroupState::kDead) return Code(ErrorCode::kCoordinatorNotAvailable);
  const int16_t member_error = CheckMember(member);
  if (member_error != kNone) return member_error;
  if (generation_id != generation_id_) return Code(ErrorCode::kIllegalGeneration);
  members_.at(member.member_id).last_heartbeat_ms = now_ms;
  if (state_ == GroupState::kPreparingRebalance) return Code(ErrorCode::kRebalanceInProgress);
  return kNone;
}

std::vector<int16_t> Group::Leave(const std::vector<MemberIdentity>& members, int64_t now_ms) {
  std::vector<int16_t> out;
  bool removed = false;
  for (const MemberIdentity& who : members) {
    if (state_ == GroupState::kDead) {
      out.push_back(Code(ErrorCode::kCoordinatorNotAvailable));
      continue;
    }
    MemberIdentity resolved = who;
    if (resolved.member_id.empty() && resolved.group_instance_id.has_value()) {
      // LeaveGroup v3+ may name a static member by its instance id alone.
      resolved.member_id = StaticMember(*resolved.group_instance_id);
    }
    if (!resolved.group_instance_id.has_value() &&
        pending_members_.erase(resolved.member_id) > 0) {
      out.push_back(kNone);
      removed = true;
      continue;
    }
    const int16_t error = CheckMember(resolved);
    out.push_back(error);
    if (error != kNone) continue;
    RemoveMember(resolved.member_id, kNone);
    removed = true;
  }
  if (removed) AfterRemoval(now_ms);
  return out;
}

// ---- offsets ----

int16_t Group::ValidateCommit(const MemberIdentity& member, int32_t generation_id) const {
  if (state_ == GroupState::kDead) return Code(ErrorCode::kCoordinatorNotAvailable);
  if (generation_id < 0 && member.member_id.empty() && !member.group_instance_id.has_value()) {
    // A simple consumer (manual assignment) commits outside any generation; Kafka accepts
    // that only while no member uses the group for membership.
    return state_ == GroupState::kEmpty ? kNone : Code(ErrorCode::kUnknownMemberId);
  }
  const int16_t member_error = CheckMember(member);
  if (member_error != kNone) return member_error;
  if (generation_id != generation_id_) return Code(ErrorCode::kIllegalGeneration);
  // Past JoinGroup but before the assignment: the client commits again after SyncGroup.
  if (state_ == GroupState::kCompletingRebalance) return Code(ErrorCode::kRebalanceInProgress);
  return kNone;
}

void Group::ApplyCommit(const std::map<TopicPartition, CommittedOffset>& offsets) {
  for (const auto& [tp, o] : offsets) offsets_[tp] = o;
}

GroupSnapshot Group::Snapshot() const {
  GroupSnapshot s;
  s.group_id = group_id_;
  s.generation_id = generation_id_;
  s.protocol_type = protocol_type_;
  s.protocol_name = protocol_name_.value_or("");
  s.leader_id = leader_id_;
  for (const std::string& id : join_order_) {
    const Member& m = members_.at(id);
    const std::string* metadata = MetadataFor(m, s.protocol_name);
    s.members.push_back({id, m.group_instance_id, m.client_id, m.client_host,
                         m.session_timeout_ms, m.rebalance_timeout_ms,
                         metadata ? *metadata : "", m.assignment});
  }
  return s;
}

void Group::Restore(const GroupSnapshot& snapshot, int64_t now_ms) {
  if (!members_.empty()) Broken(group_id_, "Restore into a group with members");
  generation_id_ = std::max(generation_id_, snapshot.generation_id);
  if (snapshot.members.empty()) return;
  protocol_type_ = snapshot.protocol_type;
  protocol_name_ = snapshot.protocol_name;
  for (const GroupSnapshot::Member& sm : snapshot.members) {
    Member m;
    m.member_id = sm.member_id;
    m.group_instance_id = sm.group_instance_id;
    m.client_id = sm.client_id;
    m.client_host = sm.client_host;
    m.session_timeout_ms = sm.session_timeout_ms;
    m.rebalance_timeout_ms = sm.rebalance_timeout_ms;
    m.protocol_type = snapshot.protocol_type;
    m.protocols = {{snapshot.protocol_name, sm.metadata}};
    m.assignment = sm.assignment;
    m.assignment_generation = generation_id_;
    m.last_heartbeat_ms = now_ms;
    if (m.group_instance_id.has_value()) static_members_[*m.group_instance_id] = m.member_id;
    join_order_.push_back(m.member_id);
    members_[m.member_id] = std::move(m);
  }
  leader_id_ = members_.count(snapshot.leader_id) > 0 ? snapshot.leader_id : join_order_.front();
  TransitionTo(GroupState::kStable);
}

void Group::Evict(int16_t error_code) {
  std::vector<std::string> ids(join_order_);
  for (const std::string& id : ids) RemoveMember(id, error_code);
  pending_members_.clear();
  initial_delay_ = false;
  leader_id_.clear();
  protocol_name_.reset();
  protocol_type_.clear();
  TransitionTo(GroupState::kEmpty);
}

int16_t Group::Delete() {
  if (state_ == GroupState::kDead) return Code(ErrorCode::kGroupIdNotFound);
  if (state_ != GroupState::kEmpty) return Code(ErrorCode::kNonEmptyGroup);
  offsets_.clear();
  pending_members_.clear();
  TransitionTo(GroupState::kDead);
  return kNone;
}

// ---- timers ----

bool Group::KeepAlive(const Member& m, int64_t now_ms) const {
  // A member whose JoinGroup or SyncGroup waits is alive (its heartbeat thread may be
  // blocked behind the request, as in Kafka's shouldKeepAlive).
  if (m.awaiting_join || m.awaiting_sync) return true;
  return m.last_heartbeat_ms + m.session_timeout_ms > now_ms;
}

void Group::Tick(int64_t now_ms) {
  if (state_ == GroupState::kDead) return;
  for (auto it = pending_members_.begin(); it != pending_members_.end();) {
    it = it->second <= now_ms ? pending_members_.erase(it) : std::next(it);
  }
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_) {
    if (!KeepAlive(m, now_ms)) expired.push_back(id);
  }
  for (const std::string& id : expired) RemoveMember(id, kNone);
  if (!expired.empty()) AfterRemoval(now_ms);
  if (state_ != GroupState::kPreparingRebalance) return;
  if (initial_delay_) {
    if (now_ms < rebalance_deadline_ms_) return;
    const int64_t spent_ms = now_ms - initial_delay_started_ms_;
    const int64_t left_ms = initial_delay_max_ms_ - spent_ms;
    if (joined_during_delay_ && left_ms > 0) {
      // Members are still arriving: wait another delay, within the rebalance timeout.
      joined_during_delay_ = false;
      rebalance_deadline_ms_ =
          now_ms + std::min<int64_t>(config_->initial_rebalance_delay_ms, left_ms);
      return;
    }
    CompleteJoin(now_ms);
    return;
  }
  if (AllMembersJoined() || now_ms >= rebalance_deadline_ms_) CompleteJoin(now_ms);
}

int64_t Group::NextDeadlineMs() const {
  int64_t next = std::numeric_limits<int64_t>::max();
  if (state_ == GroupState::kDead) return next;
  if (state_ == GroupState::kPreparingRebalance) next = rebalance_deadline_ms_;
  for (const auto& [id, expiry] : pending_members_) next = std::min(next, expiry);
  for (const auto& [id, m] : members_) {
    if (!m.awaiting_join && !m.awaiting_sync) {
      next = std::min(next, m.last_heartbeat_ms + m.session_timeout_ms);
    }
  }
  return next;
}

// ---- inspection ----

GroupSummary Group::Describe() const {
  GroupSummary s;
  s.group_id = group_id_;
  s.state = state_;
  s.protocol_type = protocol_type_;
  s.generation_id = generation_id_;
  s.leader_id = leader_id_;
  s.member_count = members_.size();
  const bool stable = state_ == GroupState::kStable;
  if (stable && protocol_name_.has_value()) s.protocol_name = *protocol_name_;
  for (const std::string& id : join_order_) {
    const Member& m = members_.at(id);
    MemberSummary ms{id, m.group_instance_id, m.client_id, m.client_host, "", ""};
    if (stable && protocol_name_.has_value()) {
      const std::string* metadata = MetadataFor(m, *protocol_name_);
      if (metadata != nullptr) ms.metadata = *metadata;
      ms.assignment = m.assignment;
    }
    s.members.push_back(std::move(ms));
  }
  return s;
}

void Group::CheckInvariants() const {
  if (members_.size() != join_order_.size()) Broken(group_id_, "join order out of step");
  if (!leader_id_.empty() && members_.count(leader_id_) == 0) {
    Broken(group_id_, "the leader is not a member");
  }
  if (!members_.empty() && leader_id_.empty()) Broken(group_id_, "members without a leader");
  if (state_ == GroupState::kEmpty && !members_.empty()) Broken(group_id_, "Empty with members");
  if ((state_ == GroupState::kStable || state_ == GroupState::kCompletingRebalance) &&
      members_.empty()) {
    Broken(group_id_, "a settled group without members");
  }
  if (state_ == GroupState::kStable) {
    for (const auto& [id, m] : members_) {
      if (m.assignment_generation != generation_id_) {
        Broken(group_id_, "a Stable member without this generation's assignment");
      }
    }
  }
  size_t static_count = 0;
  for (const auto& [id, m] : members_) {
    if (!m.group_instance_id.has_value()) continue;
    ++static_count;
    auto s = static_members_.find(*m.group_instance_id);
    if (s == static_members_.end() || s->second != id) {
      Broken(group_id_, "a static member missing from the instance map");
    }
  }
  if (static_count != static_members_.size()) Broken(group_id_, "stale instance ids");
}

}  // namespace keel::broker::group

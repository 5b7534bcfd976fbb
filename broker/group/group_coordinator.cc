#include "broker/group/group_coordinator.h"

#include <cstdio>
#include <limits>
#include <utility>

#include "kafka/error_codes.h"

namespace keel::broker::group {
namespace {

using keel::kafka::Code;
using keel::kafka::ErrorCode;

}  // namespace

GroupCoordinator::GroupCoordinator(GroupConfig config, std::function<int64_t()> monotonic_ms,
                                   OffsetStore* store, uint64_t seed)
    : config_(config),
      monotonic_ms_(std::move(monotonic_ms)),
      store_(store),
      random_(seed != 0 ? seed : std::random_device{}()) {}

void GroupCoordinator::Run(Ready ready) {
  for (auto& f : ready) f();
}

void GroupCoordinator::NotePersist(const Group& g, const Before& before,
                                   std::vector<GroupSnapshot>* out) {
  rebalances_total_ += g.generation_id() - before.generation_id;
  // Persisted like Kafka's GroupMetadata: on becoming Stable (the assignment is settled) and
  // on a new Empty generation (the last member left or expired), so that a new coordinator
  // neither loses a settled group nor revives a departed one.
  const bool now_stable = g.state() == GroupState::kStable && before.state != GroupState::kStable;
  const bool now_empty =
      g.state() == GroupState::kEmpty && g.generation_id() != before.generation_id;
  if (now_stable || now_empty) out->push_back(g.Snapshot());
}

void GroupCoordinator::Persist(const std::vector<GroupSnapshot>& snapshots) {
  // A failed write costs a rebalance after a coordinator change, nothing else: the members
  // still get their answers (Kafka would answer the error and rebalance now).
  for (const GroupSnapshot& s : snapshots) (void)store_->StoreGroup(s);
}

std::string GroupCoordinator::FreshMemberId(const std::string& client_id) {
  // Kafka's shape: client id, a dash, a random uuid.
  char buffer[40];
  const uint64_t hi = random_();
  const uint64_t lo = random_();
  std::snprintf(buffer, sizeof(buffer), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return client_id + "-" + buffer;
}

void GroupCoordinator::Join(const std::string& group_id, JoinRequest request,
                            JoinCallback done) {
  const int64_t start_ms = monotonic_ms_();
  done = [this, start_ms, done = std::move(done)](const JoinResult& r) {
    GroupObserver* o = observer_.load();
    if (o != nullptr && r.error_code == 0) o->OnJoin(monotonic_ms_() - start_ms);
    done(r);
  };
  Ready ready;
  std::vector<GroupSnapshot> persist;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(group_id);
    if (it == groups_.end()) {
      if (!request.member_id.empty()) {
        JoinResult r;
        r.error_code = Code(ErrorCode::kUnknownMemberId);
        r.member_id = request.member_id;
        ready.push_back([done = std::move(done), r] { done(r); });
      } else {
        it = groups_.emplace(group_id, std::make_unique<Group>(group_id, &config_)).first;
      }
    }
    if (it != groups_.end()) {
      request.fresh_member_id = FreshMemberId(request.client_id);
      const Before before = {it->second->state(), it->second->generation_id()};
      it->second->Join(request, monotonic_ms_(), std::move(done));
      NotePersist(*it->second, before, &persist);
      ready = it->second->TakeReady();
    }
  }
  Persist(persist);
  Run(std::move(ready));
}

void GroupCoordinator::Sync(const std::string& group_id, const SyncRequest& request,
                            SyncCallback done) {
  const int64_t start_ms = monotonic_ms_();
  done = [this, start_ms, done = std::move(done)](const SyncResult& r) {
    GroupObserver* o = observer_.load();
    if (o != nullptr && r.error_code == 0) o->OnSync(monotonic_ms_() - start_ms);
    done(r);
  };
  Ready ready;
  std::vector<GroupSnapshot> persist;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(group_id);
    if (it == groups_.end()) {
      SyncResult r;
      r.error_code = Code(ErrorCode::kUnknownMemberId);
      ready.push_back([done = std::move(done), r] { done(r); });
    } else {
      const Before before = {it->second->state(), it->second->generation_id()};
      it->second->Sync(request, monotonic_ms_(), std::move(done));
      NotePersist(*it->second, before, &persist);
      ready = it->second->TakeReady();
    }
  }
  Persist(persist);
  Run(std::move(ready));
}

int16_t GroupCoordinator::Heartbeat(const std::string& group_id, const MemberIdentity& member,
                                    int32_t generation_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return Code(ErrorCode::kUnknownMemberId);
  return it->second->Heartbeat(member, generation_id, monotonic_ms_());
}

std::vector<int16_t> GroupCoordinator::Leave(const std::string& group_id,
                                             const std::vector<MemberIdentity>& members) {
  Ready ready;
  std::vector<int16_t> out;
  std::vector<GroupSnapshot> persist;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(group_id);
    if (it == groups_.end()) {
      out.assign(members.size(), Code(ErrorCode::kUnknownMemberId));
    } else {
      const Before before = {it->second->state(), it->second->generation_id()};
      out = it->second->Leave(members, monotonic_ms_());
      NotePersist(*it->second, before, &persist);
      ready = it->second->TakeReady();
    }
  }
  Persist(persist);
  Run(std::move(ready));
  return out;
}

std::map<TopicPartition, int16_t> GroupCoordinator::Commit(
    const std::string& group_id, const MemberIdentity& member, int32_t generation_id,
    const std::map<TopicPartition, CommittedOffset>& offsets) {
  const int64_t start_ms = monotonic_ms_();
  std::map<TopicPartition, int16_t> out = CommitUnobserved(group_id, member, generation_id, offsets);
  if (GroupObserver* o = observer_.load(); o != nullptr) {
    size_t committed = 0;
    for (const auto& [tp, e] : out) committed += e == 0 ? 1 : 0;
    o->OnCommit(monotonic_ms_() - start_ms, committed, out.size() - committed);
  }
  return out;
}

std::map<TopicPartition, int16_t> GroupCoordinator::CommitUnobserved(
    const std::string& group_id, const MemberIdentity& member, int32_t generation_id,
    const std::map<TopicPartition, CommittedOffset>& offsets) {
  std::map<TopicPartition, int16_t> out;
  std::map<TopicPartition, CommittedOffset> accepted;
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(group_id);
    int16_t error = 0;
    if (it == groups_.end()) {
      // A group only used to store offsets (manual assignment) starts with its first commit.
      if (generation_id < 0 && member.member_id.empty()) {
        it = groups_.emplace(group_id, std::make_unique<Group>(group_id, &config_)).first;
      } else {
        error = Code(ErrorCode::kIllegalGeneration);
      }
    }
    if (error == 0) error = it->second->ValidateCommit(member, generation_id);
    for (const auto& [tp, o] : offsets) {
      int16_t code = error;
      if (code == 0 && o.metadata.has_value() &&
          o.metadata->size() > static_cast<size_t>(config_.offset_metadata_max_bytes)) {
        code = Code(ErrorCode::kOffsetMetadataTooLarge);
      }
      out[tp] = code;
      if (code == 0) accepted[tp] = o;
    }
    seq = ++commit_seq_;
  }
  if (accepted.empty()) return out;
  if (absl::Status s = store_->StoreOffsets(group_id, accepted); !s.ok()) {
    // Kafka answers a failed append to __consumer_offsets with COORDINATOR_NOT_AVAILABLE
    // (the client retries, possibly after finding the coordinator again).
    for (const auto& [tp, o] : accepted) out[tp] = Code(ErrorCode::kCoordinatorNotAvailable);
    return out;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(group_id);
  if (it == groups_.end() || it->second->state() == GroupState::kDead) return out;
  std::map<TopicPartition, CommittedOffset> apply;
  auto& applied = applied_seq_[group_id];
  for (const auto& [tp, o] : accepted) {
    uint64_t& last = applied[tp];
    if (seq > last) {
      last = seq;
      apply[tp] = o;
    }
  }
  it->second->ApplyCommit(apply);
  return out;
}

std::map<TopicPartition, CommittedOffset> GroupCoordinator::FetchOffsets(
    const std::string& group_id, const std::optional<std::vector<TopicPartition>>& partitions) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<TopicPartition, CommittedOffset> out;
  auto it = groups_.find(group_id);
  const std::map<TopicPartition, CommittedOffset>* committed =
      it == groups_.end() ? nullptr : &it->second->offsets();
  if (!partitions.has_value()) {
    if (committed != nullptr) out = *committed;
    return out;
  }
  for (const TopicPartition& tp : *partitions) {
    CommittedOffset o;  // offset -1: nothing committed
    if (committed != nullptr) {
      auto c = committed->find(tp);
      if (c != committed->end()) o = c->second;
    }
    out[tp] = o;
  }
  return out;
}

std::optional<GroupSummary> GroupCoordinator::Describe(const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return std::nullopt;
  return it->second->Describe();
}

std::vector<GroupSummary> GroupCoordinator::List() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GroupSummary> out;
  for (const auto& [id, g] : groups_) {
    GroupSummary s;
    s.group_id = id;
    s.state = g->state();
    s.protocol_type = g->protocol_type();
    s.generation_id = g->generation_id();
    s.member_count = g->member_count();
    out.push_back(std::move(s));
  }
  return out;
}

int16_t GroupCoordinator::Delete(const std::string& group_id) {
  std::vector<TopicPartition> committed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(group_id);
    if (it == groups_.end()) return Code(ErrorCode::kGroupIdNotFound);
    for (const auto& [tp, offset] : it->second->offsets()) committed.push_back(tp);
    const int16_t error = it->second->Delete();
    if (error != 0) return error;
    groups_.erase(it);
    applied_seq_.erase(group_id);
  }
  if (!store_->DeleteGroup(group_id, committed).ok()) return Code(ErrorCode::kCoordinatorNotAvailable);
  return 0;
}

void GroupCoordinator::LoadPartition(
    const std::function<bool(const std::string&)>& in_partition,
    const std::map<std::string, std::map<TopicPartition, CommittedOffset>>& offsets,
    const std::map<std::string, GroupSnapshot>& groups) {
  Ready ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now_ms = monotonic_ms_();
    for (auto it = groups_.begin(); it != groups_.end();) {
      if (!in_partition(it->first)) {
        ++it;
        continue;
      }
      it->second->Evict(Code(ErrorCode::kNotCoordinator));
      for (auto& f : it->second->TakeReady()) ready.push_back(std::move(f));
      applied_seq_.erase(it->first);
      it = groups_.erase(it);
    }
    auto group = [&](const std::string& id) -> Group& {
      auto it = groups_.find(id);
      if (it == groups_.end()) {
        it = groups_.emplace(id, std::make_unique<Group>(id, &config_)).first;
      }
      return *it->second;
    };
    for (const auto& [id, o] : offsets) group(id).ReplaceOffsets(o);
    for (const auto& [id, snapshot] : groups) group(id).Restore(snapshot, now_ms);
  }
  Run(std::move(ready));
}

void GroupCoordinator::Tick() {
  Ready ready;
  std::vector<GroupSnapshot> persist;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now_ms = monotonic_ms_();
    for (auto& [id, g] : groups_) {
      if (g->NextDeadlineMs() > now_ms) continue;
      const Before before = {g->state(), g->generation_id()};
      g->Tick(now_ms);
      NotePersist(*g, before, &persist);
      for (auto& f : g->TakeReady()) ready.push_back(std::move(f));
    }
  }
  Persist(persist);
  Run(std::move(ready));
}

int64_t GroupCoordinator::NextDeadlineMs() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t next = std::numeric_limits<int64_t>::max();
  for (auto& [id, g] : groups_) next = std::min(next, g->NextDeadlineMs());
  return next;
}

uint64_t GroupCoordinator::rebalances_total() {
  std::lock_guard<std::mutex> lock(mu_);
  return rebalances_total_;
}

void GroupCoordinator::CheckInvariants() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, g] : groups_) g->CheckInvariants();
}

}  // namespace keel::broker::group

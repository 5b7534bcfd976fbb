#include "broker/partition.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/check.h"

namespace keel::broker {

absl::StatusOr<std::unique_ptr<Partition>> Partition::Open(std::string dir, std::string topic,
                                                           int32_t partition, int32_t local_id,
                                                           const storage::LogOptions& options) {
  storage::LogOptions log_options = options;
  log_options.flush = storage::FlushPolicy::Never();  // flushed here, per topic policy
  auto log = storage::Log::Open(dir, log_options);
  if (!log.ok()) return log.status();
  return std::unique_ptr<Partition>(new Partition(std::move(dir), std::move(topic), partition,
                                                  local_id, std::move(*log), log_options));
}

Partition::Partition(std::string dir, std::string topic, int32_t partition, int32_t local_id,
                     std::unique_ptr<storage::Log> log, const storage::LogOptions& options)
    : dir_(std::move(dir)),
      topic_(std::move(topic)),
      partition_(partition),
      local_id_(local_id),
      log_(std::move(log)),
      default_segment_bytes_(options.segment_size_bytes),
      default_segment_ms_(options.segment_ms) {}

Partition::~Partition() = default;

bool Partition::Update(const PartitionAssignment& assignment, const TopicPolicy& policy,
                       int64_t now_ms) {
  std::lock_guard<std::mutex> append_lock(append_mu_);  // no append straddles the change
  std::lock_guard<std::mutex> lock(mu_);
  const bool was_leader = assignment_.leader == local_id_;
  const int32_t old_epoch = assignment_.leader_epoch;
  const int32_t old_partition_epoch = assignment_.partition_epoch;
  assignment_ = assignment;
  // The outcome of any expansion sent at the old partition epoch is now in `assignment`
  // (committed) or never will be (the controller answers at the newest epoch only).
  if (assignment.partition_epoch != old_partition_epoch || assignment.leader_epoch != old_epoch ||
      assignment.leader != local_id_) {
    pending_isr_additions_.clear();
  }
  if (policy.segment_bytes != policy_.segment_bytes || policy.segment_ms != policy_.segment_ms) {
    // segment.bytes / segment.ms are dynamic, like Kafka's: the next append rolls by them.
    // ResolveTopicPolicy passes only values the log accepts (else 0, the default).
    KEEL_CHECK(log_->SetSegmentRoll(
                       policy.segment_bytes > 0 ? policy.segment_bytes : default_segment_bytes_,
                       policy.segment_ms > 0 ? policy.segment_ms : default_segment_ms_)
                   .ok());
  }
  policy_ = policy;
  const bool is_leader = assignment.leader == local_id_;
  bool new_leadership = false;
  if (is_leader && (!was_leader || assignment.leader_epoch != old_epoch)) {
    new_leadership = true;
    // A new leader starts with no knowledge of its followers; they report on their next
    // fetch. Everyone gets the benefit of the doubt for replica_lag_time_max_ms.
    followers_.clear();
    for (int32_t id : assignment.replicas) {
      if (id != local_id_) followers_[id] = Follower{0, now_ms};
    }
    RecordEpochLocked(assignment.leader_epoch, log_->log_end_offset());
  }
  // Drop state of replicas that left the assignment.
  for (auto it = followers_.begin(); it != followers_.end();) {
    if (std::find(assignment.replicas.begin(), assignment.replicas.end(), it->first) ==
        assignment.replicas.end()) {
      it = followers_.erase(it);
    } else {
      ++it;
    }
  }
  if (is_leader) MaybeAdvanceHighWatermarkLocked();
  return new_leadership;
}

PartitionAssignment Partition::assignment() const {
  std::lock_guard<std::mutex> lock(mu_);
  return assignment_;
}

TopicPolicy Partition::policy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return policy_;
}

bool Partition::IsLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return assignment_.leader == local_id_;
}

bool Partition::IsFollowingAt(int32_t leader_epoch) const {
  std::lock_guard<std::mutex> lock(mu_);
  return CheckFollowingLocked(leader_epoch).ok();
}

bool Partition::IsLeaderAt(int32_t leader_epoch) const {
  std::lock_guard<std::mutex> lock(mu_);
  return assignment_.leader == local_id_ && assignment_.leader_epoch == leader_epoch;
}

absl::StatusOr<storage::AppendInfo> Partition::AppendAsLeader(std::vector<storage::Record> records,
                                                               int64_t now_ms,
                                                               int32_t* leader_epoch) {
  std::lock_guard<std::mutex> append_lock(append_mu_);
  int32_t epoch;
  TopicPolicy policy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (assignment_.leader != local_id_) {
      return absl::FailedPreconditionError("no longer the leader");
    }
    epoch = assignment_.leader_epoch;
    policy = policy_;
  }
  if (leader_epoch != nullptr) *leader_epoch = epoch;
  auto info = log_->Append(epoch, std::move(records));
  if (!info.ok()) return info.status();
  if (absl::Status s = MaybeFlush(policy, now_ms); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  MaybeAdvanceHighWatermarkLocked();
  return info;
}

absl::Status Partition::MaybeFlush(const TopicPolicy& policy, int64_t now_ms) {
  bool flush = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++batches_since_flush_;
    if (policy.flush_messages > 0 && batches_since_flush_ >= policy.flush_messages) flush = true;
    if (policy.flush_ms > 0 && now_ms - last_flush_ms_ >= policy.flush_ms) flush = true;
  }
  if (!flush) return absl::OkStatus();
  if (absl::Status s = log_->Flush(); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  batches_since_flush_ = 0;
  last_flush_ms_ = now_ms;
  return absl::OkStatus();
}

bool Partition::UpdateFollowerPosition(int32_t replica_id, int64_t log_end_offset,
                                       int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = followers_.find(replica_id);
  if (it == followers_.end()) return false;  // not a replica (any more)
  Follower& f = it->second;
  const int64_t leader_end = log_->log_end_offset();
  f.log_end_offset = log_end_offset;
  if (log_end_offset >= leader_end) {
    f.last_caught_up_ms = std::max(f.last_caught_up_ms, now_ms);
  } else if (log_end_offset >= f.leader_end_at_last_fetch) {
    f.last_caught_up_ms = std::max(f.last_caught_up_ms, f.last_fetch_ms);
  }
  f.last_fetch_ms = now_ms;
  f.leader_end_at_last_fetch = leader_end;
  const int64_t before = high_watermark_.load(std::memory_order_relaxed);
  MaybeAdvanceHighWatermarkLocked();
  return high_watermark_.load(std::memory_order_relaxed) != before;
}

absl::Status Partition::CheckFollowingLocked(int32_t fetch_epoch) const {
  if (assignment_.leader == local_id_ || assignment_.leader_epoch != fetch_epoch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "fetched in leader epoch ", fetch_epoch, ", now epoch ", assignment_.leader_epoch,
        assignment_.leader == local_id_ ? " led by this broker" : ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Partition::AppendAsFollower(const storage::RecordBatch& batch,
                                                 int32_t fetch_epoch) {
  std::lock_guard<std::mutex> append_lock(append_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = CheckFollowingLocked(fetch_epoch); !s.ok()) return s;
  }
  auto info = log_->AppendBatch(batch);
  if (!info.ok()) return info.status();
  std::lock_guard<std::mutex> lock(mu_);
  const bool newer = epochs_.empty() || epochs_.back().epoch < batch.leader_epoch;
  if (newer) RecordEpochLocked(batch.leader_epoch, batch.base_offset);
  return newer;
}

absl::Status Partition::TruncateTo(int64_t offset, int32_t fetch_epoch) {
  std::lock_guard<std::mutex> append_lock(append_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = CheckFollowingLocked(fetch_epoch); !s.ok()) return s;
  }
  if (absl::Status s = log_->TruncateFrom(offset); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t end = log_->log_end_offset();
  while (!epochs_.empty() && epochs_.back().start_offset >= end) epochs_.pop_back();
  if (high_watermark_.load() > end) high_watermark_.store(end);
  return absl::OkStatus();
}

absl::Status Partition::ResetTo(int64_t offset, int32_t fetch_epoch) {
  std::lock_guard<std::mutex> append_lock(append_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = CheckFollowingLocked(fetch_epoch); !s.ok()) return s;
  }
  if (absl::Status s = log_->Reset(offset); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  epochs_.clear();
  high_watermark_.store(offset);
  return absl::OkStatus();
}

int32_t Partition::LastFetchedEpoch() const {
  const int64_t end = log_->log_end_offset();
  if (end <= log_->log_start_offset()) return -1;
  auto epoch = log_->EpochAt(end - 1);
  return epoch.ok() ? *epoch : -1;
}

std::optional<std::vector<int32_t>> Partition::ProposedIsr(
    int64_t now_ms, int64_t lag_max_ms, const std::set<int32_t>* may_join) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ProposedIsrLocked(now_ms, lag_max_ms, may_join);
}

std::optional<Partition::IsrProposal> Partition::ProposeIsr(int64_t now_ms, int64_t lag_max_ms,
                                                            const std::set<int32_t>* may_join) {
  std::lock_guard<std::mutex> lock(mu_);
  auto proposed = ProposedIsrLocked(now_ms, lag_max_ms, may_join);
  if (!proposed.has_value()) return std::nullopt;
  for (int32_t id : *proposed) {
    if (!InMaximalIsrLocked(id)) pending_isr_additions_.push_back(id);
  }
  return IsrProposal{assignment_, std::move(*proposed)};
}

void Partition::IsrProposalRefused(int32_t partition_epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (assignment_.partition_epoch != partition_epoch) return;  // Update decided already
  pending_isr_additions_.clear();
  MaybeAdvanceHighWatermarkLocked();
}

bool Partition::InMaximalIsrLocked(int32_t id) const {
  return std::find(assignment_.isr.begin(), assignment_.isr.end(), id) != assignment_.isr.end() ||
         std::find(pending_isr_additions_.begin(), pending_isr_additions_.end(), id) !=
             pending_isr_additions_.end();
}

std::vector<int32_t> Partition::maximal_isr() const {
  std::lock_guard<std::mutex> lock(mu_);
  // ProposeIsr adds only replicas outside the committed ISR, so the two never overlap.
  std::vector<int32_t> out = assignment_.isr;
  out.insert(out.end(), pending_isr_additions_.begin(), pending_isr_additions_.end());
  return out;
}

std::optional<std::vector<int32_t>> Partition::ProposedIsrLocked(
    int64_t now_ms, int64_t lag_max_ms, const std::set<int32_t>* may_join) const {
  if (assignment_.leader != local_id_) return std::nullopt;
  const int64_t hw = high_watermark_.load();
  const int64_t epoch_start = epochs_.empty() ? 0 : epochs_.back().start_offset;
  std::vector<int32_t> isr;
  bool changed = false;
  for (int32_t id : assignment_.replicas) {
    const bool member =
        std::find(assignment_.isr.begin(), assignment_.isr.end(), id) != assignment_.isr.end();
    if (id == local_id_) {
      isr.push_back(id);
      changed |= !member;
      continue;
    }
    auto it = followers_.find(id);
    if (it == followers_.end()) {
      if (member) changed = true;  // unknown: drop it
      continue;
    }
    const Follower& f = it->second;
    if (member) {
      if (now_ms - f.last_caught_up_ms > lag_max_ms) {
        changed = true;
      } else {
        isr.push_back(id);
      }
    } else if (f.log_end_offset >= hw && f.log_end_offset >= epoch_start &&
               now_ms - f.last_caught_up_ms <= lag_max_ms &&
               (may_join == nullptr || may_join->count(id) > 0)) {
      isr.push_back(id);
      changed = true;
    }
  }
  if (!changed) return std::nullopt;
  return isr;
}

void Partition::MaybeAdvanceHighWatermarkLocked() {
  if (assignment_.leader != local_id_) return;
  int64_t hw = log_->log_end_offset();
  auto include = [&](int32_t id) {
    if (id == local_id_) return;
    auto it = followers_.find(id);
    hw = std::min(hw, it == followers_.end() ? 0 : it->second.log_end_offset);
  };
  for (int32_t id : assignment_.isr) include(id);
  for (int32_t id : pending_isr_additions_) include(id);
  // Monotonic within a leadership: a follower restarting behind must not pull it back.
  if (hw > high_watermark_.load(std::memory_order_relaxed)) {
    high_watermark_.store(hw, std::memory_order_release);
  }
}

void Partition::SetHighWatermarkFromLeader(int64_t leader_high_watermark,
                                           int32_t fetch_epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!CheckFollowingLocked(fetch_epoch).ok()) return;
  high_watermark_.store(std::min(leader_high_watermark, log_->log_end_offset()),
                        std::memory_order_release);
}

void Partition::RestoreHighWatermark(int64_t high_watermark) {
  high_watermark_.store(std::clamp(high_watermark, log_->log_start_offset(),
                                   log_->log_end_offset()),
                        std::memory_order_release);
}

std::vector<storage::state_keys::EpochEntry> Partition::epoch_history() const {
  std::lock_guard<std::mutex> lock(mu_);
  return epochs_;
}

void Partition::RestoreEpochHistory(std::vector<storage::state_keys::EpochEntry> history) {
  std::lock_guard<std::mutex> lock(mu_);
  epochs_ = std::move(history);
  // Entries past the log end (an unflushed tail lost in a crash) describe nothing.
  const int64_t end = log_->log_end_offset();
  while (epochs_.size() > 1 && epochs_.back().start_offset > end) epochs_.pop_back();
}

void Partition::RecordEpochLocked(int32_t epoch, int64_t start_offset) {
  if (!epochs_.empty() && epochs_.back().epoch >= epoch) return;
  // An epoch that started where the previous one did replaces it (it wrote nothing).
  while (!epochs_.empty() && epochs_.back().start_offset >= start_offset) epochs_.pop_back();
  epochs_.push_back({epoch, start_offset});
}

std::pair<int32_t, int64_t> Partition::EndOffsetForEpoch(int32_t epoch) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = epochs_.size(); i-- > 0;) {
    if (epochs_[i].epoch <= epoch) {
      const int64_t end = i + 1 < epochs_.size() ? epochs_[i + 1].start_offset
                                                 : log_->log_end_offset();
      return {epochs_[i].epoch, end};
    }
  }
  return {-1, -1};
}

std::map<int32_t, int64_t> Partition::follower_caught_up_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<int32_t, int64_t> out;
  for (const auto& [id, f] : followers_) out[id] = f.last_caught_up_ms;
  return out;
}

std::map<int32_t, int64_t> Partition::follower_log_end_offsets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<int32_t, int64_t> out;
  for (const auto& [id, f] : followers_) out[id] = f.log_end_offset;
  return out;
}

absl::Status Partition::Close() { return log_->Close(); }

}  // namespace keel::broker

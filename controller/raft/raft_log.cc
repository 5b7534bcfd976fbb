#include "controller/raft/raft_log.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "common/check.h"

namespace keel::raft {

RaftLog::RaftLog(const Storage* storage) : storage_(storage) {
  unstable_offset_ = storage_->LastIndex() + 1;
  committed_ = storage_->FirstIndex() - 1;
  applied_ = storage_->FirstIndex() - 1;
}

uint64_t RaftLog::FirstIndex() const {
  if (unstable_snapshot_.has_value()) return unstable_snapshot_->metadata.index() + 1;
  return storage_->FirstIndex();
}

uint64_t RaftLog::LastIndex() const {
  if (!unstable_entries_.empty()) return unstable_offset_ + unstable_entries_.size() - 1;
  if (unstable_snapshot_.has_value()) return unstable_snapshot_->metadata.index();
  return storage_->LastIndex();
}

uint64_t RaftLog::LastTerm() const { return TermOrZero(LastIndex()); }

absl::StatusOr<uint64_t> RaftLog::Term(uint64_t index) const {
  if (index + 1 < FirstIndex()) return CompactedError(index);
  if (index > LastIndex()) return UnavailableError(index);
  if (index >= unstable_offset_ && !unstable_entries_.empty()) {
    return unstable_entries_[index - unstable_offset_].term();
  }
  if (unstable_snapshot_.has_value() && index == unstable_snapshot_->metadata.index()) {
    return unstable_snapshot_->metadata.term();
  }
  return storage_->Term(index);
}

uint64_t RaftLog::TermOrZero(uint64_t index) const {
  auto t = Term(index);
  return t.ok() ? *t : 0;
}

bool RaftLog::MatchTerm(uint64_t index, uint64_t term) const {
  auto t = Term(index);
  return t.ok() && *t == term;
}

bool RaftLog::IsUpToDate(uint64_t index, uint64_t term) const {
  uint64_t last_term = LastTerm();
  return term > last_term || (term == last_term && index >= LastIndex());
}

absl::StatusOr<std::vector<Entry>> RaftLog::Slice(uint64_t lo, uint64_t hi,
                                                  uint64_t max_bytes) const {
  if (lo >= hi) return std::vector<Entry>();
  if (lo < FirstIndex()) return CompactedError(lo);
  if (hi > LastIndex() + 1) return UnavailableError(hi);
  std::vector<Entry> out;
  uint64_t stable_hi = std::min(hi, unstable_offset_);
  uint64_t bytes = 0;
  if (lo < stable_hi) {
    auto stored = storage_->Entries(lo, stable_hi, max_bytes);
    if (!stored.ok()) return stored.status();
    for (const Entry& e : *stored) bytes += e.ByteSizeLong();
    out = std::move(*stored);
    if (out.empty() || out.back().index() + 1 < stable_hi) return out;  // byte limit hit
  }
  for (uint64_t i = std::max(lo, unstable_offset_); i < hi; ++i) {
    const Entry& e = unstable_entries_[i - unstable_offset_];
    bytes += e.ByteSizeLong();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

uint64_t RaftLog::FindConflict(const std::vector<Entry>& entries) const {
  const uint64_t last = LastIndex();
  for (const Entry& e : entries) {
    // Past our last entry is new, not conflicting; decided without building an error Status.
    if (e.index() > last || !MatchTerm(e.index(), e.term())) return e.index();
  }
  return 0;
}

std::optional<uint64_t> RaftLog::MaybeAppend(uint64_t index, uint64_t log_term, uint64_t committed,
                                             std::vector<Entry> entries) {
  if (!MatchTerm(index, log_term)) return std::nullopt;
  uint64_t last_new = index + entries.size();
  uint64_t conflict = FindConflict(entries);
  if (conflict != 0) {
    // A committed entry never conflicts: that would mean two leaders committed different
    // entries at one index.
    KEEL_CHECK(conflict > committed_);
    entries.erase(entries.begin(), entries.begin() + static_cast<long>(conflict - index - 1));
    Append(std::move(entries));
  }
  CommitTo(std::min(committed, last_new));
  return last_new;
}

uint64_t RaftLog::Append(std::vector<Entry> entries) {
  if (entries.empty()) return LastIndex();
  uint64_t after = entries.front().index();
  KEEL_CHECK(after > committed_);
  // For entries to fit into our log, they must not leave a gap.
  KEEL_CHECK(after <= LastIndex() + 1);
  if (after <= unstable_offset_) {
    // Replaces everything unstable, and the durable suffix from `after` (the caller's
    // storage drops it when it persists these).
    unstable_offset_ = after;
    unstable_entries_ = std::move(entries);
  } else {
    // Appends, dropping any unstable suffix from `after` on.
    unstable_entries_.resize(after - unstable_offset_);
    unstable_entries_.insert(unstable_entries_.end(), std::make_move_iterator(entries.begin()),
                             std::make_move_iterator(entries.end()));
  }
  return LastIndex();
}

uint64_t RaftLog::FindConflictByTerm(uint64_t index, uint64_t term) const {
  index = std::min(index, LastIndex());
  while (index > 0) {
    auto t = Term(index);
    if (!t.ok() || *t <= term) break;
    --index;
  }
  return index;
}

void RaftLog::CommitTo(uint64_t index) {
  if (index <= committed_) return;
  KEEL_CHECK(index <= LastIndex());
  committed_ = index;
}

bool RaftLog::MaybeCommit(uint64_t index, uint64_t term) {
  // Figure 8: only an entry of the leader's current term is committed by counting replicas.
  if (index > committed_ && TermOrZero(index) == term) {
    CommitTo(index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t index) {
  if (index == 0) return;
  KEEL_CHECK(index <= committed_ && index >= applied_);
  applied_ = index;
}

void RaftLog::Restore(const Snapshot& snapshot) {
  committed_ = snapshot.metadata.index();
  unstable_snapshot_ = snapshot;
  unstable_entries_.clear();
  unstable_offset_ = snapshot.metadata.index() + 1;
}

bool RaftLog::HasNextCommitted() const { return committed_ > std::max(applied_, FirstIndex() - 1); }

std::vector<Entry> RaftLog::NextCommitted(uint64_t max_bytes) const {
  uint64_t lo = std::max(applied_ + 1, FirstIndex());
  if (committed_ + 1 <= lo) return {};
  auto entries = Slice(lo, committed_ + 1, max_bytes);
  KEEL_CHECK(entries.ok());
  return std::move(*entries);
}

void RaftLog::StableTo(uint64_t index, uint64_t term) {
  if (index < unstable_offset_ || unstable_entries_.empty()) return;
  if (index >= unstable_offset_ + unstable_entries_.size()) return;
  // Only if the entry is still the one persisted (it may have been replaced since).
  if (unstable_entries_[index - unstable_offset_].term() != term) return;
  unstable_entries_.erase(
      unstable_entries_.begin(),
      unstable_entries_.begin() + static_cast<long>(index + 1 - unstable_offset_));
  unstable_offset_ = index + 1;
}

void RaftLog::StableSnapTo(uint64_t index) {
  if (unstable_snapshot_.has_value() && unstable_snapshot_->metadata.index() == index) {
    unstable_snapshot_.reset();
  }
}

}  // namespace keel::raft

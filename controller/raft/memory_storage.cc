#include "controller/raft/memory_storage.h"

#include "absl/strings/str_cat.h"

namespace keel::raft {

MemoryStorage::MemoryStorage(ConfState conf_state) : conf_state_(std::move(conf_state)) {
  entries_.emplace_back();  // dummy at index 0, term 0
  *snapshot_.metadata.mutable_conf_state() = conf_state_;
}

absl::StatusOr<PersistedState> MemoryStorage::InitialState() const {
  PersistedState s;
  s.hard_state = hard_state_;
  s.conf_state = conf_state_;
  return s;
}

uint64_t MemoryStorage::FirstIndex() const { return entries_[0].index() + 1; }
uint64_t MemoryStorage::LastIndex() const { return entries_[0].index() + entries_.size() - 1; }

absl::StatusOr<uint64_t> MemoryStorage::Term(uint64_t index) const {
  uint64_t offset = entries_[0].index();
  if (index < offset) return CompactedError(index);
  if (index - offset >= entries_.size()) return UnavailableError(index);
  return entries_[index - offset].term();
}

absl::StatusOr<std::vector<Entry>> MemoryStorage::Entries(uint64_t lo, uint64_t hi,
                                                          uint64_t max_bytes) const {
  uint64_t offset = entries_[0].index();
  if (lo <= offset) return CompactedError(lo);
  if (hi > LastIndex() + 1) return UnavailableError(hi);
  std::vector<Entry> out;
  uint64_t bytes = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const Entry& e = entries_[i - offset];
    bytes += e.ByteSizeLong();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

absl::StatusOr<Snapshot> MemoryStorage::GetSnapshot() const {
  if (snapshot_.metadata.index() == 0) return UnavailableError(0);
  return snapshot_;
}

absl::Status MemoryStorage::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  uint64_t first = FirstIndex();
  uint64_t last = entries.back().index();
  if (last < first) return absl::OkStatus();
  size_t skip = entries.front().index() < first ? first - entries.front().index() : 0;
  uint64_t start = entries[skip].index();
  uint64_t offset = entries_[0].index();
  if (start > LastIndex() + 1) {
    return absl::InternalError(
        absl::StrCat("append at ", start, " leaves a gap after ", LastIndex()));
  }
  entries_.resize(start - offset);  // drop the conflicting suffix
  entries_.insert(entries_.end(), entries.begin() + static_cast<long>(skip), entries.end());
  return absl::OkStatus();
}

absl::Status MemoryStorage::ApplySnapshot(const Snapshot& snapshot) {
  if (snapshot.metadata.index() <= snapshot_.metadata.index()) {
    return absl::FailedPreconditionError("snapshot is older than the current one");
  }
  snapshot_ = snapshot;
  entries_.assign(1, Entry());
  entries_[0].set_index(snapshot.metadata.index());
  entries_[0].set_term(snapshot.metadata.term());
  return absl::OkStatus();
}

absl::Status MemoryStorage::CreateSnapshot(uint64_t index, ConfState conf_state, std::string data) {
  if (index <= snapshot_.metadata.index()) {
    return absl::FailedPreconditionError("snapshot is older than the current one");
  }
  if (index > LastIndex()) return UnavailableError(index);
  snapshot_.metadata.set_index(index);
  snapshot_.metadata.set_term(entries_[index - entries_[0].index()].term());
  *snapshot_.metadata.mutable_conf_state() = std::move(conf_state);
  snapshot_.data = std::move(data);
  return absl::OkStatus();
}

absl::Status MemoryStorage::Compact(uint64_t index) {
  uint64_t offset = entries_[0].index();
  if (index <= offset) return absl::OkStatus();
  if (index > snapshot_.metadata.index()) {
    return absl::FailedPreconditionError("compacting beyond the snapshot would lose entries");
  }
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(index - offset));
  entries_[0].clear_data();
  entries_[0].clear_type();
  return absl::OkStatus();
}

}  // namespace keel::raft

// MemoryStorage: the in-memory twin of the durable Raft log, used by tests, the simulator
// and the benchmark. What is in it counts as persisted: the simulator "crashes" a node by
// discarding its RawNode and keeping only its MemoryStorage.
//
// Layout: entries_[0] is a dummy holding the index and term of the last compacted entry
// (the snapshot's), so entries_[i] has index entries_[0].index() + i.
#ifndef KEEL_CONTROLLER_RAFT_MEMORY_STORAGE_H_
#define KEEL_CONTROLLER_RAFT_MEMORY_STORAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "controller/raft/storage.h"

namespace keel::raft {

class MemoryStorage : public Storage {
 public:
  explicit MemoryStorage(ConfState conf_state = {});

  absl::StatusOr<PersistedState> InitialState() const override;
  absl::StatusOr<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                             uint64_t max_bytes) const override;
  absl::StatusOr<uint64_t> Term(uint64_t index) const override;
  uint64_t FirstIndex() const override;
  uint64_t LastIndex() const override;
  absl::StatusOr<Snapshot> GetSnapshot() const override;

  // Appends entries, replacing any suffix from entries[0].index(). Entries below
  // FirstIndex() are ignored (already compacted into the snapshot).
  absl::Status Append(const std::vector<Entry>& entries);
  void SetHardState(const HardState& hs) { hard_state_ = hs; }
  // Replaces the whole log with `snapshot` (a follower installing the leader's snapshot).
  absl::Status ApplySnapshot(const Snapshot& snapshot);
  // Records a snapshot of the application at `index` (<= LastIndex()), with the membership
  // in force there (the storage's own ConfState when omitted). Errors: FailedPrecondition if
  // `index` is not newer than the current snapshot; IsUnavailable() beyond LastIndex().
  absl::Status CreateSnapshot(uint64_t index, ConfState conf_state, std::string data);
  absl::Status CreateSnapshot(uint64_t index, std::string data) {
    return CreateSnapshot(index, conf_state_, std::move(data));
  }
  // Drops entries up to and including `index` (which must be <= the snapshot index);
  // afterwards FirstIndex() == index + 1 and Term(index) still answers.
  absl::Status Compact(uint64_t index);

  const HardState& hard_state() const { return hard_state_; }

 private:
  HardState hard_state_;
  ConfState conf_state_;
  Snapshot snapshot_;
  std::vector<Entry> entries_;
};

}  // namespace keel::raft

#endif  // KEEL_CONTROLLER_RAFT_MEMORY_STORAGE_H_

// RaftLog: the node's view of its log: durable entries in Storage plus the unstable tail
// (entries and at most one snapshot) that the caller has not persisted yet.
//
// Invariants: applied <= committed <= LastIndex(); unstable entries start at
// unstable_offset_ and follow the durable log (or the unstable snapshot) without a gap.
#ifndef KEEL_CONTROLLER_RAFT_RAFT_LOG_H_
#define KEEL_CONTROLLER_RAFT_RAFT_LOG_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "controller/raft/storage.h"

namespace keel::raft {

class RaftLog {
 public:
  explicit RaftLog(const Storage* storage);

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  uint64_t LastTerm() const;
  absl::StatusOr<uint64_t> Term(uint64_t index) const;
  // Term(index) with errors mapped to 0 (an index we cannot vouch for matches nothing).
  uint64_t TermOrZero(uint64_t index) const;
  bool MatchTerm(uint64_t index, uint64_t term) const;
  // Raft's election restriction: is a log ending at (index, term) at least as up to date?
  bool IsUpToDate(uint64_t index, uint64_t term) const;

  // Entries in [lo, hi) bounded by max_bytes (at least one).
  absl::StatusOr<std::vector<Entry>> Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const;

  // Follower append: if our entry at `index` has `log_term`, appends the new part of
  // `entries` (dropping a conflicting suffix) and returns the last new index.
  std::optional<uint64_t> MaybeAppend(uint64_t index, uint64_t log_term, uint64_t committed,
                                      std::vector<Entry> entries);
  // Appends to the unstable tail, truncating it at entries[0].index(). Returns LastIndex().
  uint64_t Append(std::vector<Entry> entries);
  // The largest index <= `index` whose term is <= `term` (fast backtracking).
  uint64_t FindConflictByTerm(uint64_t index, uint64_t term) const;

  void CommitTo(uint64_t index);
  bool MaybeCommit(uint64_t index, uint64_t term);
  void AppliedTo(uint64_t index);
  void Restore(const Snapshot& snapshot);

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  void set_applied(uint64_t applied) { applied_ = applied; }
  void set_committed(uint64_t committed) { committed_ = committed; }

  const std::vector<Entry>& unstable_entries() const { return unstable_entries_; }
  const std::optional<Snapshot>& unstable_snapshot() const { return unstable_snapshot_; }
  bool HasNextCommitted() const;
  std::vector<Entry> NextCommitted(uint64_t max_bytes) const;
  // The caller persisted entries up to (index, term) / the snapshot at index.
  void StableTo(uint64_t index, uint64_t term);
  void StableSnapTo(uint64_t index);

 private:
  uint64_t FindConflict(const std::vector<Entry>& entries) const;

  const Storage* storage_;
  std::optional<Snapshot> unstable_snapshot_;
  std::vector<Entry> unstable_entries_;
  uint64_t unstable_offset_ = 1;
  uint64_t committed_ = 0;
  uint64_t applied_ = 0;
};

}  // namespace keel::raft

#endif  // KEEL_CONTROLLER_RAFT_RAFT_LOG_H_

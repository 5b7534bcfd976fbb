// The Raft core's read-only view of durable state (the etcd-io/raft Storage shape).
//
// Indexes are 1-based; index 0 with term 0 is the sentinel before the first entry. After a
// snapshot at index S, FirstIndex() == S + 1 and Term(S) is the snapshot's term (the "dummy"
// entry the append consistency check needs); entries below S + 1 are compacted.
//
// Errors: Term/Entries below FirstIndex() - 1 return a status for which IsCompacted() is
// true; beyond LastIndex() one for which IsUnavailable() is true. The core reacts to the
// first by sending a snapshot, and treats anything else as a broken invariant.
//
// Thread safety: called only from the thread that drives the RawNode.
#ifndef KEEL_CONTROLLER_RAFT_STORAGE_H_
#define KEEL_CONTROLLER_RAFT_STORAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/raft.pb.h"

namespace keel::raft {

struct Snapshot {
  SnapshotMetadata metadata;
  std::string data;
};

struct PersistedState {
  HardState hard_state;
  ConfState conf_state;
};

class Storage {
 public:
  virtual ~Storage() = default;
  virtual absl::StatusOr<PersistedState> InitialState() const = 0;
  // Entries in [lo, hi), at most max_bytes in total but always at least one if any exist.
  virtual absl::StatusOr<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                                     uint64_t max_bytes) const = 0;
  virtual absl::StatusOr<uint64_t> Term(uint64_t index) const = 0;
  virtual uint64_t FirstIndex() const = 0;
  virtual uint64_t LastIndex() const = 0;
  // The latest snapshot; IsUnavailable() when there is none yet.
  virtual absl::StatusOr<Snapshot> GetSnapshot() const = 0;
};

// Call these qualified (raft::IsUnavailable): absl has an IsUnavailable of its own (status
// code UNAVAILABLE) that argument-dependent lookup would also find.
absl::Status CompactedError(uint64_t index);
absl::Status UnavailableError(uint64_t index);
bool IsCompacted(const absl::Status& status);
bool IsUnavailable(const absl::Status& status);

}  // namespace keel::raft

#endif  // KEEL_CONTROLLER_RAFT_STORAGE_H_

// The controller's durable Raft log: raft::Storage over the segmented log (storage::Log),
// with hard state in the LevelDB state store and the latest snapshot in a file. Every file
// but LevelDB's goes through the storage::Env it is opened with, so the fault-injection Env
// reaches the log and the snapshot.
//
// The metadata log is a log like any partition (as in KRaft): Raft entry i is the record
// batch at offset i, its leader epoch is the entry's term, and its single record's value is
// the serialized raft::Entry. Offsets therefore equal Raft indexes, and "metadata offset"
// means the same number everywhere (broker epochs, WatchMetadata cursors, applied offsets).
//
// Durability: Append() writes without fsync; Sync() makes everything appended durable with a
// single fsync, so one Ready's entries share one fsync (group commit). The node loop calls
// Sync() before sending any message that depends on the entries. SetHardState() is a sync
// LevelDB write.
//
// Thread safety: not thread-safe; owned by the node loop thread. The Raft core reads it on
// the same thread.
#ifndef KEEL_CONTROLLER_RAFT_LOG_STORAGE_H_
#define KEEL_CONTROLLER_RAFT_LOG_STORAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/raft/storage.h"
#include "proto/raft.pb.h"
#include "storage/env.h"
#include "storage/log.h"
#include "storage/state_store.h"

namespace keel::controller {

class RaftLogStorage : public raft::Storage {
 public:
  // Opens (or creates) the log under `dir`/metadata-log, the snapshot under `dir`/snapshot,
  // and uses `state` for the hard state. `conf` is the static membership.
  static absl::StatusOr<std::unique_ptr<RaftLogStorage>> Open(
      const std::string& dir, storage::StateStore* state, const raft::ConfState& conf,
      int64_t segment_size_bytes, storage::Env* env = storage::Env::Default());

  // raft::Storage
  absl::StatusOr<raft::PersistedState> InitialState() const override;
  absl::StatusOr<std::vector<raft::Entry>> Entries(uint64_t lo, uint64_t hi,
                                                   uint64_t max_bytes) const override;
  absl::StatusOr<uint64_t> Term(uint64_t index) const override;
  uint64_t FirstIndex() const override;
  uint64_t LastIndex() const override;
  absl::StatusOr<raft::Snapshot> GetSnapshot() const override;

  // Mutators, called by the node loop while handling a Ready.
  // Appends entries, first truncating any conflicting suffix at entries[0].index().
  absl::Status Append(const std::vector<raft::Entry>& entries);
  absl::Status Sync();
  absl::Status SetHardState(const raft::HardState& hs);
  // Installs a snapshot received from the leader: the log restarts after its index.
  absl::Status ApplySnapshot(const raft::Snapshot& snapshot);
  // Records a snapshot the application took at `index` (<= applied) and compacts the log
  // below it. Segments are deleted only when wholly below the snapshot.
  absl::Status CreateSnapshot(uint64_t index, std::string data);

  absl::Status Close();

  const std::optional<raft::Snapshot>& snapshot() const { return snapshot_; }

 private:
  RaftLogStorage() = default;
  absl::Status WriteSnapshotFile(const raft::Snapshot& snapshot);
  absl::Status LoadSnapshotFile();

  std::string dir_;
  storage::Env* env_ = nullptr;
  storage::StateStore* state_ = nullptr;
  raft::ConfState conf_;
  std::unique_ptr<storage::Log> log_;
  raft::HardState hard_state_;
  std::optional<raft::Snapshot> snapshot_;
  // Index of the last entry covered by the snapshot (0 without one); FirstIndex() is one past.
  uint64_t snapshot_index_ = 0;
  uint64_t snapshot_term_ = 0;
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_RAFT_LOG_STORAGE_H_

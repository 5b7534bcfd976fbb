// StateStore: the small mutable state a node keeps beside its logs, in LevelDB
// (docs/formats/state-store.md has the key layout; state_keys.h builds the keys):
//   raft/hard_state               serialized keel.raft.HardState (term, vote, commit)
//   meta/applied_offset           decimal: last metadata offset applied to the image
//   image/<entity key>            the controller's materialized metadata image
//   checkpoint/hw/<topic>-<p>     a partition's high watermark (broker)
//   epochs/<topic>-<p>            a partition's leader-epoch history (broker)
//
// LevelDB does its own file I/O through leveldb::Env, not storage::Env: the one place
// outside the narrow Env, accepted because LevelDB's own log is CRC-checked and its
// recovery is its own, well-tested business.
//
// Writes that must survive a crash use sync = true (LevelDB fsyncs its log before
// returning); related updates go in one Batch, which LevelDB applies atomically.
//
// Thread safety: thread-safe (LevelDB's own guarantee).
#ifndef KEEL_STORAGE_STATE_STORE_H_
#define KEEL_STORAGE_STATE_STORE_H_

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/state_keys.h"

namespace keel::storage {

class StateStore {
 public:
  class Batch {
   public:
    void Put(const std::string& key, const std::string& value) { batch_.Put(key, value); }
    void Delete(const std::string& key) { batch_.Delete(key); }
    void PutInt64(const std::string& key, int64_t value) {
      Put(key, state_keys::EncodeInt64(value));
    }
    size_t ApproximateSize() const { return batch_.ApproximateSize(); }

   private:
    friend class StateStore;
    leveldb::WriteBatch batch_;
  };

  // Opens (creating it and its parents if needed) the store in `dir`.
  static absl::StatusOr<std::unique_ptr<StateStore>> Open(const std::string& dir);

  // nullopt when the key is absent.
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) const;
  absl::Status Put(const std::string& key, const std::string& value, bool sync);
  absl::Status Delete(const std::string& key, bool sync);
  absl::Status Write(Batch* batch, bool sync);
  // Calls fn(key, value) for every key starting with `prefix`, in key order; stops early
  // when fn returns false.
  absl::Status Scan(const std::string& prefix,
                    const std::function<bool(const std::string&, const std::string&)>& fn) const;

  // Typed helpers for the documented layout. A value that does not decode is DataLoss.
  absl::StatusOr<std::optional<int64_t>> GetInt64(const std::string& key) const;
  absl::Status PutInt64(const std::string& key, int64_t value, bool sync);
  // A broker's high watermarks, all in one atomic write (checkpoint/hw/<topic>-<p>).
  absl::Status PutHighWatermarks(const std::vector<std::pair<std::string, int32_t>>& partitions,
                                 const std::vector<int64_t>& high_watermarks, bool sync);
  absl::StatusOr<std::optional<int64_t>> GetHighWatermark(const std::string& topic,
                                                          int32_t partition) const;
  // Empty when the partition has no history yet.
  absl::StatusOr<std::vector<state_keys::EpochEntry>> GetLeaderEpochs(const std::string& topic,
                                                                      int32_t partition) const;
  absl::Status PutLeaderEpochs(const std::string& topic, int32_t partition,
                               const std::vector<state_keys::EpochEntry>& entries, bool sync);

 private:
  explicit StateStore(std::unique_ptr<leveldb::DB> db) : db_(std::move(db)) {}
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace keel::storage

#endif  // KEEL_STORAGE_STATE_STORE_H_

// Log compaction, the pure part: which records of a compacted log survive (docs/compaction.md).
//
// A compacted log keeps, per key, only its newest record. The cleaner (Log::Compact) reads
// the closed segments twice: first every batch goes through KeyMap::Add, which remembers the
// newest offset of each key; then each segment's batches go through CleanBatches, and the
// result replaces the segment. Offsets never change: a surviving record keeps its offset,
// and a batch keeps its whole offset range even when some (or all) of its records go, so
// batches and segments stay contiguous and readers see gaps only inside batches.
//
// Thread safety: none needed; values only.
#ifndef KEEL_STORAGE_CLEANER_H_
#define KEEL_STORAGE_CLEANER_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/record.h"

namespace keel::storage {

// Newest offset of every key seen so far.
class KeyMap {
 public:
  // Records with a null key have no place in a compacted log (produce refuses them); the
  // cleaner drops any that exist (written before the topic became compacted).
  void Add(const RecordBatch& batch);
  // The newest offset of `key`, -1 if never seen.
  int64_t NewestOffset(const std::string& key) const;
  size_t size() const { return newest_.size(); }

 private:
  std::unordered_map<std::string, int64_t> newest_;
};

struct CleanRules {
  // A record survives iff its key is non-null and it is the newest of its key. A tombstone
  // (null value) that survives that is dropped too once its segment's newest timestamp is
  // older than delete_retention_ms: segment_max_timestamp_ms < now_ms - delete_retention_ms.
  // Consumers that read the topic within delete_retention_ms thus see the deletion.
  int64_t now_ms = 0;
  int64_t delete_retention_ms = 86400000;
  int64_t segment_max_timestamp_ms = 0;
  // Consecutive output batches of one leader epoch are merged up to about this size, so a
  // segment of many small, mostly superseded batches does not stay many empty ones.
  int64_t merge_batch_bytes = 1 << 20;
};

struct CleanStats {
  int64_t records_in = 0;
  int64_t records_kept = 0;
  int64_t tombstones_removed = 0;
  int64_t null_keys_removed = 0;
};

// The cleaned form of `batches` (consecutive batches of one segment): same offset range,
// only surviving records, each at its original offset.
std::vector<RecordBatch> CleanBatches(const std::vector<RecordBatch>& batches, const KeyMap& keys,
                                      const CleanRules& rules, CleanStats* stats);

}  // namespace keel::storage

#endif  // KEEL_STORAGE_CLEANER_H_

// The recent tail of committed metadata entries, for WatchMetadata streams.
//
// The node loop appends every committed entry; watchers wait for entries past their cursor.
// Only a bounded tail is kept in memory: a watcher whose cursor falls behind it (or one that
// starts with no cursor) is sent a full image snapshot first, exactly as a lagging Raft
// follower is sent a snapshot instead of compacted log entries.
//
// Thread safety: all methods are thread-safe.
#ifndef KEEL_CONTROLLER_METADATA_FEED_H_
#define KEEL_CONTROLLER_METADATA_FEED_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "proto/controller.pb.h"

namespace keel::controller {

class MetadataFeed {
 public:
  explicit MetadataFeed(size_t max_entries) : max_entries_(max_entries) {}

  // Appends a committed entry; offsets must increase (gaps are allowed: Raft entries that
  // carry no metadata, such as the Raft core's own leader no-op, are not published).
  void Append(MetadataLogEntry entry);

  // Records that every offset <= `offset` has been published (entries without metadata).
  void MarkCovered(int64_t offset);

  // Forgets everything: the image was replaced by a snapshot at `offset`, so watchers with an
  // older cursor must start again from a snapshot.
  void Reset(int64_t offset);

  // Appends to `out` the entries with offset > *cursor, waiting up to `timeout` for the feed
  // to move past *cursor, and advances *cursor to the last offset covered (which may be past
  // the last entry returned when committed entries carried no metadata).
  // Returns false when *cursor is older than the retained tail (send a snapshot instead).
  bool WaitAfter(int64_t* cursor, std::chrono::milliseconds timeout,
                 std::vector<MetadataLogEntry>* out);

  // Wakes every waiter (shutdown).
  void Close();

 private:
  const size_t max_entries_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<MetadataLogEntry> entries_;  // guarded by mu_
  // Every committed offset <= covered_offset_ is either in entries_ or carried no metadata;
  // offsets <= horizon_ are no longer retained.
  int64_t horizon_ = 0;         // guarded by mu_
  int64_t covered_offset_ = 0;  // guarded by mu_
  bool closed_ = false;         // guarded by mu_
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_METADATA_FEED_H_

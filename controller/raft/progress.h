// Progress: the leader's view of one follower (or observer).
//
// kProbe: we do not know where the follower's log matches; send one append at a time.
// kReplicate: it matched; stream appends optimistically, at most max_inflight unacknowledged.
// kSnapshot: it needs entries we compacted; send a snapshot in chunks, one at a time.
#ifndef KEEL_CONTROLLER_RAFT_PROGRESS_H_
#define KEEL_CONTROLLER_RAFT_PROGRESS_H_

#include <algorithm>
#include <cstdint>
#include <deque>

namespace keel::raft {

struct Progress {
  enum class State { kProbe, kReplicate, kSnapshot };

  uint64_t match = 0;
  uint64_t next = 1;
  State state = State::kProbe;
  bool probe_sent = false;     // kProbe: an append is outstanding
  bool recent_active = false;  // heard from it since the last CheckQuorum round
  int ticks_since_response = 0;
  std::deque<uint64_t> inflight;  // kReplicate: last index of each unacknowledged append
  // kSnapshot: the snapshot being sent and the next byte to send.
  uint64_t pending_snapshot = 0;
  uint64_t snapshot_offset_bytes = 0;
  bool snapshot_chunk_sent = false;
  // Ticks since the last chunk was sent or acknowledged. Heartbeat responses do not reset
  // it: a follower can answer heartbeats while the chunk it needs was lost.
  int ticks_since_chunk = 0;

  void BecomeProbe() {
    if (state == State::kSnapshot) {
      next = std::max(match + 1, pending_snapshot + 1);
    } else {
      next = match + 1;
    }
    state = State::kProbe;
    probe_sent = false;
    inflight.clear();
    pending_snapshot = 0;
  }
  void BecomeReplicate() {
    state = State::kReplicate;
    next = match + 1;
    probe_sent = false;
    inflight.clear();
  }
  void BecomeSnapshot(uint64_t snapshot_index) {
    state = State::kSnapshot;
    pending_snapshot = snapshot_index;
    snapshot_offset_bytes = 0;
    snapshot_chunk_sent = false;
    inflight.clear();
  }
  // Returns false if the acknowledgement is stale.
  bool MaybeUpdate(uint64_t index) {
    bool updated = false;
    if (index > match) {
      match = index;
      updated = true;
      probe_sent = false;
    }
    next = std::max(next, index + 1);
    return updated;
  }
  // A rejected append of `rejected`; `hint` is where the follower's log may match.
  bool MaybeDecrTo(uint64_t rejected, uint64_t hint) {
    if (state == State::kReplicate) {
      if (rejected <= match) return false;  // stale
      next = match + 1;
      return true;
    }
    if (next - 1 != rejected) return false;  // stale
    next = std::max<uint64_t>(std::min(rejected, hint + 1), 1);
    probe_sent = false;
    return true;
  }
  bool IsPaused(int max_inflight) const {
    switch (state) {
      case State::kProbe:
        return probe_sent;
      case State::kReplicate:
        return static_cast<int>(inflight.size()) >= max_inflight;
      case State::kSnapshot:
        return true;
    }
    return true;
  }
  void FreeUpTo(uint64_t index) {
    while (!inflight.empty() && inflight.front() <= index) inflight.pop_front();
  }
};

}  // namespace keel::raft

#endif  // KEEL_CONTROLLER_RAFT_PROGRESS_H_

// Ready: everything a RawNode asks its caller to do, in this order:
//   1. persist durably, in this order: `snapshot` (if any), then `entries` (append,
//      replacing any conflicting suffix from entries[0].index()), then `hard_state` (if any).
//      The order matters because hard_state.commit may point into `entries`: a crash may
//      stop after any of the three, but must never keep the hard state without the entries
//      before it. Several may share one fsync (the write is done when all three are).
//   2. only then send `messages`: a vote grant or an append acknowledgement promises that
//      the term, vote and entries of step 1 are durable (the persistence contract).
//   3. restore the state machine from `snapshot` (if any), then apply `committed_entries`
//      in order; `soft_state` is informational (leader and role changed).
//   4. call RawNode::Advance(ready) before the next GetReady().
// Calling Step/Tick/Propose between GetReady() and Advance() is allowed; their effects
// appear in the next Ready.
#ifndef KEEL_CONTROLLER_RAFT_READY_H_
#define KEEL_CONTROLLER_RAFT_READY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "controller/raft/storage.h"
#include "proto/raft.pb.h"

namespace keel::raft {

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };

const char* RoleName(Role role);

// Volatile state worth reporting; present in a Ready only when it changed.
struct SoftState {
  uint64_t leader = 0;  // 0: unknown
  Role role = Role::kFollower;
  bool operator==(const SoftState& o) const { return leader == o.leader && role == o.role; }
};

struct Ready {
  std::optional<SoftState> soft_state;
  std::optional<HardState> hard_state;
  std::vector<Entry> entries;
  std::optional<Snapshot> snapshot;
  std::vector<Entry> committed_entries;
  std::vector<Message> messages;
};

}  // namespace keel::raft

#endif  // KEEL_CONTROLLER_RAFT_READY_H_

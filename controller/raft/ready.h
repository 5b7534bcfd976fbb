// Ready: everything a RawNode asks its caller to do, in this order:
//   1. persist `snapshot` (if any), then `entries` (append, replacing any conflicting
//      suffix) and `hard_state` (if any) durably;
//   2. only then send `messages` (votes and acknowledgements in them promise what step 1
//      made durable);
//   3. apply `committed_entries` to the state machine (after `snapshot`);
//   4. call RawNode::Advance(ready).
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

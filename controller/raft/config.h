// Configuration of one Raft node. Times are in logical ticks; the caller decides how long a
// tick is (the controller uses 50 ms).
#ifndef KEEL_CONTROLLER_RAFT_CONFIG_H_
#define KEEL_CONTROLLER_RAFT_CONFIG_H_

#include <cstdint>

#include "absl/status/status.h"

namespace keel::raft {

struct Config {
  uint64_t id = 0;
  // A follower campaigns after a randomized timeout in [election_ticks, 2 * election_ticks).
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  // PreVote: a node that cannot win (partitioned, behind) never bumps the term.
  bool pre_vote = true;
  // CheckQuorum: a leader that has not heard from a majority within election_ticks steps
  // down, and followers ignore votes while they have a live leader (leader lease).
  bool check_quorum = true;
  // Bytes of entries per append message, and append messages in flight per follower.
  uint64_t max_append_bytes = 1 << 20;
  int max_inflight_appends = 256;
  uint64_t max_committed_bytes_per_ready = 16 << 20;
  uint64_t snapshot_chunk_bytes = 1 << 20;
  // Last index the application has applied (restart): committed entries up to it are not
  // delivered again.
  uint64_t applied = 0;
  // Seeds the election-timeout randomization (inject it; the core never reads a clock).
  uint64_t random_seed = 0;

  absl::Status Validate() const {
    if (id == 0) return absl::InvalidArgumentError("raft: id must be non-zero");
    if (heartbeat_ticks <= 0) return absl::InvalidArgumentError("raft: heartbeat_ticks <= 0");
    if (election_ticks <= heartbeat_ticks) {
      return absl::InvalidArgumentError("raft: election_ticks must exceed heartbeat_ticks");
    }
    if (max_inflight_appends <= 0) {
      return absl::InvalidArgumentError("raft: max_inflight_appends must be positive");
    }
    if (snapshot_chunk_bytes == 0) {
      return absl::InvalidArgumentError("raft: snapshot_chunk_bytes must be positive");
    }
    return absl::OkStatus();
  }
};

}  // namespace keel::raft

#endif  // KEEL_CONTROLLER_RAFT_CONFIG_H_

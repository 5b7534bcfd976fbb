// The follower's side: the append consistency check with a reject hint for fast backtracking,
// heartbeats, and reassembling a chunked snapshot.
#include <algorithm>
#include <utility>

#include "controller/raft/raw_node.h"

namespace keel::raft {

absl::Status RawNode::StepFollower(const Message& m) {
  switch (m.type()) {
    case MSG_APPEND:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleAppend(m);
      break;
    case MSG_HEARTBEAT:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleHeartbeat(m);
      break;
    case MSG_SNAPSHOT:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleSnapshotChunk(m);
      break;
    case MSG_TIMEOUT_NOW:
      if (IsVoter(config_.id)) {
        // The leader handed over: campaign at once, skipping pre-vote and the lease.
        CampaignInternal(false, true);
      }
      break;
    default:
      break;  // stale responses
  }
  return absl::OkStatus();
}

void RawNode::HandleAppend(const Message& m) {
  Message r;
  r.set_type(MSG_APPEND_RESPONSE);
  r.set_to(m.from());
  if (m.index() < log_.committed()) {
    r.set_index(log_.committed());
    Send(std::move(r));
    return;
  }
  std::vector<Entry> entries(m.entries().begin(), m.entries().end());
  if (auto last_new = log_.MaybeAppend(m.index(), m.log_term(), m.commit(), std::move(entries))) {
    r.set_index(*last_new);
    Send(std::move(r));
    return;
  }
  // Reject with a hint: the last index at or below m.index() whose term is <= the leader's
  // term there. The leader then skips a whole term of conflicting entries per round trip.
  uint64_t hint = log_.FindConflictByTerm(std::min(m.index(), log_.LastIndex()), m.log_term());
  r.set_index(m.index());
  r.set_reject(true);
  r.set_reject_hint(hint);
  r.set_reject_hint_term(log_.TermOrZero(hint));
  Send(std::move(r));
}

void RawNode::HandleHeartbeat(const Message& m) {
  log_.CommitTo(std::min(m.commit(), log_.LastIndex()));
  Message r;
  r.set_type(MSG_HEARTBEAT_RESPONSE);
  r.set_to(m.from());
  r.set_context(m.context());
  Send(std::move(r));
}

void RawNode::HandleSnapshotChunk(const Message& m) {
  const SnapshotChunk& chunk = m.snapshot();
  const uint64_t index = chunk.metadata().index();
  Message r;
  r.set_to(m.from());
  if (index <= log_.committed()) {
    // Already have everything it covers.
    incoming_snapshot_index_ = 0;
    r.set_type(MSG_APPEND_RESPONSE);
    r.set_index(log_.committed());
    Send(std::move(r));
    return;
  }
  if (chunk.offset_bytes() == 0) {
    incoming_snapshot_index_ = index;
    incoming_snapshot_data_.clear();
  }
  if (incoming_snapshot_index_ != index || chunk.offset_bytes() != incoming_snapshot_data_.size()) {
    // Out of order or from an older transfer: ask for the byte we need next.
    r.set_type(MSG_SNAPSHOT_RESPONSE);
    r.set_index(index);
    r.set_reject(true);
    r.set_reject_hint(incoming_snapshot_index_ == index ? incoming_snapshot_data_.size() : 0);
    Send(std::move(r));
    return;
  }
  incoming_snapshot_data_ += chunk.data();
  if (!chunk.last()) {
    r.set_type(MSG_SNAPSHOT_RESPONSE);
    r.set_index(index);
    r.set_reject_hint(incoming_snapshot_data_.size());
    Send(std::move(r));
    return;
  }
  Snapshot snapshot;
  snapshot.metadata = chunk.metadata();
  snapshot.data = std::move(incoming_snapshot_data_);
  incoming_snapshot_data_.clear();
  incoming_snapshot_index_ = 0;
  r.set_type(MSG_APPEND_RESPONSE);
  if (log_.MatchTerm(index, snapshot.metadata.term())) {
    // Our log already contains the snapshot's last entry: just commit up to it.
    log_.CommitTo(index);
  } else {
    log_.Restore(snapshot);
  }
  r.set_index(log_.LastIndex());
  Send(std::move(r));
}

}  // namespace keel::raft

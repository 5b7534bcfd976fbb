// The leader's side of replication: appending its own entries, pacing each follower through
// Progress (probe, pipelined replicate, chunked snapshot), counting acknowledgements into a
// commit index (Figure 8: only for entries of its own term), CheckQuorum, and transfer.
#include <algorithm>
#include <functional>
#include <utility>

#include "controller/raft/raw_node.h"

namespace keel::raft {
namespace {

bool IsResponse(MessageType t) {
  return t == MSG_PRE_VOTE_RESPONSE || t == MSG_VOTE_RESPONSE || t == MSG_APPEND_RESPONSE ||
         t == MSG_HEARTBEAT_RESPONSE || t == MSG_SNAPSHOT_RESPONSE;
}

}  // namespace

bool RawNode::QuorumActive() {
  size_t active = 0;
  for (auto& [id, pr] : progress_) {
    if (id == config_.id) {
      if (IsVoter(id)) ++active;
      continue;
    }
    if (pr.recent_active && IsVoter(id)) ++active;
    pr.recent_active = false;
  }
  return active >= Quorum();
}

void RawNode::AppendEntries(std::vector<Entry> entries) {
  uint64_t last = log_.LastIndex();
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].set_term(term_);
    entries[i].set_index(last + 1 + i);
  }
  last = log_.Append(std::move(entries));
  progress_[config_.id].MaybeUpdate(last);
  MaybeCommit();  // a single voter commits alone
}

bool RawNode::MaybeCommit() {
  std::vector<uint64_t> matches;
  for (uint64_t id : voters_) {
    auto it = progress_.find(id);
    matches.push_back(it == progress_.end() ? 0 : it->second.match);
  }
  std::sort(matches.begin(), matches.end(), std::greater<uint64_t>());
  uint64_t quorum_index = matches[Quorum() - 1];
  return log_.MaybeCommit(quorum_index, term_);
}

void RawNode::SendAppend(uint64_t to) { MaybeSendAppend(to, true); }

bool RawNode::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  Progress& pr = progress_[to];
  if (pr.IsPaused(config_.max_inflight_appends)) return false;
  uint64_t prev = pr.next - 1;
  auto prev_term = log_.Term(prev);
  absl::StatusOr<std::vector<Entry>> entries = std::vector<Entry>();
  if (prev_term.ok()) {
    entries = log_.Slice(pr.next, log_.LastIndex() + 1, config_.max_append_bytes);
  }
  if (!prev_term.ok() || !entries.ok()) {
    // The follower needs entries we compacted: catch it up with the latest snapshot.
    const Snapshot* snapshot = OutgoingSnapshot(/*refresh=*/true);
    if (snapshot == nullptr) return false;  // none yet (temporarily unavailable): retry later
    pr.BecomeSnapshot(snapshot->metadata.index());
    SendSnapshotChunk(to);
    return true;
  }
  if (entries->empty() && !send_if_empty) return false;
  Message m;
  m.set_type(MSG_APPEND);
  m.set_to(to);
  m.set_index(prev);
  m.set_log_term(*prev_term);
  m.set_commit(log_.committed());
  for (Entry& e : *entries) *m.add_entries() = std::move(e);
  if (m.entries_size() > 0) {
    uint64_t last = m.entries(m.entries_size() - 1).index();
    if (pr.state == Progress::State::kReplicate) {
      pr.next = last + 1;  // optimistic: pipeline the next append
      pr.inflight.push_back(last);
    } else {
      pr.probe_sent = true;
    }
  } else if (pr.state == Progress::State::kProbe) {
    pr.probe_sent = true;
  }
  Send(std::move(m));
  return true;
}

const Snapshot* RawNode::OutgoingSnapshot(bool refresh) {
  // Storage::GetSnapshot() returns a copy of the whole snapshot: fetch it once per transfer
  // started, not once per chunk.
  if (refresh || outgoing_snapshot_ == nullptr) {
    auto snapshot = storage_->GetSnapshot();
    if (!snapshot.ok()) {
      outgoing_snapshot_.reset();
      return nullptr;
    }
    outgoing_snapshot_ = std::make_unique<Snapshot>(std::move(*snapshot));
  }
  return outgoing_snapshot_.get();
}

void RawNode::ReleaseOutgoingSnapshotIfUnused() {
  if (outgoing_snapshot_ == nullptr) return;
  for (const auto& [id, pr] : progress_) {
    if (pr.state == Progress::State::kSnapshot) return;
  }
  outgoing_snapshot_.reset();
}

void RawNode::SendSnapshotChunk(uint64_t to) {
  Progress& pr = progress_[to];
  if (pr.state != Progress::State::kSnapshot || pr.snapshot_chunk_sent) return;
  const Snapshot* snapshot = OutgoingSnapshot(/*refresh=*/false);
  if (snapshot == nullptr) {
    pr.BecomeProbe();
    return;
  }
  if (snapshot->metadata.index() != pr.pending_snapshot) {
    // A newer snapshot replaced the one we were sending: start over with it.
    pr.BecomeSnapshot(snapshot->metadata.index());
  }
  const std::string& data = snapshot->data;
  uint64_t offset = std::min<uint64_t>(pr.snapshot_offset_bytes, data.size());
  uint64_t length = std::min<uint64_t>(config_.snapshot_chunk_bytes, data.size() - offset);
  Message m;
  m.set_type(MSG_SNAPSHOT);
  m.set_to(to);
  SnapshotChunk* chunk = m.mutable_snapshot();
  *chunk->mutable_metadata() = snapshot->metadata;
  chunk->set_offset_bytes(offset);
  chunk->set_total_bytes(data.size());
  chunk->set_data(data.substr(offset, length));
  chunk->set_last(offset + length == data.size());
  pr.snapshot_chunk_sent = true;
  pr.ticks_since_chunk = 0;
  Send(std::move(m));
}

void RawNode::SendHeartbeat(uint64_t to) {
  Message m;
  m.set_type(MSG_HEARTBEAT);
  m.set_to(to);
  // Never tell a follower to commit past what it is known to hold.
  m.set_commit(std::min(progress_[to].match, log_.committed()));
  Send(std::move(m));
}

void RawNode::BroadcastAppend() {
  for (auto& [id, pr] : progress_) {
    if (id == config_.id) continue;
    // The first append goes even if empty (it carries the commit index); then as many as
    // the follower's in-flight window allows.
    if (!MaybeSendAppend(id, /*send_if_empty=*/true)) continue;
    while (MaybeSendAppend(id, /*send_if_empty=*/false)) {
    }
  }
}

void RawNode::BroadcastHeartbeat() {
  for (auto& [id, pr] : progress_) {
    if (id != config_.id) SendHeartbeat(id);
  }
}

absl::Status RawNode::StepLeader(const Message& m) {
  auto it = progress_.find(m.from());
  if (it == progress_.end()) return absl::OkStatus();
  Progress& pr = it->second;
  if (IsResponse(m.type())) {
    pr.recent_active = true;
    pr.ticks_since_response = 0;
  }
  switch (m.type()) {
    case MSG_APPEND_RESPONSE: {
      if (m.reject()) {
        uint64_t hint = m.reject_hint();
        if (m.reject_hint_term() > 0) hint = log_.FindConflictByTerm(hint, m.reject_hint_term());
        if (pr.MaybeDecrTo(m.index(), hint)) {
          if (pr.state == Progress::State::kReplicate) pr.BecomeProbe();
          SendAppend(m.from());
        }
        break;
      }
      bool was_paused = pr.IsPaused(config_.max_inflight_appends);
      if (pr.state == Progress::State::kSnapshot && m.index() >= pr.pending_snapshot) {
        pr.MaybeUpdate(m.index());
        pr.BecomeProbe();
        pr.BecomeReplicate();
      } else if (!pr.MaybeUpdate(m.index())) {
        if (pr.state == Progress::State::kReplicate) pr.FreeUpTo(m.index());
        break;
      } else if (pr.state == Progress::State::kProbe) {
        pr.BecomeReplicate();
      } else if (pr.state == Progress::State::kReplicate) {
        pr.FreeUpTo(m.index());
      }
      if (MaybeCommit()) {
        broadcast_pending_ = true;  // tell everyone the new commit index
      } else if (was_paused) {
        SendAppend(m.from());
      }
      // Pipeline: keep sending while there is more and the window allows.
      while (MaybeSendAppend(m.from(), false)) {
      }
      if (m.from() == lead_transferee_ && pr.match == log_.LastIndex()) {
        Message t;
        t.set_type(MSG_TIMEOUT_NOW);
        t.set_to(m.from());
        Send(std::move(t));
      }
      break;
    }
    case MSG_HEARTBEAT_RESPONSE:
      pr.probe_sent = false;
      if (pr.state == Progress::State::kReplicate &&
          static_cast<int>(pr.inflight.size()) >= config_.max_inflight_appends) {
        pr.inflight.pop_front();
      }
      if (pr.match < log_.LastIndex()) SendAppend(m.from());
      break;
    case MSG_SNAPSHOT_RESPONSE:
      if (pr.state != Progress::State::kSnapshot || m.index() != pr.pending_snapshot) break;
      pr.snapshot_offset_bytes = m.reject_hint();
      pr.snapshot_chunk_sent = false;
      SendSnapshotChunk(m.from());
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

}  // namespace keel::raft

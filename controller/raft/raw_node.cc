#include "controller/raft/raw_node.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/check.h"

namespace keel::raft {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

RawNode::RawNode(const Config& config, const Storage* storage)
    : config_(config), storage_(storage), log_(storage), rng_(config.random_seed) {}

absl::StatusOr<std::unique_ptr<RawNode>> RawNode::Create(const Config& config,
                                                         const Storage* storage) {
  if (auto s = config.Validate(); !s.ok()) return s;
  std::unique_ptr<RawNode> node(new RawNode(config, storage));
  if (auto s = node->Init(); !s.ok()) return s;
  return node;
}

absl::Status RawNode::Init() {
  auto initial = storage_->InitialState();
  if (!initial.ok()) return initial.status();
  voters_.insert(initial->conf_state.voters().begin(), initial->conf_state.voters().end());
  observers_.insert(initial->conf_state.observers().begin(), initial->conf_state.observers().end());
  if (voters_.empty()) return absl::InvalidArgumentError("raft: the voter set is empty");
  if (!IsMember(config_.id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: node ", config_.id, " is neither a voter nor an observer"));
  }
  const HardState& hs = initial->hard_state;
  term_ = hs.term();
  vote_ = hs.vote();
  // The commit index may lag a snapshot installed just before a crash.
  log_.set_committed(std::max(std::min(hs.commit(), log_.LastIndex()), log_.FirstIndex() - 1));
  log_.set_applied(std::min(std::max(config_.applied, log_.FirstIndex() - 1), log_.committed()));
  prev_hard_ = hs;
  prev_hard_.set_commit(log_.committed());
  BecomeFollower(term_, 0);
  prev_soft_ = SoftState{lead_, role_};
  return absl::OkStatus();
}

void RawNode::ResetRandomizedTimeout() {
  std::uniform_int_distribution<int> dist(config_.election_ticks, 2 * config_.election_ticks - 1);
  randomized_election_ticks_ = dist(rng_);
}

void RawNode::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = 0;
  }
  lead_ = 0;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedTimeout();
  AbortTransfer();
  votes_.clear();
  progress_.clear();
  outgoing_snapshot_.reset();
  broadcast_pending_ = false;
}

void RawNode::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  role_ = Role::kFollower;
}

void RawNode::BecomePreCandidate() {
  // Pre-vote changes neither term nor vote: a node that cannot win disturbs nobody.
  KEEL_CHECK(role_ != Role::kLeader);
  votes_.clear();
  lead_ = 0;
  role_ = Role::kPreCandidate;
}

void RawNode::BecomeCandidate() {
  KEEL_CHECK(role_ != Role::kLeader);
  Reset(term_ + 1);
  vote_ = config_.id;
  role_ = Role::kCandidate;
}

void RawNode::BecomeLeader() {
  KEEL_CHECK(role_ == Role::kCandidate);
  Reset(term_);
  lead_ = config_.id;
  role_ = Role::kLeader;
  uint64_t last = log_.LastIndex();
  std::set<uint64_t> members = voters_;
  members.insert(observers_.begin(), observers_.end());
  for (uint64_t id : members) {
    Progress pr;
    pr.next = last + 1;
    progress_[id] = pr;
  }
  progress_[config_.id].match = last;
  progress_[config_.id].BecomeReplicate();
  progress_[config_.id].recent_active = true;
  // An entry of our own term: committing it commits every earlier entry (Figure 8), and
  // tells the application a new leader is in charge.
  Entry e;
  e.set_type(ENTRY_LEADER_CHANGE);
  AppendEntries({e});
  broadcast_pending_ = true;
}

void RawNode::Tick() {
  if (role_ == Role::kLeader) {
    ++heartbeat_elapsed_;
    ++election_elapsed_;
    for (auto& [id, pr] : progress_) {
      if (id == config_.id) continue;
      ++pr.ticks_since_response;
      // A lost snapshot chunk is resent after an election timeout without progress.
      if (pr.state == Progress::State::kSnapshot && pr.snapshot_chunk_sent &&
          ++pr.ticks_since_chunk >= config_.election_ticks) {
        pr.snapshot_chunk_sent = false;
        SendSnapshotChunk(id);
      }
    }
    ReleaseOutgoingSnapshotIfUnused();
    if (election_elapsed_ >= config_.election_ticks) {
      election_elapsed_ = 0;
      if (config_.check_quorum && !QuorumActive()) {
        BecomeFollower(term_, 0);
        return;
      }
      AbortTransfer();  // a transfer not done within an election timeout is abandoned
    }
    if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      BroadcastHeartbeat();
    }
    return;
  }
  ++election_elapsed_;
  if (IsVoter(config_.id) && election_elapsed_ >= randomized_election_ticks_) {
    election_elapsed_ = 0;
    CampaignInternal(config_.pre_vote, false);
  }
}

void RawNode::Send(Message m) {
  m.set_from(config_.id);
  if (m.term() == 0 && m.type() != MSG_PRE_VOTE) m.set_term(term_);
  msgs_.push_back(std::move(m));
}

absl::Status RawNode::Step(const Message& m) {
  if (m.type() == MSG_UNKNOWN || m.type() > MSG_TIMEOUT_NOW) {
    return absl::InvalidArgumentError(absl::StrCat("raft: unknown message type ", m.type()));
  }
  if (!IsMember(m.from())) {
    return absl::InvalidArgumentError(absl::StrCat("raft: message from non-member ", m.from()));
  }
  if (m.to() != config_.id) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: message for node ", m.to(), " delivered to node ", config_.id));
  }
  if (m.term() > term_) {
    if (m.type() == MSG_PRE_VOTE || m.type() == MSG_VOTE) {
      bool force = m.context() == kTransferContext;
      bool in_lease =
          config_.check_quorum && lead_ != 0 && election_elapsed_ < config_.election_ticks;
      if (!force && in_lease) {
        // We heard from a live leader within the election timeout: a vote request now
        // comes from a node that was cut off, and must not depose the leader.
        return absl::OkStatus();
      }
    }
    if (m.type() == MSG_PRE_VOTE) {
      // Never change term for a pre-vote.
    } else if (m.type() == MSG_PRE_VOTE_RESPONSE && !m.reject()) {
      // The term in a granted pre-vote response is the one we will campaign in.
    } else {
      bool from_leader =
          m.type() == MSG_APPEND || m.type() == MSG_HEARTBEAT || m.type() == MSG_SNAPSHOT;
      BecomeFollower(m.term(), from_leader ? m.from() : 0);
    }
  } else if (m.term() < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type() == MSG_HEARTBEAT || m.type() == MSG_APPEND)) {
      // A stale leader learns our term from this and steps down; without it a leader cut
      // off by a partition could keep a pre-voting cluster from electing anyone.
      Message r;
      r.set_type(MSG_APPEND_RESPONSE);
      r.set_to(m.from());
      Send(std::move(r));
    } else if (m.type() == MSG_PRE_VOTE) {
      Message r;
      r.set_type(MSG_PRE_VOTE_RESPONSE);
      r.set_to(m.from());
      r.set_reject(true);
      Send(std::move(r));
    }
    return absl::OkStatus();
  }

  if (m.type() == MSG_PRE_VOTE || m.type() == MSG_VOTE) {
    HandleVoteRequest(m);
    return absl::OkStatus();
  }
  switch (role_) {
    case Role::kLeader:
      return StepLeader(m);
    case Role::kCandidate:
    case Role::kPreCandidate:
      return StepCandidate(m);
    case Role::kFollower:
      return StepFollower(m);
  }
  return absl::OkStatus();
}

absl::Status RawNode::Propose(std::string data) {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError(absl::StrCat("raft: not leader (leader is ", lead_, ")"));
  }
  if (lead_transferee_ != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("raft: leadership transfer to ", lead_transferee_, " in progress"));
  }
  Entry e;
  e.set_type(ENTRY_NORMAL);
  e.set_data(std::move(data));
  std::vector<Entry> entries(1);
  entries[0] = std::move(e);  // no copy of the payload (an initializer list would copy)
  AppendEntries(std::move(entries));
  // Sent when the caller next takes a Ready, so a burst of proposals between two Readies
  // travels as one batched append per follower rather than one message per entry.
  broadcast_pending_ = true;
  return absl::OkStatus();
}

absl::Status RawNode::TransferLeadership(uint64_t to) {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError("raft: only the leader can transfer leadership");
  }
  if (to == config_.id) return absl::OkStatus();
  if (!IsVoter(to)) {
    return absl::InvalidArgumentError(absl::StrCat("raft: node ", to, " is not a voter"));
  }
  lead_transferee_ = to;
  election_elapsed_ = 0;  // the transfer must finish within one election timeout
  Progress& pr = progress_[to];
  if (pr.match == log_.LastIndex()) {
    Message t;
    t.set_type(MSG_TIMEOUT_NOW);
    t.set_to(to);
    Send(std::move(t));
  } else {
    SendAppend(to);
  }
  return absl::OkStatus();
}

void RawNode::ReportUnreachable(uint64_t id) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(id);
  if (it != progress_.end() && it->second.state == Progress::State::kReplicate) {
    it->second.BecomeProbe();
  }
}

bool RawNode::HasReady() const {
  if (!(SoftState{lead_, role_} == prev_soft_)) return true;
  if (term_ != prev_hard_.term() || vote_ != prev_hard_.vote() ||
      log_.committed() != prev_hard_.commit()) {
    return true;
  }
  return broadcast_pending_ || !msgs_.empty() || !log_.unstable_entries().empty() ||
         log_.unstable_snapshot().has_value() || log_.HasNextCommitted();
}

Ready RawNode::GetReady() {
  if (broadcast_pending_) {
    broadcast_pending_ = false;
    if (role_ == Role::kLeader) BroadcastAppend();
  }
  Ready rd;
  SoftState soft{lead_, role_};
  if (!(soft == prev_soft_)) rd.soft_state = soft;
  HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  if (hs.term() != prev_hard_.term() || hs.vote() != prev_hard_.vote() ||
      hs.commit() != prev_hard_.commit()) {
    rd.hard_state = hs;
  }
  rd.entries = log_.unstable_entries();
  rd.snapshot = log_.unstable_snapshot();
  rd.committed_entries = log_.NextCommitted(config_.max_committed_bytes_per_ready);
  rd.messages = std::move(msgs_);
  msgs_.clear();
  return rd;
}

void RawNode::Advance(const Ready& rd) {
  if (rd.soft_state.has_value()) prev_soft_ = *rd.soft_state;
  if (rd.hard_state.has_value()) prev_hard_ = *rd.hard_state;
  if (rd.snapshot.has_value()) {
    log_.StableSnapTo(rd.snapshot->metadata.index());
    if (log_.applied() < rd.snapshot->metadata.index()) {
      log_.set_applied(rd.snapshot->metadata.index());
    }
  }
  if (!rd.entries.empty()) log_.StableTo(rd.entries.back().index(), rd.entries.back().term());
  if (!rd.committed_entries.empty()) log_.AppliedTo(rd.committed_entries.back().index());
}

Status RawNode::GetStatus() const {
  Status s;
  s.id = config_.id;
  s.term = term_;
  s.vote = vote_;
  s.role = role_;
  s.lead = lead_;
  s.commit = log_.committed();
  s.applied = log_.applied();
  s.last_index = log_.LastIndex();
  s.lead_transferee = lead_transferee_;
  if (role_ == Role::kLeader) {
    for (const auto& [id, pr] : progress_) {
      s.progress[id] = PeerStatus{pr.match,
                                  pr.next,
                                  pr.state,
                                  pr.recent_active,
                                  pr.ticks_since_response,
                                  observers_.count(id) > 0};
    }
  }
  return s;
}

}  // namespace keel::raft

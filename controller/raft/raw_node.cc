#include "controller/raft/raw_node.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/raft/check.h"

namespace keel::raft {
namespace {

// Marks votes of a leadership transfer, which must get past the leader lease.
constexpr char kTransferContext[] = "transfer";

bool IsResponse(MessageType t) {
  return t == MSG_PRE_VOTE_RESPONSE || t == MSG_VOTE_RESPONSE || t == MSG_APPEND_RESPONSE ||
         t == MSG_HEARTBEAT_RESPONSE || t == MSG_SNAPSHOT_RESPONSE;
}

}  // namespace

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
}

void RawNode::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  role_ = Role::kFollower;
}

void RawNode::BecomePreCandidate() {
  // Pre-vote changes neither term nor vote: a node that cannot win disturbs nobody.
  KEEL_RAFT_CHECK(role_ != Role::kLeader);
  votes_.clear();
  lead_ = 0;
  role_ = Role::kPreCandidate;
}

void RawNode::BecomeCandidate() {
  KEEL_RAFT_CHECK(role_ != Role::kLeader);
  Reset(term_ + 1);
  vote_ = config_.id;
  role_ = Role::kCandidate;
}

void RawNode::BecomeLeader() {
  KEEL_RAFT_CHECK(role_ == Role::kCandidate);
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
  BroadcastAppend();
}

absl::Status RawNode::Campaign() {
  if (!IsVoter(config_.id)) {
    return absl::FailedPreconditionError("raft: an observer cannot campaign");
  }
  if (role_ == Role::kLeader) return absl::OkStatus();
  CampaignInternal(config_.pre_vote, false);
  return absl::OkStatus();
}

void RawNode::CampaignInternal(bool pre_vote, bool transfer) {
  campaign_is_transfer_ = transfer;
  uint64_t vote_term;
  MessageType type;
  if (pre_vote) {
    BecomePreCandidate();
    vote_term = term_ + 1;
    type = MSG_PRE_VOTE;
  } else {
    BecomeCandidate();
    vote_term = term_;
    type = MSG_VOTE;
  }
  votes_[config_.id] = true;
  bool lost = false;
  if (CountVotes(&lost) >= static_cast<int>(Quorum())) {
    // A single voter wins at once.
    if (pre_vote) {
      CampaignInternal(false, transfer);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t id : voters_) {
    if (id == config_.id) continue;
    Message m;
    m.set_type(type);
    m.set_to(id);
    m.set_term(vote_term);
    m.set_index(log_.LastIndex());
    m.set_log_term(log_.LastTerm());
    if (transfer) m.set_context(kTransferContext);
    Send(std::move(m));
  }
}

int RawNode::CountVotes(bool* lost) {
  int granted = 0, rejected = 0;
  for (const auto& [id, v] : votes_) {
    if (!IsVoter(id)) continue;  // observers never count
    if (v) {
      ++granted;
    } else {
      ++rejected;
    }
  }
  *lost = rejected >= static_cast<int>(Quorum());
  return granted;
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

void RawNode::Send(Message m) {
  m.set_from(config_.id);
  if (m.term() == 0 && m.type() != MSG_PRE_VOTE) m.set_term(term_);
  msgs_.push_back(std::move(m));
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
  AppendEntries({std::move(e)});
  BroadcastAppend();
  return absl::OkStatus();
}

void RawNode::AppendEntries(std::vector<Entry> entries) {
  uint64_t last = log_.LastIndex();
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].set_term(term_);
    entries[i].set_index(last + 1 + i);
  }
  last = log_.Append(entries);
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
    // The follower needs entries we compacted: catch it up with a snapshot.
    auto snapshot = storage_->GetSnapshot();
    if (!snapshot.ok()) return false;  // none yet (temporarily unavailable): retry later
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

void RawNode::SendSnapshotChunk(uint64_t to) {
  Progress& pr = progress_[to];
  if (pr.state != Progress::State::kSnapshot || pr.snapshot_chunk_sent) return;
  auto snapshot = storage_->GetSnapshot();
  if (!snapshot.ok()) {
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
    if (id != config_.id) SendAppend(id);
  }
}

void RawNode::BroadcastHeartbeat() {
  for (auto& [id, pr] : progress_) {
    if (id != config_.id) SendHeartbeat(id);
  }
}

absl::Status RawNode::Step(const Message& m) {
  if (m.type() == MSG_UNKNOWN || m.type() > MSG_TIMEOUT_NOW) {
    return absl::InvalidArgumentError(absl::StrCat("raft: unknown message type ", m.type()));
  }
  if (!IsMember(m.from())) {
    return absl::InvalidArgumentError(absl::StrCat("raft: message from non-member ", m.from()));
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

void RawNode::HandleVoteRequest(const Message& m) {
  const bool pre = m.type() == MSG_PRE_VOTE;
  Message r;
  r.set_type(pre ? MSG_PRE_VOTE_RESPONSE : MSG_VOTE_RESPONSE);
  r.set_to(m.from());
  // Observers never vote; a voter votes once per term (pre-votes are not binding).
  bool can_vote = IsVoter(config_.id) &&
                  (vote_ == m.from() || (vote_ == 0 && lead_ == 0) || (pre && m.term() > term_));
  if (can_vote && log_.IsUpToDate(m.index(), m.log_term())) {
    r.set_term(m.term());
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from();
    }
  } else {
    r.set_term(term_);
    r.set_reject(true);
  }
  Send(std::move(r));
}

absl::Status RawNode::StepCandidate(const Message& m) {
  const MessageType my_response =
      role_ == Role::kPreCandidate ? MSG_PRE_VOTE_RESPONSE : MSG_VOTE_RESPONSE;
  switch (m.type()) {
    case MSG_APPEND:
      BecomeFollower(m.term(), m.from());
      HandleAppend(m);
      break;
    case MSG_HEARTBEAT:
      BecomeFollower(m.term(), m.from());
      HandleHeartbeat(m);
      break;
    case MSG_SNAPSHOT:
      BecomeFollower(m.term(), m.from());
      HandleSnapshotChunk(m);
      break;
    case MSG_TIMEOUT_NOW:
      break;  // already campaigning
    default:
      if (m.type() == my_response) {
        if (!IsVoter(m.from())) break;
        votes_.emplace(m.from(), !m.reject());
        bool lost = false;
        int granted = CountVotes(&lost);
        if (granted >= static_cast<int>(Quorum())) {
          if (role_ == Role::kPreCandidate) {
            CampaignInternal(false, campaign_is_transfer_);
          } else {
            BecomeLeader();
          }
        } else if (lost) {
          BecomeFollower(term_, 0);
        }
      }
      break;
  }
  return absl::OkStatus();
}

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
  if (auto last_new = log_.MaybeAppend(m.index(), m.log_term(), m.commit(), entries)) {
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
        BroadcastAppend();  // tell everyone the new commit index
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
  return !msgs_.empty() || !log_.unstable_entries().empty() ||
         log_.unstable_snapshot().has_value() || log_.HasNextCommitted();
}

Ready RawNode::GetReady() {
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

// Elections: PreVote and vote rounds, the vote a node grants, and how a (pre-)candidate
// counts the answers. Only voters campaign, vote or count.
#include "common/check.h"
#include "controller/raft/raw_node.h"

namespace keel::raft {

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

}  // namespace keel::raft

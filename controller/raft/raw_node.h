// RawNode: the Raft consensus core as a pure state machine (the etcd-io/raft shape).
//
// Inputs: Tick() (logical time), Step(message), Propose(data), TransferLeadership(to),
// Campaign(). Output: Ready (what to persist, send and apply) until Advance().
// No threads, clocks, sockets or disk inside; randomness comes from Config::random_seed.
//
// Persistence contract: the caller persists Ready's snapshot, entries and hard state (term,
// vote, commit) durably BEFORE sending Ready's messages, because a vote or an append
// acknowledgement promises exactly that state. See ready.h for the full order.
//
// Features: leader election with randomized timeouts; PreVote and CheckQuorum (both on by
// default); log replication with batching (max_append_bytes) and pipelining
// (max_inflight_appends) and fast conflict backtracking (reject hints by term); commitment
// only of current-term entries by counting (Figure 8), with a leader-change entry appended on
// election; observers that replicate but never vote or count; chunked snapshot transfer to
// followers behind the compacted prefix; leadership transfer (TimeoutNow).
//
// Membership is static: voters and observers come from Storage::InitialState().conf_state.
//
// Thread safety: none; drive a RawNode from one thread.
//
// Source layout: raw_node.cc (API, role changes, term rules of Step, Ready), election.cc,
// leader.cc (replication, commit, CheckQuorum), follower.cc (append check, snapshots).
#ifndef KEEL_CONTROLLER_RAFT_RAW_NODE_H_
#define KEEL_CONTROLLER_RAFT_RAW_NODE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/raft/config.h"
#include "controller/raft/progress.h"
#include "controller/raft/raft_log.h"
#include "controller/raft/ready.h"
#include "controller/raft/storage.h"

namespace keel::raft {

struct PeerStatus {
  uint64_t match = 0;
  uint64_t next = 0;
  Progress::State state = Progress::State::kProbe;
  bool recent_active = false;
  int ticks_since_response = 0;
  bool observer = false;
};

struct Status {
  uint64_t id = 0;
  uint64_t term = 0;
  uint64_t vote = 0;
  Role role = Role::kFollower;
  uint64_t lead = 0;
  uint64_t commit = 0;
  uint64_t applied = 0;
  uint64_t last_index = 0;
  uint64_t lead_transferee = 0;
  std::map<uint64_t, PeerStatus> progress;  // leader only; includes itself
};

class RawNode {
 public:
  // `storage` must outlive the node; the caller changes it only as a Ready asks (and by
  // snapshotting/compacting applied entries), from the thread that drives the node.
  // Errors: InvalidArgument for a bad Config, an empty voter set, or an id that is neither
  // voter nor observer; whatever Storage::InitialState() returns.
  static absl::StatusOr<std::unique_ptr<RawNode>> Create(const Config& config,
                                                         const Storage* storage);

  // Advances logical time by one tick: heartbeats, election timeouts, CheckQuorum.
  void Tick();
  // Errors: InvalidArgument for malformed messages (unknown sender, bad type, addressed to
  // another node); messages from stale terms are ignored silently (OK), as Raft requires.
  absl::Status Step(const Message& m);
  // Appends an ENTRY_NORMAL entry; it is sent at the next GetReady(), batched with every
  // other proposal made since. FailedPrecondition ("not leader") when not the leader, or
  // while a leadership transfer is in progress.
  absl::Status Propose(std::string data);
  // Hands leadership to voter `to` once its log is caught up (MSG_TIMEOUT_NOW); proposals
  // are refused until it completes or an election timeout passes. FailedPrecondition when
  // not the leader, InvalidArgument when `to` is not a voter; OK (no-op) when `to` is us.
  absl::Status TransferLeadership(uint64_t to);
  // Starts an election now (with pre-vote if enabled). FailedPrecondition for an observer.
  absl::Status Campaign();
  // The transport could not reach `id`: stop pipelining to it and probe again.
  void ReportUnreachable(uint64_t id);

  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& ready);

  Status GetStatus() const;
  uint64_t leader() const { return lead_; }
  uint64_t term() const { return term_; }
  Role role() const { return role_; }
  uint64_t id() const { return config_.id; }

 private:
  // Marks the vote requests of a leadership transfer, which must get past the leader lease.
  static constexpr char kTransferContext[] = "transfer";

  RawNode(const Config& config, const Storage* storage);
  absl::Status Init();

  bool IsVoter(uint64_t id) const { return voters_.count(id) > 0; }
  bool IsMember(uint64_t id) const { return voters_.count(id) || observers_.count(id); }
  size_t Quorum() const { return voters_.size() / 2 + 1; }
  void ResetRandomizedTimeout();
  void Reset(uint64_t term);
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void CampaignInternal(bool pre_vote, bool transfer);
  void Send(Message m);
  void SendAppend(uint64_t to);
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  void SendSnapshotChunk(uint64_t to);
  const Snapshot* OutgoingSnapshot(bool refresh);
  void ReleaseOutgoingSnapshotIfUnused();
  void SendHeartbeat(uint64_t to);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  bool MaybeCommit();
  bool QuorumActive();
  void AppendEntries(std::vector<Entry> entries);
  void AbortTransfer() { lead_transferee_ = 0; }

  absl::Status StepLeader(const Message& m);
  absl::Status StepCandidate(const Message& m);
  absl::Status StepFollower(const Message& m);
  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshotChunk(const Message& m);
  void HandleVoteRequest(const Message& m);
  int CountVotes(bool* lost);

  Config config_;
  const Storage* storage_;
  RaftLog log_;
  std::mt19937_64 rng_;
  std::set<uint64_t> voters_;
  std::set<uint64_t> observers_;

  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  uint64_t lead_ = 0;
  Role role_ = Role::kFollower;
  uint64_t lead_transferee_ = 0;
  bool campaign_is_transfer_ = false;
  std::map<uint64_t, bool> votes_;
  std::map<uint64_t, Progress> progress_;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_ticks_ = 0;
  std::vector<Message> msgs_;
  // Leader: new entries or a new commit index to send to every follower at the next
  // GetReady() (coalesces a burst of proposals and acknowledgements).
  bool broadcast_pending_ = false;

  // Leader: the snapshot being sent to followers in chunks (null when no transfer runs).
  std::unique_ptr<Snapshot> outgoing_snapshot_;
  // A snapshot being received in chunks.
  uint64_t incoming_snapshot_index_ = 0;
  std::string incoming_snapshot_data_;

  SoftState prev_soft_;
  HardState prev_hard_;
};

}  // namespace keel::raft

#endif  // KEEL_CONTROLLER_RAFT_RAW_NODE_H_

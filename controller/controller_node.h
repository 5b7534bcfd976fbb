// ControllerNode: one controller process's replicated state machine.
//
// A single loop thread owns the Raft core, the durable Raft log and the leader-only state; it
// ticks the core every tick_ms, steps inbound messages, and handles each Ready in the order
// the persistence contract demands: persist snapshot, entries (one fsync) and hard state,
// then send messages, then apply committed entries, then Advance.
//
// Committed metadata batches are applied to the committed MetadataImage (kept hot on every
// controller so failover needs no reload), materialized into LevelDB with their applied
// offset (a restart replays only the tail), and published to the MetadataFeed. Every
// `snapshot_every_entries` applied entries the image is written as a Raft snapshot and the
// log prefix is compacted.
//
// Writes (the frontend): Write() runs a function on the loop thread against the leader's
// *latest* image (committed plus its own proposed-but-uncommitted records, so back-to-back
// writes validate against each other), proposes the records it returns, and completes once
// they commit. A new leader first commits a LeaderChangeRecord in its own term and serves
// writes only after that, so its latest image contains every earlier committed write.
//
// Thread safety: public methods are thread-safe. The committed image and the quorum view are
// guarded by state_mu_; everything else belongs to the loop thread.
#ifndef KEEL_CONTROLLER_CONTROLLER_NODE_H_
#define KEEL_CONTROLLER_CONTROLLER_NODE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/logic/broker_heartbeat_tracker.h"
#include "controller/metadata_feed.h"
#include "controller/observability/controller_metrics.h"
#include "controller/observability/raft_metrics.h"
#include "controller/raft/raw_node.h"
#include "controller/raft_log_storage.h"
#include "controller/raft_transport.h"
#include "controller/voters.h"
#include "metadata/metadata_image.h"
#include "observability/metrics_registry.h"
#include "proto/controller.pb.h"
#include "storage/state_store.h"

namespace keel::controller {

struct ControllerNodeOptions {
  uint64_t node_id = 0;
  VoterMap voters;
  std::string data_dir;
  std::string cluster_id;
  int64_t tick_ms = 50;
  int64_t election_timeout_ms = 1000;  // randomized in [t, 2t) by the Raft core
  int64_t heartbeat_interval_ms = 100;
  int64_t snapshot_every_entries = 20000;
  int64_t session_timeout_ms = 9000;  // a broker without heartbeats this long is fenced
  int64_t segment_size_bytes = 64 << 20;
  // Every file of the metadata log and snapshot goes through it (LevelDB keeps its own).
  storage::Env* env = storage::Env::Default();
  size_t feed_max_entries = 100000;
  uint64_t random_seed = 0;  // 0: seeded from the clock
  // Where keel_raft_* and keel_controller_* are recorded (docs/observability.md); null: a
  // private registry nobody scrapes.
  std::shared_ptr<observability::MetricsRegistry> metrics;
};

// What a write function returns: records to propose (none: answer at once) and a completion
// that runs on the loop thread with the commit offset, or the error that stopped the write.
struct WritePlan {
  metadata::MetadataRecordBatch batch;
  std::function<void(absl::StatusOr<int64_t> commit_offset)> done;
  // Propose even an empty batch and answer once it commits: a read's proof that this node
  // was still the leader and had every earlier write (ListTopics linearizable).
  bool barrier = false;
};

// Leader-only context a write function sees.
struct LeaderContext {
  const metadata::MetadataImage& latest;  // committed + proposed
  BrokerHeartbeatTracker& heartbeats;  // broker sessions, leader-local
  int64_t now_ms;
  uint64_t random;  // fresh randomness for topic ids and placement
};

using WriteFn = std::function<WritePlan(LeaderContext& context)>;

// The quorum as this node sees it (Kafka's DescribeQuorum fields).
struct QuorumView {
  int64_t leader_id = -1;
  int64_t leader_epoch = 0;
  int64_t high_watermark = 0;  // offset of the last committed entry
  int64_t applied_offset = 0;
  bool serving = false;  // this node is the leader and has committed its LeaderChangeRecord
  std::vector<ReplicaState> voters;
};

class ControllerNode {
 public:
  static absl::StatusOr<std::unique_ptr<ControllerNode>> Open(ControllerNodeOptions options,
                                                              RaftTransport* transport);
  ~ControllerNode();

  void Start();
  // Stops the loop; pending writes fail with UNAVAILABLE.
  void Stop();

  // Inbound Raft message (from the transport's server threads).
  void Deliver(raft::Message message);

  // Runs `fn` on the leader and waits for its records to commit. UNAVAILABLE (with the
  // leader's id and address in `leader`) when this node is not the serving leader;
  // DEADLINE_EXCEEDED when `deadline` passes first (the write may still commit).
  absl::Status Write(WriteFn fn, std::chrono::steady_clock::time_point deadline,
                     NodeAddress* leader);

  // Runs `fn` under the read lock on the committed image.
  void ReadCommitted(const std::function<void(const metadata::MetadataImage&)>& fn) const;

  QuorumView DescribeQuorum() const;
  // Waits until whether this node knows a leader differs from `leader_known`, at most
  // `timeout`; returns whether it knows one now. (Health follows leadership without polling.)
  bool WaitLeaderKnownChange(bool leader_known, std::chrono::milliseconds timeout) const;
  NodeAddress LeaderAddress() const;
  const std::string& cluster_id() const { return options_.cluster_id; }
  MetadataFeed& feed() { return feed_; }

  // Graceful shutdown: if leader, transfer leadership to the most caught-up voter and wait
  // (bounded) until another node leads.
  void TransferLeadershipAway(std::chrono::milliseconds timeout);

 private:
  struct PendingWrite {
    uint64_t term;
    std::function<void(absl::StatusOr<int64_t>)> done;
    std::chrono::steady_clock::time_point proposed_at;  // for the commit latency metric
  };
  using Event = std::variant<raft::Message, std::function<void()>>;

  ControllerNode(ControllerNodeOptions options, RaftTransport* transport);
  absl::Status Recover();
  void Run();
  void Post(Event event);
  void HandleEvent(Event& event);
  // Proposes `batch` (leader only), applying it to latest_ at its future offset. `done` runs
  // on the loop thread when the entry commits, or with an error if it cannot.
  void Propose(metadata::MetadataRecordBatch batch,
               std::function<void(absl::StatusOr<int64_t>)> done);
  absl::Status HandleReady();
  void ApplyCommitted(const std::vector<raft::Entry>& entries);
  absl::Status InstallSnapshot(const raft::Snapshot& snapshot);
  void OnRoleChange(bool is_leader);
  void LeaderPeriodicWork();
  void BecomeServing();
  void MaybeSnapshot();
  void FailPending(const absl::Status& status);
  void UpdateQuorumView();
  // Logs role and leader changes (elections) at INFO, one line per change.
  void LogSoftState(const raft::SoftState& soft_state);
  // Logs broker lifecycle records (registration, fencing) as they commit.
  void LogBrokerRecords(const metadata::MetadataRecordBatch& batch, int64_t offset);
  observability::ImageCounts CountImage() const;
  int64_t NowMs() const;

  const ControllerNodeOptions options_;
  RaftTransport* const transport_;

  // Loop-thread state.
  std::unique_ptr<storage::StateStore> state_store_;
  std::unique_ptr<RaftLogStorage> log_storage_;
  std::unique_ptr<raft::RawNode> raft_;
  std::mt19937_64 rng_;
  std::optional<metadata::MetadataImage> latest_;  // set while serving as leader
  BrokerHeartbeatTracker heartbeats_;
  std::map<uint64_t, PendingWrite> pending_;  // by Raft index
  bool is_leader_ = false;
  uint64_t leader_term_ = 0;
  uint64_t leader_change_index_ = 0;  // index of our LeaderChangeRecord while leader
  int64_t last_fence_check_ms_ = 0;
  uint64_t entries_since_snapshot_ = 0;
  std::map<uint64_t, int64_t> last_heard_ms_;      // peer -> wall ms of last message
  std::map<uint64_t, int64_t> last_caught_up_ms_;  // peer -> wall ms it matched our log
  raft::SoftState last_soft_state_;
  std::optional<std::chrono::steady_clock::time_point> leaderless_since_;  // for the log line

  // Shared state.
  mutable std::shared_mutex state_mu_;
  metadata::MetadataImage committed_;  // guarded by state_mu_
  QuorumView quorum_;        // guarded by state_mu_
  mutable std::condition_variable_any leader_known_cv_;  // quorum_.leader_id > 0 changed
  MetadataFeed feed_;

  std::mutex inbox_mu_;
  std::condition_variable inbox_cv_;
  std::deque<Event> inbox_;  // guarded by inbox_mu_
  bool stopping_ = false;    // guarded by inbox_mu_
  std::thread loop_;

  // Metrics: recorded by the loop thread; the scrape hook reads the committed image under
  // state_mu_. Declared last so the hook is removed before anything it reads is destroyed.
  std::shared_ptr<observability::MetricsRegistry> metrics_registry_;
  observability::RaftMetrics raft_metrics_;
  observability::ControllerMetrics controller_metrics_;
  std::unique_ptr<observability::ScrapeHook> image_counts_hook_;
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_CONTROLLER_NODE_H_

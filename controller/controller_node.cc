#include "controller/controller_node.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "controller/logic/controller_logic.h"
#include "metadata/image_store.h"

namespace keel::controller {
namespace {

constexpr int64_t kFenceCheckIntervalMs = 500;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The completion of one Write(), shared by the waiting caller and the loop thread so that a
// caller who gave up at its deadline leaves nothing dangling.
struct WriteResult {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<absl::Status> status;  // guarded by mu
  void Complete(absl::Status s) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (status.has_value()) return;
      status = std::move(s);
    }
    cv.notify_all();
  }
};

}  // namespace

ControllerNode::ControllerNode(ControllerNodeOptions options, RaftTransport* transport)
    : options_(std::move(options)),
      transport_(transport),
      heartbeats_(options_.session_timeout_ms),
      feed_(options_.feed_max_entries),
      metrics_registry_(options_.metrics != nullptr ? options_.metrics
                                                    : observability::MetricsRegistry::Create()),
      raft_metrics_(*metrics_registry_),
      controller_metrics_(*metrics_registry_) {
  image_counts_hook_ = metrics_registry_->AddScrapeHook(
      [this] { controller_metrics_.SetImageCounts(CountImage()); });
}

ControllerNode::~ControllerNode() { Stop(); }

absl::StatusOr<std::unique_ptr<ControllerNode>> ControllerNode::Open(
    ControllerNodeOptions options, RaftTransport* transport) {
  std::unique_ptr<ControllerNode> node(new ControllerNode(std::move(options), transport));
  if (auto s = node->Recover(); !s.ok()) return s;
  return node;
}

int64_t ControllerNode::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status ControllerNode::Recover() {
  uint64_t seed = options_.random_seed;
  if (seed == 0) seed = static_cast<uint64_t>(NowMs()) * 1000003u + options_.node_id;
  rng_.seed(seed);

  auto store = storage::StateStore::Open(options_.data_dir + "/state");
  if (!store.ok()) return store.status();
  state_store_ = std::move(*store);

  raft::ConfState conf;
  for (const auto& [id, address] : options_.voters) conf.add_voters(id);
  auto log = RaftLogStorage::Open(options_.data_dir, state_store_.get(), conf,
                                  options_.segment_size_bytes, options_.env);
  if (!log.ok()) return log.status();
  log_storage_ = std::move(*log);

  // The image: the LevelDB materialization at its applied offset, unless the snapshot is
  // newer (then the log below the snapshot may be gone and the snapshot is the truth).
  auto image = metadata::LoadImage(*state_store_);
  if (!image.ok()) return image.status();
  committed_ = std::move(*image);
  const auto& snapshot = log_storage_->snapshot();
  if (snapshot.has_value() &&
      static_cast<int64_t>(snapshot->metadata.index()) > committed_.applied_offset()) {
    if (auto s = InstallSnapshot(*snapshot); !s.ok()) return s;
  }
  feed_.Reset(committed_.applied_offset());
  KEEL_LOG_INFO("node {} recovered: applied offset {}, log [{}, {}]", options_.node_id,
                committed_.applied_offset(), log_storage_->FirstIndex(),
                log_storage_->LastIndex());

  raft::Config config;
  config.id = options_.node_id;
  config.election_ticks =
      static_cast<int>(std::max<int64_t>(2, options_.election_timeout_ms / options_.tick_ms));
  config.heartbeat_ticks =
      static_cast<int>(std::max<int64_t>(1, options_.heartbeat_interval_ms / options_.tick_ms));
  config.random_seed = rng_();
  config.applied = static_cast<uint64_t>(committed_.applied_offset());
  auto raw = raft::RawNode::Create(config, log_storage_.get());
  if (!raw.ok()) return raw.status();
  raft_ = std::move(*raw);
  UpdateQuorumView();
  return absl::OkStatus();
}

void ControllerNode::Start() {
  leaderless_since_ = std::chrono::steady_clock::now();
  transport_->SetHandler([this](raft::Message m) { Deliver(std::move(m)); });
  loop_ = std::thread([this] { Run(); });
}

void ControllerNode::Stop() {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    stopping_ = true;
  }
  inbox_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  feed_.Close();
}

void ControllerNode::Post(Event event) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    if (stopping_) return;
    inbox_.push_back(std::move(event));
  }
  inbox_cv_.notify_one();
}

void ControllerNode::Deliver(raft::Message message) { Post(std::move(message)); }

void ControllerNode::Run() {
  auto next_tick = std::chrono::steady_clock::now();
  while (true) {
    std::deque<Event> events;
    {
      std::unique_lock<std::mutex> lock(inbox_mu_);
      inbox_cv_.wait_until(lock, next_tick, [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) break;
      events.swap(inbox_);
    }
    for (Event& e : events) HandleEvent(e);
    auto now = std::chrono::steady_clock::now();
    if (now >= next_tick) {
      raft_->Tick();
      next_tick = now + std::chrono::milliseconds(options_.tick_ms);
      if (is_leader_) LeaderPeriodicWork();
    }
    while (raft_->HasReady()) {
      if (auto s = HandleReady(); !s.ok()) {
        // A node that cannot persist must not keep voting or acknowledging.
        KEEL_LOG_CRITICAL("node {}: persisting Raft state failed: {}", options_.node_id,
                          s.ToString());
        std::abort();
      }
    }
    MaybeSnapshot();
    UpdateQuorumView();
  }
  FailPending(absl::UnavailableError("NOT_CONTROLLER: the controller is shutting down"));
  (void)log_storage_->Close();
}

void ControllerNode::HandleEvent(Event& event) {
  if (auto* m = std::get_if<raft::Message>(&event)) {
    last_heard_ms_[m->from()] = NowMs();
    if (auto s = raft_->Step(*m); !s.ok()) {
      KEEL_LOG_DEBUG("node {}: dropped message from {}: {}", options_.node_id, m->from(),
                     s.ToString());
    }
  } else if (auto* task = std::get_if<std::function<void()>>(&event)) {
    (*task)();
  }
}

absl::Status ControllerNode::Write(WriteFn fn, std::chrono::steady_clock::time_point deadline,
                                   NodeAddress* leader) {
  auto result = std::make_shared<WriteResult>();
  Post(std::function<void()>([this, fn = std::move(fn), result]() mutable {
    if (!latest_.has_value()) {
      int64_t leader_id = static_cast<int64_t>(raft_->leader());
      if (leader_id == static_cast<int64_t>(options_.node_id)) {
        result->Complete(absl::UnavailableError(
            "LEADER_NOT_AVAILABLE: this controller was just elected and is committing its "
            "leader-change record; retry"));
      } else if (leader_id == 0) {
        result->Complete(
            absl::UnavailableError("NOT_CONTROLLER: no controller leader is known; retry"));
      } else {
        result->Complete(absl::UnavailableError(absl::StrCat(
            "NOT_CONTROLLER: this controller is not the leader; the leader is node ",
            leader_id)));
      }
      return;
    }
    LeaderContext context{*latest_, heartbeats_, NowMs(), rng_()};
    WritePlan plan = fn(context);
    auto done = [plan_done = std::move(plan.done), result](absl::StatusOr<int64_t> offset) {
      if (plan_done) plan_done(offset);
      result->Complete(offset.status());
    };
    if (plan.batch.records_size() == 0 && !plan.barrier) {
      // The answer (a refusal such as TOPIC_ALREADY_EXISTS, or "nothing to change") was
      // computed from the latest image, which includes our proposals not yet committed. Give
      // it only once the newest of them commits, as KRaft's controller does: if they are
      // lost with the leadership, so is the answer (the caller gets NOT_CONTROLLER).
      if (pending_.empty()) {
        done(latest_->applied_offset());
        return;
      }
      PendingWrite& newest = pending_.rbegin()->second;
      newest.done = [first = std::move(newest.done),
                     then = std::move(done)](absl::StatusOr<int64_t> offset) {
        if (first) first(offset);
        then(offset);
      };
      return;
    }
    Propose(std::move(plan.batch), std::move(done));
  }));

  std::unique_lock<std::mutex> lock(result->mu);
  bool completed = result->cv.wait_until(lock, deadline, [&] { return result->status.has_value(); });
  if (leader != nullptr) *leader = LeaderAddress();
  if (!completed) {
    return absl::DeadlineExceededError(
        "REQUEST_TIMED_OUT: the write did not commit before its deadline; it may still commit");
  }
  return *result->status;
}

void ControllerNode::Propose(metadata::MetadataRecordBatch batch,
                             std::function<void(absl::StatusOr<int64_t>)> done) {
  std::string data;
  batch.SerializeToString(&data);
  if (absl::Status s = raft_->Propose(std::move(data)); !s.ok()) {
    if (done) done(absl::UnavailableError(absl::StrCat("NOT_CONTROLLER: ", s.message())));
    return;
  }
  uint64_t index = raft_->GetStatus().last_index;
  if (latest_.has_value()) {
    if (absl::Status s = latest_->ApplyBatch(batch, static_cast<int64_t>(index)); !s.ok()) {
      // The frontend produced a record its own image rejects: a bug, but the committed
      // image will reject it the same way, so rebuild the view rather than diverge.
      KEEL_LOG_ERROR("node {}: proposed batch at {} does not apply: {}", options_.node_id, index,
                     s.ToString());
    }
  }
  pending_[index] = PendingWrite{leader_term_, std::move(done), std::chrono::steady_clock::now()};
}

absl::Status ControllerNode::HandleReady() {
  raft::Ready ready = raft_->GetReady();
  if (ready.snapshot.has_value()) {
    if (auto s = log_storage_->ApplySnapshot(*ready.snapshot); !s.ok()) return s;
    if (auto s = InstallSnapshot(*ready.snapshot); !s.ok()) return s;
    raft_metrics_.SnapshotInstalled(ready.snapshot->data.size());
  }
  if (!ready.entries.empty()) {
    auto start = std::chrono::steady_clock::now();
    if (auto s = log_storage_->Append(ready.entries); !s.ok()) return s;
    raft_metrics_.ObserveAppend(SecondsSince(start), ready.entries.size());
    start = std::chrono::steady_clock::now();
    if (auto s = log_storage_->Sync(); !s.ok()) return s;
    raft_metrics_.ObserveFsync(SecondsSince(start));
  }
  if (ready.hard_state.has_value()) {
    if (auto s = log_storage_->SetHardState(*ready.hard_state); !s.ok()) return s;
  }
  if (!ready.messages.empty()) transport_->Send(std::move(ready.messages));
  if (ready.soft_state.has_value()) {
    LogSoftState(*ready.soft_state);
    OnRoleChange(ready.soft_state->leader == options_.node_id);
  }
  if (!ready.committed_entries.empty()) ApplyCommitted(ready.committed_entries);
  raft_->Advance(ready);
  return absl::OkStatus();
}

void ControllerNode::OnRoleChange(bool is_leader) {
  if (is_leader == is_leader_) return;
  is_leader_ = is_leader;
  if (!is_leader) {
    KEEL_LOG_INFO("node {}: no longer the leader", options_.node_id);
    latest_.reset();
    leader_change_index_ = 0;
    FailPending(absl::UnavailableError(
        "NOT_CONTROLLER: leadership changed before the write committed; it may or may not "
        "have been applied"));
    return;
  }
  leader_term_ = raft_->term();
  KEEL_LOG_INFO("node {}: elected leader for epoch {}", options_.node_id, leader_term_);
  // Serve only after a record of our own term commits: by then every entry of earlier
  // terms is committed and applied, so validation sees the whole committed history.
  metadata::MetadataRecordBatch batch;
  auto* change = batch.add_records()->mutable_leader_change();
  change->set_leader_id(static_cast<int32_t>(options_.node_id));
  change->set_leader_epoch(static_cast<int64_t>(leader_term_));
  for (const auto& [id, address] : options_.voters) change->add_voters(static_cast<int32_t>(id));
  std::string data;
  batch.SerializeToString(&data);
  if (absl::Status s = raft_->Propose(std::move(data)); !s.ok()) {
    KEEL_LOG_WARN("node {}: cannot propose leader-change record: {}", options_.node_id,
                  s.ToString());
    return;
  }
  leader_change_index_ = raft_->GetStatus().last_index;
}

void ControllerNode::BecomeServing() {
  {
    std::shared_lock<std::shared_mutex> lock(state_mu_);
    latest_ = committed_;
  }
  // Sessions are leader-local: give every usable broker a full session from now, as a new
  // Kafka controller does, rather than fencing it for silence we did not observe. Fenced and
  // shutting-down brokers get none: they lead nothing, a live one heartbeats anyway, and a
  // session for a dead one would only refuse its restarted successor
  // (DUPLICATE_BROKER_REGISTRATION) for another session timeout after every failover.
  heartbeats_.Reset();
  int64_t now = NowMs();
  for (int32_t id : latest_->BrokerIds()) {
    const metadata::BrokerInfo* b = latest_->Broker(id);
    if (b != nullptr && b->usable()) heartbeats_.Touch(id, now);
  }
  KEEL_LOG_INFO("node {}: serving as active controller at offset {}", options_.node_id,
                latest_->applied_offset());
}

void ControllerNode::ApplyCommitted(const std::vector<raft::Entry>& entries) {
  metadata::ImageChanges changes;
  int64_t last_applied = -1;
  for (const raft::Entry& entry : entries) {
    const int64_t offset = static_cast<int64_t>(entry.index());
    int64_t already_applied;
    {
      std::shared_lock<std::shared_mutex> lock(state_mu_);
      already_applied = committed_.applied_offset();
    }
    if (offset > already_applied) {
      metadata::MetadataRecordBatch batch;
      if (entry.type() == raft::ENTRY_NORMAL && !batch.ParseFromString(entry.data())) {
        KEEL_LOG_ERROR("node {}: committed entry {} is not a metadata batch; skipped",
                       options_.node_id, offset);
        batch.Clear();
      }
      {
        std::unique_lock<std::shared_mutex> lock(state_mu_);
        if (absl::Status s = committed_.ApplyBatch(batch, offset, &changes); !s.ok()) {
          // Deterministic: every controller rejects the same record the same way.
          KEEL_LOG_ERROR("node {}: committed entry {} rejected by the image: {}",
                         options_.node_id, offset, s.ToString());
        }
      }
      if (batch.records_size() > 0) {
        LogBrokerRecords(batch, offset);
        MetadataLogEntry published;
        published.set_offset(offset);
        published.set_epoch(static_cast<int64_t>(entry.term()));
        *published.mutable_batch() = std::move(batch);
        feed_.Append(std::move(published));
      } else {
        feed_.MarkCovered(offset);
      }
      last_applied = offset;
      ++entries_since_snapshot_;
    }
    auto it = pending_.find(entry.index());
    if (it != pending_.end()) {
      PendingWrite pending = std::move(it->second);
      pending_.erase(it);
      if (pending.term == entry.term())
        raft_metrics_.ObserveCommit(SecondsSince(pending.proposed_at));
      if (pending.done) {
        if (pending.term == entry.term()) {
          pending.done(offset);
        } else {
          pending.done(absl::UnavailableError(
              "NOT_CONTROLLER: the write was overwritten by a new leader and did not commit"));
        }
      }
    }
    if (is_leader_ && !latest_.has_value() && leader_change_index_ != 0 &&
        entry.index() >= leader_change_index_) {
      BecomeServing();
    }
  }
  if (last_applied >= 0) {
    if (absl::Status s = metadata::SaveImageChanges(*state_store_, changes, last_applied);
        !s.ok()) {
      // The log still has these entries; a restart replays them.
      KEEL_LOG_WARN("node {}: materializing the image failed: {}", options_.node_id,
                    s.ToString());
    }
  }
}

absl::Status ControllerNode::InstallSnapshot(const raft::Snapshot& snapshot) {
  MetadataImageSnapshot image_snapshot;
  if (!image_snapshot.ParseFromString(snapshot.data)) {
    return absl::DataLossError(absl::StrCat("snapshot at index ", snapshot.metadata.index(),
                                            " does not parse as a metadata image"));
  }
  const int64_t offset = static_cast<int64_t>(snapshot.metadata.index());
  std::vector<metadata::MetadataRecord> records(image_snapshot.records().begin(),
                                                image_snapshot.records().end());
  auto image = metadata::MetadataImage::FromRecords(records, offset);
  if (!image.ok()) return image.status();
  if (auto s = metadata::ReplaceImage(*state_store_, *image); !s.ok()) return s;
  {
    std::unique_lock<std::shared_mutex> lock(state_mu_);
    committed_ = std::move(*image);
  }
  feed_.Reset(offset);
  entries_since_snapshot_ = 0;
  KEEL_LOG_INFO("node {}: installed snapshot at offset {}", options_.node_id, offset);
  return absl::OkStatus();
}

void ControllerNode::MaybeSnapshot() {
  if (static_cast<int64_t>(entries_since_snapshot_) < options_.snapshot_every_entries) return;
  // Taken on the Raft loop: nothing else (writes, elections) runs meanwhile, so its duration
  // is logged; docs/bench/cluster.md has the figure at 1M partitions.
  const auto start = std::chrono::steady_clock::now();
  MetadataImageSnapshot image_snapshot;
  int64_t offset;
  {
    std::shared_lock<std::shared_mutex> lock(state_mu_);
    offset = committed_.applied_offset();
    for (auto& r : committed_.ToRecords()) *image_snapshot.add_records() = std::move(r);
  }
  auto term = log_storage_->Term(static_cast<uint64_t>(offset));
  if (!term.ok()) return;
  image_snapshot.set_offset(offset);
  image_snapshot.set_epoch(static_cast<int64_t>(*term));
  std::string data;
  image_snapshot.SerializeToString(&data);
  size_t size_bytes = data.size();
  if (auto s = log_storage_->CreateSnapshot(static_cast<uint64_t>(offset), std::move(data));
      !s.ok()) {
    KEEL_LOG_WARN("node {}: snapshot at {} failed: {}", options_.node_id, offset, s.ToString());
    return;
  }
  entries_since_snapshot_ = 0;
  raft_metrics_.SnapshotTaken(size_bytes);
  KEEL_LOG_INFO("node {}: took snapshot at offset {} ({} bytes) in {} ms", options_.node_id,
                offset, size_bytes,
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count());
}

void ControllerNode::LeaderPeriodicWork() {
  if (!latest_.has_value()) return;
  int64_t now = NowMs();
  if (now - last_fence_check_ms_ < kFenceCheckIntervalMs) return;
  last_fence_check_ms_ = now;
  metadata::MetadataRecordBatch batch = ControllerLogic::FenceExpiredBrokers(*latest_, heartbeats_, now);
  if (batch.records_size() > 0) {
    std::string brokers;
    int64_t fenced = 0;
    for (const auto& record : batch.records()) {
      if (record.has_broker_registration_change() &&
          record.broker_registration_change().fencing() == metadata::FENCE) {
        absl::StrAppend(&brokers, brokers.empty() ? "" : ",",
                        record.broker_registration_change().broker_id());
        ++fenced;
      }
    }
    controller_metrics_.AddSessionTimeouts(fenced);
    KEEL_LOG_INFO("node {}: fencing brokers [{}]: no heartbeat within {} ms ({} records)",
                  options_.node_id, brokers, options_.session_timeout_ms, batch.records_size());
    Propose(std::move(batch), nullptr);
  }
}

void ControllerNode::FailPending(const absl::Status& status) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [index, p] : pending) {
    if (p.done) p.done(status);
  }
}

void ControllerNode::UpdateQuorumView() {
  raft::Status status = raft_->GetStatus();
  QuorumView view;
  view.leader_id = status.lead == 0 ? -1 : static_cast<int64_t>(status.lead);
  view.leader_epoch = static_cast<int64_t>(status.term);
  view.high_watermark = static_cast<int64_t>(status.commit);
  view.serving = latest_.has_value();
  int64_t now = NowMs();
  for (const auto& [id, address] : options_.voters) {
    ReplicaState replica;
    replica.set_node_id(static_cast<int32_t>(id));
    if (id == options_.node_id) {
      replica.set_log_end_offset(static_cast<int64_t>(status.last_index));
      replica.set_last_fetch_timestamp_ms(now);
      replica.set_last_caught_up_timestamp_ms(now);
      replica.set_status(status.role == raft::Role::kLeader ? "Leader" : "Follower");
    } else {
      uint64_t match = 0;
      auto it = status.progress.find(id);
      if (it != status.progress.end()) match = it->second.match;
      if (status.role == raft::Role::kLeader && match >= status.last_index) {
        last_caught_up_ms_[id] = now;
      }
      replica.set_log_end_offset(static_cast<int64_t>(match));
      replica.set_lag(static_cast<int64_t>(status.last_index) - static_cast<int64_t>(match));
      replica.set_last_fetch_timestamp_ms(last_heard_ms_.count(id) ? last_heard_ms_[id] : -1);
      replica.set_last_caught_up_timestamp_ms(
          last_caught_up_ms_.count(id) ? last_caught_up_ms_[id] : -1);
      replica.set_status(status.lead == id ? "Leader" : "Follower");
    }
    view.voters.push_back(std::move(replica));
  }
  raft_metrics_.SetStatus(status.role, status.lead, status.term, status.commit, status.last_index,
                          std::chrono::steady_clock::now());
  controller_metrics_.SetActive(view.serving);
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  view.applied_offset = committed_.applied_offset();
  controller_metrics_.SetApplied(view.applied_offset, view.high_watermark);
  const bool leader_known_changed = (quorum_.leader_id > 0) != (view.leader_id > 0);
  quorum_ = std::move(view);
  lock.unlock();
  if (leader_known_changed) leader_known_cv_.notify_all();
}

bool ControllerNode::WaitLeaderKnownChange(bool leader_known,
                                           std::chrono::milliseconds timeout) const {
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  leader_known_cv_.wait_for(lock, timeout,
                            [&] { return (quorum_.leader_id > 0) != leader_known; });
  return quorum_.leader_id > 0;
}

void ControllerNode::LogSoftState(const raft::SoftState& soft_state) {
  const raft::SoftState previous = last_soft_state_;
  last_soft_state_ = soft_state;
  const uint64_t epoch = raft_->term();
  if (soft_state.leader == 0 && previous.leader != 0) {
    leaderless_since_ = std::chrono::steady_clock::now();
  }
  if (soft_state.role != previous.role) {
    switch (soft_state.role) {
      case raft::Role::kPreCandidate:
        KEEL_LOG_INFO("node {}: no word from a leader; pre-vote in epoch {}", options_.node_id,
                      epoch);
        break;
      case raft::Role::kCandidate:
        KEEL_LOG_INFO("node {}: starting election for epoch {}", options_.node_id, epoch);
        break;
      case raft::Role::kFollower:
      case raft::Role::kLeader:
        break;  // logged below with the leader (and by OnRoleChange for a leader)
    }
  }
  if (soft_state.leader != previous.leader && soft_state.leader != 0 &&
      soft_state.leader != options_.node_id) {
    std::string without;
    if (leaderless_since_.has_value()) {
      without =
          absl::StrCat(" after ", static_cast<int64_t>(SecondsSince(*leaderless_since_) * 1000),
                       " ms without one");
      leaderless_since_.reset();
    }
    KEEL_LOG_INFO("node {}: following leader {} in epoch {}{}", options_.node_id, soft_state.leader,
                  epoch, without);
  } else if (soft_state.leader == options_.node_id) {
    leaderless_since_.reset();
  } else if (soft_state.leader == 0 && previous.leader != 0 &&
             soft_state.role == raft::Role::kFollower) {
    KEEL_LOG_INFO("node {}: lost leader {} in epoch {}", options_.node_id, previous.leader, epoch);
  }
}

void ControllerNode::LogBrokerRecords(const metadata::MetadataRecordBatch& batch, int64_t offset) {
  for (const metadata::MetadataRecord& record : batch.records()) {
    if (record.has_register_broker()) {
      KEEL_LOG_INFO("node {}: broker {} registered at offset {} (fenced until it catches up)",
                    options_.node_id, record.register_broker().broker_id(), offset);
    } else if (record.has_broker_registration_change()) {
      const auto& change = record.broker_registration_change();
      if (change.fencing() == metadata::FENCE) {
        KEEL_LOG_INFO("node {}: broker {} fenced at offset {}", options_.node_id,
                      change.broker_id(), offset);
      } else if (change.fencing() == metadata::UNFENCE) {
        KEEL_LOG_INFO("node {}: broker {} unfenced at offset {}", options_.node_id,
                      change.broker_id(), offset);
      }
      if (change.controlled_shutdown() != metadata::CONTROLLED_SHUTDOWN_NONE) {
        KEEL_LOG_INFO("node {}: broker {} controlled shutdown change {} at offset {}",
                      options_.node_id, change.broker_id(),
                      metadata::ControlledShutdownChange_Name(change.controlled_shutdown()),
                      offset);
      }
    } else if (record.has_unregister_broker()) {
      KEEL_LOG_INFO("node {}: broker {} unregistered at offset {}", options_.node_id,
                    record.unregister_broker().broker_id(), offset);
    }
  }
}

observability::ImageCounts ControllerNode::CountImage() const {
  observability::ImageCounts counts;
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  for (const auto& [id, broker] : committed_.brokers()) {
    (broker.fenced ? counts.fenced_brokers : counts.active_brokers)++;
  }
  counts.topics = static_cast<int64_t>(committed_.topics_by_id().size());
  for (const auto& [id, topic] : committed_.topics_by_id()) {
    for (const auto& [partition, info] : topic.partitions) {
      ++counts.partitions;
      if (info.leader == metadata::kNoLeader) ++counts.offline_partitions;
    }
  }
  return counts;
}

void ControllerNode::ReadCommitted(
    const std::function<void(const metadata::MetadataImage&)>& fn) const {
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  fn(committed_);
}

QuorumView ControllerNode::DescribeQuorum() const {
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  return quorum_;
}

NodeAddress ControllerNode::LeaderAddress() const {
  NodeAddress address;
  int64_t leader_id;
  {
    std::shared_lock<std::shared_mutex> lock(state_mu_);
    leader_id = quorum_.leader_id;
  }
  address.set_node_id(static_cast<int32_t>(leader_id));
  auto it = options_.voters.find(static_cast<uint64_t>(leader_id));
  if (leader_id > 0 && it != options_.voters.end()) address.set_address(it->second);
  return address;
}

void ControllerNode::TransferLeadershipAway(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Post(std::function<void()>([this] {
    raft::Status status = raft_->GetStatus();
    if (status.role != raft::Role::kLeader) return;
    uint64_t best = 0, best_match = 0;
    for (const auto& [id, progress] : status.progress) {
      if (id == options_.node_id) continue;
      if (best == 0 || progress.match > best_match) {
        best = id;
        best_match = progress.match;
      }
    }
    if (best != 0) {
      KEEL_LOG_INFO("node {}: transferring leadership to node {}", options_.node_id, best);
      (void)raft_->TransferLeadership(best);
    }
  }));
  while (std::chrono::steady_clock::now() < deadline) {
    QuorumView view = DescribeQuorum();
    if (view.leader_id != static_cast<int64_t>(options_.node_id)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace keel::controller

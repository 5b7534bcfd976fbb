#include "broker/isr_manager.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "proto/controller.grpc.pb.h"

namespace keel::broker {

std::optional<keel::ErrorCode> ControllerRefusal(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
      break;
    default:
      return std::nullopt;
  }
  const std::string& message = s.error_message();
  keel::ErrorCode code;
  if (!keel::ErrorCode_Parse(message.substr(0, message.find(':')), &code)) return std::nullopt;
  return code;
}

IsrManager::IsrManager(IsrManagerOptions options, PartitionManager* partitions,
                       std::function<int64_t()> broker_epoch, std::function<bool()> active,
                       BrokerMetrics* metrics, std::function<std::set<int32_t>()> usable_brokers)
    : options_(std::move(options)),
      partitions_(partitions),
      broker_epoch_(std::move(broker_epoch)),
      active_(std::move(active)),
      metrics_(metrics),
      usable_brokers_(std::move(usable_brokers)) {}

IsrManager::~IsrManager() { Stop(); }

void IsrManager::Start() {
  thread_ = std::thread([this] { Run(); });
}

void IsrManager::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IsrManager::Run() {
  // Check several times per lag window so a lagging follower leaves within about 1.25x it.
  const auto interval = std::chrono::milliseconds(
      std::max<int64_t>(50, options_.replica_lag_time_max_ms / 4));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval, [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    CheckOnce(std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count());
    lock.lock();
  }
}

int IsrManager::CheckOnce(int64_t now_ms) {
  if (!active_()) return 0;  // a fenced broker proposes nothing
  int sent = 0;
  // Read once per pass, outside any partition's lock (the image has its own).
  std::optional<std::set<int32_t>> usable;
  if (usable_brokers_ != nullptr) usable = usable_brokers_();
  for (const auto& p : partitions_->All()) {
    const auto key = std::make_pair(p->topic(), p->partition());
    const PartitionAssignment now = p->assignment();
    std::optional<Partition::IsrProposal> proposal;
    auto unresolved = unresolved_.find(key);
    if (unresolved != unresolved_.end()) {
      // A proposal whose fate is unknown (the call failed) is sent again, unchanged, until
      // the controller answers or the metadata moves on: its additions are in the maximal
      // ISR, and only an answer or a new partition epoch may take them out.
      const PartitionAssignment& base = unresolved->second.base;
      if (base.topic_id == now.topic_id && base.partition_epoch == now.partition_epoch &&
          base.leader_epoch == now.leader_epoch && now.leader == options_.broker_id) {
        proposal = unresolved->second;
      }
      unresolved_.erase(unresolved);
    }
    if (!proposal.has_value()) {
      auto it = sent_at_epoch_.find(key);
      if (it != sent_at_epoch_.end() &&
          it->second == std::make_pair(now.topic_id, now.partition_epoch)) {
        continue;
      }
      proposal = p->ProposeIsr(now_ms, options_.replica_lag_time_max_ms,
                               usable.has_value() ? &*usable : nullptr);
      if (!proposal.has_value()) continue;
    }
    const PartitionAssignment& a = proposal->base;
    const std::vector<int32_t>& proposed = proposal->isr;
    controller::AlterPartitionRequest request;
    request.set_broker_id(options_.broker_id);
    request.set_broker_epoch(broker_epoch_());
    request.set_topic_id(a.topic_id);
    request.set_partition(p->partition());
    request.set_leader_epoch(a.leader_epoch);
    request.set_partition_epoch(a.partition_epoch);
    for (int32_t id : proposed) request.add_new_isr(id);
    controller::AlterPartitionResponse response;
    // Guarded by the partition epoch: a repeat of an applied proposal is refused, never
    // applied twice, so every unanswered attempt may be retried.
    grpc::Status s = options_.controllers->Run(
        client::AdminClient::Target::kLeader, client::AdminClient::Retry::kIdempotent,
        [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
          response.Clear();
          return controller::BrokerLifecycleService::NewStub(channel)->AlterPartition(
              context, request, &response);
        },
        std::chrono::milliseconds(options_.request_timeout_ms));
    ++sent;
    const std::optional<keel::ErrorCode> refusal =
        s.ok() ? std::optional<keel::ErrorCode>(response.error()) : ControllerRefusal(s);
    if (!refusal.has_value()) {
      KEEL_LOG_WARN("AlterPartition {}-{}: {}", p->topic(), p->partition(), s.error_message());
      unresolved_[key] = *proposal;  // retried next pass, unchanged
      continue;
    }
    if (*refusal != keel::NONE) {
      KEEL_LOG_INFO("AlterPartition {}-{} refused: {}", p->topic(), p->partition(),
                    s.ok() ? response.error_message() : s.error_message());
    }
    if (*refusal == keel::INVALID_REQUEST) {
      // Checked after the epochs matched: the controller will not commit this proposal
      // (e.g. an added broker is fenced). Its additions leave the maximal ISR; a later pass
      // may propose again once the cause is gone.
      p->IsrProposalRefused(a.partition_epoch);
      continue;
    }
    sent_at_epoch_[key] = {a.topic_id, a.partition_epoch};
    if (*refusal != keel::NONE) {
      // Stale epochs, leadership, registration or topic: the metadata will bring the change
      // that made the proposal stale, and with it the end of the pending additions.
      continue;
    }
    bool shrink = false;
    bool expand = false;
    for (int32_t id : a.isr) {
      shrink |= std::find(proposed.begin(), proposed.end(), id) == proposed.end();
    }
    for (int32_t id : proposed) {
      expand |= std::find(a.isr.begin(), a.isr.end(), id) == a.isr.end();
    }
    if (metrics_ != nullptr) metrics_->RecordIsrChange(shrink, expand);
    KEEL_LOG_INFO("ISR of {}-{} {} from [{}] to [{}]", p->topic(), p->partition(),
                  shrink ? (expand ? "changes" : "shrinks") : "expands",
                  absl::StrJoin(a.isr, ","), absl::StrJoin(proposed, ","));
  }
  return sent;
}

}  // namespace keel::broker

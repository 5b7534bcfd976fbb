#include "broker/broker_lifecycle.h"

#include <utility>

#include "common/logging.h"

namespace keel::broker {

using controller::BrokerLifecycleService;

BrokerLifecycle::BrokerLifecycle(LifecycleOptions options, std::function<int64_t()> applied_offset)
    : options_(std::move(options)), applied_offset_(std::move(applied_offset)) {}

BrokerLifecycle::~BrokerLifecycle() { Stop(); }

int64_t BrokerLifecycle::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void BrokerLifecycle::Start() {
  thread_ = std::thread([this] { Run(); });
}

void BrokerLifecycle::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool BrokerLifecycle::WaitRegistered(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return registered_ || stop_ || !fatal_.ok(); }) &&
         registered_;
}

absl::Status BrokerLifecycle::fatal_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fatal_;
}

bool BrokerLifecycle::Active() const {
  if (fenced_.load()) return false;
  const int64_t last = last_unfenced_answer_ms_.load();
  return last >= 0 && NowMs() - last < options_.session_timeout_ms;
}

void BrokerLifecycle::Run() {
  bool need_registration = true;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_ || !fatal_.ok()) return;
    }
    if (need_registration) {
      need_registration = !Register();
    } else {
      controller::BrokerHeartbeatResponse response;
      need_registration = !Heartbeat(false, &response);
    }
    std::unique_lock<std::mutex> lock(mu_);
    // Register retries quickly; heartbeats keep their interval.
    const auto wait = std::chrono::milliseconds(
        need_registration ? 500 : options_.heartbeat_interval_ms);
    cv_.wait_for(lock, wait, [&] { return stop_; });
  }
}

bool BrokerLifecycle::Register() {
  std::lock_guard<std::mutex> call_lock(call_mu_);
  controller::RegisterBrokerRequest request;
  request.set_broker_id(options_.broker_id);
  request.set_cluster_id(options_.cluster_id);
  request.set_incarnation_id(options_.incarnation_id);
  for (const auto& e : options_.endpoints) *request.add_endpoints() = e;
  request.set_rack(options_.rack);
  controller::RegisterBrokerResponse response;
  // Not idempotent: an attempt that may have registered is not repeated within this call
  // (the registration loop tries again next interval, with the same incarnation).
  grpc::Status status = options_.controllers->Run(
      client::AdminClient::Target::kLeader, client::AdminClient::Retry::kNotIdempotent,
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        response.Clear();
        return BrokerLifecycleService::NewStub(channel)->RegisterBroker(context, request,
                                                                        &response);
      },
      std::chrono::milliseconds(options_.request_timeout_ms));
  // With mutual TLS, a certificate that is not this broker id's is refused for good
  // (docs/security.md): retrying cannot help, so the process stops with the reason.
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
      status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    std::lock_guard<std::mutex> lock(mu_);
    fatal_ = absl::PermissionDeniedError("registration refused: " + status.error_message());
    KEEL_LOG_ERROR("registration refused: {}", status.error_message());
    cv_.notify_all();
    return false;
  }
  if (!status.ok()) {
    KEEL_LOG_DEBUG("registration not accepted yet: {}", status.error_message());
    return false;
  }
  if (response.error() == keel::INCONSISTENT_CLUSTER_ID) {
    std::lock_guard<std::mutex> lock(mu_);
    fatal_ = absl::FailedPreconditionError(response.error_message());
    KEEL_LOG_ERROR("registration refused: {}", response.error_message());
    cv_.notify_all();
    return false;
  }
  if (response.error() != keel::NONE) {
    KEEL_LOG_INFO("registration refused, will retry: {} {}",
                  keel::ErrorCode_Name(response.error()), response.error_message());
    return false;
  }
  broker_epoch_ = response.broker_epoch();
  fenced_ = true;
  KEEL_LOG_INFO("registered with broker epoch {} (incarnation {})", response.broker_epoch(),
                options_.incarnation_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    registered_ = true;
  }
  cv_.notify_all();
  return true;
}

bool BrokerLifecycle::Heartbeat(bool want_shutdown,
                                controller::BrokerHeartbeatResponse* response) {
  std::lock_guard<std::mutex> call_lock(call_mu_);
  controller::BrokerHeartbeatRequest request;
  request.set_broker_id(options_.broker_id);
  request.set_broker_epoch(broker_epoch_.load());
  request.set_current_metadata_offset(applied_offset_());
  request.set_want_shutdown(want_shutdown);
  const int64_t sent_ms = NowMs();
  grpc::Status status = options_.controllers->Run(
      client::AdminClient::Target::kLeader, client::AdminClient::Retry::kIdempotent,
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        response->Clear();
        return BrokerLifecycleService::NewStub(channel)->BrokerHeartbeat(context, request,
                                                                         response);
      },
      std::chrono::milliseconds(options_.request_timeout_ms));
  if (!status.ok()) {
    KEEL_LOG_DEBUG("heartbeat failed: {}", status.error_message());
    return true;  // transient: keep the registration, try again next interval
  }
  if (response->error() == keel::STALE_BROKER_EPOCH) {
    KEEL_LOG_INFO("heartbeat: {}; registering again", response->error_message());
    fenced_ = true;
    return false;
  }
  if (response->error() != keel::NONE) {
    KEEL_LOG_WARN("heartbeat refused: {} {}", keel::ErrorCode_Name(response->error()),
                  response->error_message());
    return true;
  }
  const bool was_fenced = fenced_.exchange(response->is_fenced());
  // The answer reflects the controller's view as of when the request was sent.
  if (!response->is_fenced()) last_unfenced_answer_ms_ = sent_ms;
  if (was_fenced != response->is_fenced()) {
    KEEL_LOG_INFO("broker is now {}", response->is_fenced() ? "fenced" : "unfenced (active)");
    if (options_.on_fencing_change) options_.on_fencing_change();
  }
  return true;
}

bool BrokerLifecycle::ControlledShutdown(std::chrono::milliseconds timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;  // no more regular heartbeats
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (broker_epoch_.load() < 0) return true;  // never registered: nothing to hand over
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  KEEL_LOG_INFO("controlled shutdown: asking the controller to move leaderships away");
  while (std::chrono::steady_clock::now() < deadline) {
    controller::BrokerHeartbeatResponse response;
    if (!Heartbeat(true, &response)) return false;  // registration gone: nothing to wait for
    if (response.error() == keel::NONE && response.should_shut_down()) {
      KEEL_LOG_INFO("controlled shutdown: released by the controller");
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  KEEL_LOG_WARN("controlled shutdown: not released within {} ms; stopping anyway",
                timeout.count());
  return false;
}

}  // namespace keel::broker

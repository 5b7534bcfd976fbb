// BrokerLifecycle: registration, heartbeats and controlled shutdown against the controller
// quorum (KIP-631's broker lifecycle).
//
// - Start: registers with a fresh incarnation id, retrying (and following leader redirects)
//   until a controller leader accepts; DUPLICATE_BROKER_REGISTRATION means an older session
//   of this id is still alive, so it retries until that session expires.
// - Heartbeats every heartbeat_interval_ms carry the metadata offset the broker has applied;
//   the controller unfences the broker once that reaches its registration offset (its epoch).
//   STALE_BROKER_EPOCH (the controller forgot or replaced the registration) re-registers.
// - Active() is the broker's own guard against acting as a leader it may no longer be: true
//   only while the last heartbeat answer said unfenced and came less than a session timeout
//   ago, so a broker cut off from the quorum stops serving as leader about when the
//   controller fences it.
// - ControlledShutdown: heartbeats with want_shutdown until the controller answers
//   should_shut_down (its leaderships have moved) or the timeout passes.
//
// Thread safety: all public methods are thread-safe.
#ifndef KEEL_BROKER_BROKER_LIFECYCLE_H_
#define KEEL_BROKER_BROKER_LIFECYCLE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "client/admin_client.h"
#include "proto/controller.grpc.pb.h"

namespace keel::broker {

struct LifecycleOptions {
  int32_t broker_id = -1;
  std::string cluster_id;
  std::string incarnation_id;
  std::vector<metadata::Endpoint> endpoints;
  std::string rack;
  // The broker's one long-lived client of the controllers (remembers the leader).
  std::shared_ptr<client::AdminClient> controllers;
  int64_t heartbeat_interval_ms = 2000;
  int64_t session_timeout_ms = 9000;
  int64_t request_timeout_ms = 2000;  // per controller call, redirects included
  // Called (on the heartbeat thread) after a heartbeat answer fences or unfences the broker.
  std::function<void()> on_fencing_change;
};

class BrokerLifecycle {
 public:
  // `applied_offset` reports how far the broker has applied the metadata log.
  BrokerLifecycle(LifecycleOptions options, std::function<int64_t()> applied_offset);
  ~BrokerLifecycle();

  void Start();
  // Waits for the first successful registration; false on timeout or Stop.
  bool WaitRegistered(std::chrono::milliseconds timeout);
  // Heartbeats with want_shutdown until should_shut_down or `timeout`. Stops the regular
  // heartbeats first. True if the controller released the broker.
  bool ControlledShutdown(std::chrono::milliseconds timeout);
  void Stop();

  int64_t broker_epoch() const { return broker_epoch_.load(); }
  bool Active() const;
  bool fenced() const { return fenced_.load(); }
  // A fatal answer (INCONSISTENT_CLUSTER_ID): the broker must not run.
  absl::Status fatal_error() const;

 private:
  void Run();
  bool Register();
  // One heartbeat; returns false when the broker must register again.
  bool Heartbeat(bool want_shutdown, controller::BrokerHeartbeatResponse* response);
  int64_t NowMs() const;

  const LifecycleOptions options_;
  const std::function<int64_t()> applied_offset_;
  std::atomic<int64_t> broker_epoch_{-1};
  std::atomic<bool> fenced_{true};
  std::atomic<int64_t> last_unfenced_answer_ms_{-1};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;          // guarded by mu_
  bool registered_ = false;    // guarded by mu_
  absl::Status fatal_;         // guarded by mu_
  std::mutex call_mu_;         // one controller call at a time (heartbeat vs shutdown)
  std::thread thread_;
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_BROKER_LIFECYCLE_H_

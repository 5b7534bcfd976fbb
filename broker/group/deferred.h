// Deferred<T>: a coordinator answer given later (JoinGroup, a follower's SyncGroup): the
// coordinator's callback sets it, the request's thread waits for it. Shared by the Kafka
// handlers (waiting on a connection's thread) and the gRPC GroupService (on a handler thread).
//
// Thread safety: Set and Wait may run on different threads; the value is set once.
#ifndef KEEL_BROKER_GROUP_DEFERRED_H_
#define KEEL_BROKER_GROUP_DEFERRED_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace keel::broker::group {

template <class T>
class Deferred {
 public:
  void Set(const T& value) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      value_ = value;
    }
    cv_.notify_all();
  }

  // Waits until set; nullopt if `abandoned()` (polled every 100 ms: the connection closed,
  // the caller cancelled) or `bound_ms` (when >= 0) passed first. The coordinator still
  // completes the request; nobody reads the answer, as when a Kafka client goes away.
  std::optional<T> Wait(const std::function<bool()>& abandoned, int64_t bound_ms = -1) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
    std::unique_lock<std::mutex> lock(mu_);
    while (!value_.has_value()) {
      if (abandoned && abandoned()) break;
      if (bound_ms >= 0 && std::chrono::steady_clock::now() >= deadline) break;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    return value_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;  // guarded by mu_
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_DEFERRED_H_

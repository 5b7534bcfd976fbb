// AppendNotifier: wakes long-polling fetches and acks=all produces when any partition on this
// broker changes (an append, a high watermark advance, a leadership change).
//
// One broker-wide generation counter rather than one per partition: a fetch usually spans
// many partitions, spurious wake-ups only cost a re-check, and waiters take the generation
// before they look, so a change between the look and the wait is never missed.
//
// Thread safety: all methods are thread-safe.
#ifndef KEEL_BROKER_APPEND_NOTIFIER_H_
#define KEEL_BROKER_APPEND_NOTIFIER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace keel::broker {

class AppendNotifier {
 public:
  uint64_t generation() const {
    std::lock_guard<std::mutex> lock(mu_);
    return generation_;
  }

  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++generation_;
    }
    cv_.notify_all();
  }

  // Waits until the generation differs from `seen` or `deadline` passes; true if it moved.
  bool WaitChange(uint64_t seen, std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return generation_ != seen; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t generation_ = 0;  // guarded by mu_
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_APPEND_NOTIFIER_H_

// GroupTicker: the broker's driver of GroupCoordinator::Tick, one thread that wakes at the
// coordinator's next deadline (at most every max_sleep_ms, so that a deadline created by a
// request meanwhile is never later than that) until Stop().
//
// Thread safety: Stop may be called from any thread, once or more; the destructor stops.
#ifndef KEEL_BROKER_GROUP_GROUP_TICKER_H_
#define KEEL_BROKER_GROUP_GROUP_TICKER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "broker/group/group_coordinator.h"

namespace keel::broker::group {

class GroupTicker {
 public:
  // `coordinator` outlives the ticker; `monotonic_ms` is the coordinator's clock.
  GroupTicker(GroupCoordinator* coordinator, std::function<int64_t()> monotonic_ms,
              int64_t max_sleep_ms = 50);
  ~GroupTicker();
  GroupTicker(const GroupTicker&) = delete;
  GroupTicker& operator=(const GroupTicker&) = delete;

  void Stop();

 private:
  void Loop();

  GroupCoordinator* const coordinator_;
  const std::function<int64_t()> monotonic_ms_;
  const int64_t max_sleep_ms_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_GROUP_TICKER_H_

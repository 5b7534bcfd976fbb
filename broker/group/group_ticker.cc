#include "broker/group/group_ticker.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace keel::broker::group {

GroupTicker::GroupTicker(GroupCoordinator* coordinator, std::function<int64_t()> monotonic_ms,
                         int64_t max_sleep_ms)
    : coordinator_(coordinator),
      monotonic_ms_(std::move(monotonic_ms)),
      max_sleep_ms_(max_sleep_ms),
      thread_([this] { Loop(); }) {}

GroupTicker::~GroupTicker() { Stop(); }

void GroupTicker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void GroupTicker::Loop() {
  while (true) {
    coordinator_->Tick();
    const int64_t wait_ms = std::clamp<int64_t>(
        coordinator_->NextDeadlineMs() - monotonic_ms_(), 1, max_sleep_ms_);
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_; })) {
      return;
    }
  }
}

}  // namespace keel::broker::group

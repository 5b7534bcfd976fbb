// GroupRuntime: what a broker runs for its group coordinator: the offset store, the
// coordinator on the steady clock, and the ticker thread that drives its timers. The broker
// owns one, shared by its gRPC GroupService and its Kafka listener, and stops it after both
// servers (no request is in flight then); a Kafka listener started without one (tests)
// builds its own.
#ifndef KEEL_BROKER_GROUP_GROUP_RUNTIME_H_
#define KEEL_BROKER_GROUP_GROUP_RUNTIME_H_

#include <chrono>
#include <cstdint>
#include <memory>

#include "broker/group/group_coordinator.h"
#include "broker/group/group_ticker.h"
#include "broker/group/offset_store.h"

namespace keel::broker::group {

class GroupRuntime {
 public:
  // `store` (outliving this) makes offsets durable; null keeps them in memory only.
  GroupRuntime(GroupConfig config, OffsetStore* store)
      : coordinator_(config, &SteadyMs, store != nullptr ? store : &memory_),
        ticker_(&coordinator_, &SteadyMs) {}

  GroupCoordinator* coordinator() { return &coordinator_; }
  void Stop() { ticker_.Stop(); }

 private:
  static int64_t SteadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  MemOffsetStore memory_;  // used when no store is given (tests, a broker without a log)
  GroupCoordinator coordinator_;
  GroupTicker ticker_;  // last: its thread starts after the coordinator exists
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_GROUP_RUNTIME_H_

#include "controller/logic/broker_heartbeat_tracker.h"

#include <algorithm>

namespace keel::controller {

void BrokerHeartbeatTracker::Touch(int32_t broker_id, int64_t now_ms) {
  auto [it, inserted] = last_contact_ms_.emplace(broker_id, now_ms);
  if (!inserted) it->second = std::max(it->second, now_ms);
}

bool BrokerHeartbeatTracker::IsAlive(int32_t broker_id, int64_t now_ms) const {
  auto it = last_contact_ms_.find(broker_id);
  return it != last_contact_ms_.end() && now_ms - it->second < session_timeout_ms_;
}

std::vector<int32_t> BrokerHeartbeatTracker::ExpiredBrokers(int64_t now_ms) const {
  std::vector<int32_t> expired;
  for (const auto& [id, last_ms] : last_contact_ms_) {
    if (now_ms - last_ms >= session_timeout_ms_) expired.push_back(id);
  }
  return expired;
}

}  // namespace keel::controller

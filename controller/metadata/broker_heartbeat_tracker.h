// BrokerHeartbeatTracker: leader-local broker sessions (not replicated, as in KRaft: a new
// leader starts every registered broker with a fresh session).
#ifndef KEEL_CONTROLLER_METADATA_BROKER_HEARTBEAT_TRACKER_H_
#define KEEL_CONTROLLER_METADATA_BROKER_HEARTBEAT_TRACKER_H_

#include <cstdint>
#include <map>
#include <vector>

namespace keel::controller {

class BrokerHeartbeatTracker {
 public:
  explicit BrokerHeartbeatTracker(int64_t session_timeout_ms = 9000)
      : session_timeout_ms_(session_timeout_ms) {}
  void Touch(int32_t broker_id, int64_t now_ms) { last_ms_[broker_id] = now_ms; }
  bool IsAlive(int32_t broker_id, int64_t now_ms) const {
    auto it = last_ms_.find(broker_id);
    return it != last_ms_.end() && now_ms - it->second < session_timeout_ms_;
  }
  void Reset() { last_ms_.clear(); }
  int64_t session_timeout_ms() const { return session_timeout_ms_; }

 private:
  int64_t session_timeout_ms_;
  std::map<int32_t, int64_t> last_ms_;
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_METADATA_BROKER_HEARTBEAT_TRACKER_H_

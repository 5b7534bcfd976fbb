// BrokerHeartbeatTracker: the active controller's broker sessions.
//
// Sessions are leader-local and never replicated (as in KRaft): a controller that becomes
// leader gives every registered broker a fresh session rather than fencing it for a silence
// it did not observe. A broker is alive while its last contact is less than
// session_timeout_ms old. Time is passed in (now_ms, any monotonic millisecond clock).
//
// Thread safety: none; the controller touches it only from its write path.
#ifndef KEEL_CONTROLLER_LOGIC_BROKER_HEARTBEAT_TRACKER_H_
#define KEEL_CONTROLLER_LOGIC_BROKER_HEARTBEAT_TRACKER_H_

#include <cstdint>
#include <map>
#include <vector>

namespace keel::controller {

class BrokerHeartbeatTracker {
 public:
  static constexpr int64_t kDefaultSessionTimeoutMs = 9000;

  explicit BrokerHeartbeatTracker(int64_t session_timeout_ms = kDefaultSessionTimeoutMs)
      : session_timeout_ms_(session_timeout_ms) {}

  // Records contact from `broker_id` at now_ms. Contact never moves a session backwards.
  void Touch(int32_t broker_id, int64_t now_ms);
  // Whether `broker_id` has a session that has not lapsed at now_ms.
  bool IsAlive(int32_t broker_id, int64_t now_ms) const;
  // Brokers with a session that has lapsed at now_ms, in ascending id order.
  std::vector<int32_t> ExpiredBrokers(int64_t now_ms) const;
  // Drops the session of one broker (e.g. unregistered) or of all (leadership lost).
  void Forget(int32_t broker_id) { last_contact_ms_.erase(broker_id); }
  void Reset() { last_contact_ms_.clear(); }

  int64_t session_timeout_ms() const { return session_timeout_ms_; }

 private:
  int64_t session_timeout_ms_;
  std::map<int32_t, int64_t> last_contact_ms_;
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_LOGIC_BROKER_HEARTBEAT_TRACKER_H_

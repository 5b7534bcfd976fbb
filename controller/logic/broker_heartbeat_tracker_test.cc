#include "controller/logic/broker_heartbeat_tracker.h"

#include <gtest/gtest.h>

namespace keel::controller {
namespace {

TEST(BrokerHeartbeatTracker, SessionLapsesAfterTheTimeout) {
  BrokerHeartbeatTracker tracker(9000);
  EXPECT_FALSE(tracker.IsAlive(1, 0));  // never heard from
  tracker.Touch(1, 1000);
  EXPECT_TRUE(tracker.IsAlive(1, 1000));
  EXPECT_TRUE(tracker.IsAlive(1, 9999));
  EXPECT_FALSE(tracker.IsAlive(1, 10000));
  tracker.Touch(1, 9000);  // a heartbeat renews the session
  EXPECT_TRUE(tracker.IsAlive(1, 17999));
}

TEST(BrokerHeartbeatTracker, ExpiredBrokersInIdOrderAndTouchNeverGoesBack) {
  BrokerHeartbeatTracker tracker(100);
  tracker.Touch(3, 0);
  tracker.Touch(1, 50);
  tracker.Touch(2, 200);
  tracker.Touch(2, 10);  // a stale, reordered contact does not shorten the session
  EXPECT_EQ(tracker.ExpiredBrokers(99), std::vector<int32_t>{});
  EXPECT_EQ(tracker.ExpiredBrokers(150), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(tracker.ExpiredBrokers(300), (std::vector<int32_t>{1, 2, 3}));
  tracker.Forget(1);
  EXPECT_EQ(tracker.ExpiredBrokers(300), (std::vector<int32_t>{2, 3}));
  tracker.Reset();
  EXPECT_TRUE(tracker.ExpiredBrokers(300).empty());
  EXPECT_EQ(BrokerHeartbeatTracker().session_timeout_ms(), 9000);
}

}  // namespace
}  // namespace keel::controller

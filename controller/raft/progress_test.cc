// Progress: how the leader paces one follower (probe one append at a time, stream within an
// in-flight window, or wait for a snapshot) and ignores stale acknowledgements.
#include "controller/raft/progress.h"

#include <gtest/gtest.h>

namespace keel::raft {
namespace {

TEST(Progress, ProbeSendsOneAppendAtATime) {
  Progress pr;
  pr.next = 5;
  EXPECT_FALSE(pr.IsPaused(4));
  pr.probe_sent = true;
  EXPECT_TRUE(pr.IsPaused(4));
  EXPECT_TRUE(pr.MaybeUpdate(4));  // an acknowledgement unpauses it
  EXPECT_FALSE(pr.IsPaused(4));
  EXPECT_EQ(pr.match, 4u);
}

TEST(Progress, ReplicateIsBoundedByTheInflightWindow) {
  Progress pr;
  pr.match = 3;
  pr.BecomeReplicate();
  EXPECT_EQ(pr.next, 4u);
  pr.inflight = {4, 6, 9};
  EXPECT_TRUE(pr.IsPaused(3));
  EXPECT_FALSE(pr.IsPaused(4));
  pr.FreeUpTo(6);  // one acknowledgement frees every append it covers
  ASSERT_EQ(pr.inflight.size(), 1u);
  EXPECT_EQ(pr.inflight.front(), 9u);
}

TEST(Progress, StaleRejectionsAreIgnored) {
  Progress pr;
  pr.match = 5;
  pr.BecomeReplicate();
  pr.next = 9;
  EXPECT_FALSE(pr.MaybeDecrTo(5, 2)) << "at or below match: an old rejection";
  EXPECT_TRUE(pr.MaybeDecrTo(7, 2));
  EXPECT_EQ(pr.next, 6u);  // back to just after what is known to match

  Progress probe;
  probe.next = 10;
  EXPECT_FALSE(probe.MaybeDecrTo(4, 1)) << "not the append we sent last";
  EXPECT_TRUE(probe.MaybeDecrTo(9, 3));
  EXPECT_EQ(probe.next, 4u);  // jumps to the hint, not one step back
}

TEST(Progress, StaleAcknowledgementsDoNotMoveMatchBack) {
  Progress pr;
  EXPECT_TRUE(pr.MaybeUpdate(7));
  EXPECT_FALSE(pr.MaybeUpdate(3));
  EXPECT_EQ(pr.match, 7u);
  EXPECT_EQ(pr.next, 8u);
}

TEST(Progress, SnapshotStatePausesAppendsAndResumesAfterIt) {
  Progress pr;
  pr.match = 2;
  pr.BecomeSnapshot(50);
  EXPECT_TRUE(pr.IsPaused(100));
  pr.BecomeProbe();
  EXPECT_EQ(pr.next, 51u) << "resume after the snapshot it was sent";
}

}  // namespace
}  // namespace keel::raft

#include "client/admin_client.h"

#include <gtest/gtest.h>

#include "client/testing/fake_cluster.h"

namespace keel::client {
namespace {

using std::chrono::milliseconds;
using testing::FakeController;

keel::NodeAddress Node(int id, const std::string& address) {
  keel::NodeAddress n;
  n.set_node_id(id);
  n.set_address(address);
  return n;
}

TEST(AdminClientTest, FollowsTheLeaderNamedInTrailingMetadataAndRemembersIt) {
  FakeController follower, leader;
  follower.SetRefusal("NOT_CONTROLLER: this controller is not the leader; the leader is node 2",
                      Node(2, leader.address()));
  AdminClientOptions options;
  options.controllers = {follower.address(), leader.address()};
  AdminClient admin(options);
  ASSERT_TRUE(admin.CreateTopic("t", 1, 1).ok());
  EXPECT_EQ(follower.create_topics_calls(), 1);
  EXPECT_EQ(leader.create_topics_calls(), 1);
  EXPECT_EQ(admin.LeaderAddress(), leader.address());
  // The next write goes straight to the leader.
  ASSERT_TRUE(admin.CreateTopic("u", 1, 1).ok());
  EXPECT_EQ(follower.create_topics_calls(), 1);
  EXPECT_EQ(leader.create_topics_calls(), 2);
}

TEST(AdminClientTest, FollowsALeaderAddressNotInTheBootstrapList) {
  FakeController follower, leader;
  follower.SetRefusal("NOT_CONTROLLER: this controller is not the leader",
                      Node(2, leader.address()));
  AdminClientOptions options;
  options.controllers = {follower.address()};
  AdminClient admin(options);
  EXPECT_TRUE(admin.CreateTopic("t", 1, 1).ok());
  EXPECT_EQ(leader.create_topics_calls(), 1);
}

TEST(AdminClientTest, DoesNotRetryAWriteThatMayHaveBeenApplied) {
  FakeController a, b;
  a.SetCreateTopicsStatus(grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      "NOT_CONTROLLER: leadership changed before the write committed; it may or may not have "
      "been applied"));
  AdminClientOptions options;
  options.controllers = {a.address(), b.address()};
  AdminClient admin(options);
  absl::Status s = admin.CreateTopic("t", 1, 1);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_EQ(a.create_topics_calls(), 1);
  EXPECT_EQ(b.create_topics_calls(), 0);
}

TEST(AdminClientTest, DoesNotRetryAWriteThatTimedOut) {
  FakeController a, b;
  a.SetCreateTopicsStatus(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                       "REQUEST_TIMED_OUT: the write did not commit"));
  AdminClientOptions options;
  options.controllers = {a.address(), b.address()};
  AdminClient admin(options);
  EXPECT_TRUE(absl::IsDeadlineExceeded(admin.CreateTopic("t", 1, 1)));
  EXPECT_EQ(a.create_topics_calls() + b.create_topics_calls(), 1);
}

TEST(AdminClientTest, RetriesAWriteRefusedBeforeItReachedALeader) {
  FakeController a, b;
  // No leader known anywhere yet: a refuses; b (tried next) answers.
  a.SetRefusal("NOT_CONTROLLER: no controller leader is known; retry");
  AdminClientOptions options;
  options.controllers = {a.address(), b.address()};
  AdminClient admin(options);
  EXPECT_TRUE(admin.CreateTopic("t", 1, 1).ok());
  EXPECT_EQ(b.create_topics_calls(), 1);
}

TEST(AdminClientTest, RetriesAWriteWhenTheConnectionIsRefused) {
  FakeController live;
  AdminClientOptions options;
  options.controllers = {"127.0.0.1:1", live.address()};  // nothing listens on port 1
  AdminClient admin(options);
  EXPECT_TRUE(admin.CreateTopic("t", 1, 1).ok());
  EXPECT_EQ(live.create_topics_calls(), 1);
}

TEST(AdminClientTest, ReadsRetryUntilTheOverallTimeout) {
  FakeController a;
  a.SetRefusal("NOT_CONTROLLER: no controller leader is known; retry");
  AdminClientOptions options;
  options.controllers = {a.address()};
  options.retry_backoff_ms = 50;
  AdminClient admin(options);
  const auto start = std::chrono::steady_clock::now();
  auto r = admin.DescribeTopics({"t"}, milliseconds(600));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_GE(a.describe_topics_calls(), 3);
  EXPECT_GE(elapsed, milliseconds(500));
  EXPECT_LT(elapsed, milliseconds(3000));
  // Once the controller answers, the read succeeds.
  a.SetRefusal(std::nullopt);
  a.SetTopic("t", {1});
  auto ok = admin.DescribeTopics({"t"}, milliseconds(2000));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->topics(0).partitions_size(), 1);
}

TEST(AdminClientTest, NoControllersIsAClearError) {
  AdminClient admin(AdminClientOptions{});
  auto r = admin.DescribeCluster();
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_NE(r.status().message().find("no controllers"), std::string::npos);
}

}  // namespace
}  // namespace keel::client

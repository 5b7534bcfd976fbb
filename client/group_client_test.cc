// GroupClient's routing and retries against in-process fake GroupServices on 127.0.0.1:
// the coordinator is found through a bootstrap broker and cached; COORDINATOR_LOAD_IN_PROGRESS
// asks the same broker again; NOT_COORDINATOR finds the (moved) coordinator again; an
// unreachable bootstrap broker is skipped; the deadline ends the retries with the last answer.
#include "client/group_client.h"

#include <atomic>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

namespace keel::client {
namespace {

namespace pb = keel::group;

// Names `coordinator` for every group; answers heartbeats from `script` (then NONE).
class FakeGroupService final : public pb::GroupService::Service {
 public:
  grpc::Status FindCoordinator(grpc::ServerContext*, const pb::FindCoordinatorRequest*,
                               pb::FindCoordinatorResponse* response) override {
    ++finds;
    const std::string to = *coordinator.load();
    if (to.empty()) {
      response->set_error(keel::COORDINATOR_NOT_AVAILABLE);
    } else {
      response->mutable_coordinator()->set_address(to);
    }
    return grpc::Status::OK;
  }
  grpc::Status Heartbeat(grpc::ServerContext*, const pb::HeartbeatRequest*,
                         pb::HeartbeatResponse* response) override {
    const int n = heartbeats++;
    response->set_error(n < static_cast<int>(script.size()) ? script[n] : keel::NONE);
    return grpc::Status::OK;
  }

  std::atomic<const std::string*> coordinator{&kNone};
  std::vector<keel::ErrorCode> script;
  std::atomic<int> finds{0};
  std::atomic<int> heartbeats{0};
  static inline const std::string kNone;
};

struct Server {
  Server() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    address = "127.0.0.1:" + std::to_string(port);
  }
  ~Server() { server->Shutdown(std::chrono::system_clock::now()); }
  FakeGroupService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::string address;
};

pb::HeartbeatRequest Beat() {
  pb::HeartbeatRequest hb;
  hb.set_group_id("g");
  hb.set_member_id("m");
  return hb;
}

GroupClientOptions Options(std::vector<std::string> bootstrap) {
  GroupClientOptions o;
  o.bootstrap_brokers = std::move(bootstrap);
  o.request_timeout_ms = 3000;
  o.retry_backoff_ms = 5;
  o.retry_backoff_max_ms = 20;
  return o;
}

TEST(GroupClientTest, FindsAndCachesTheCoordinatorAndRetriesALoadOnTheSameBroker) {
  Server bootstrap, coordinator;
  bootstrap.service.coordinator = &coordinator.address;
  coordinator.service.script = {keel::COORDINATOR_LOAD_IN_PROGRESS,
                                keel::COORDINATOR_LOAD_IN_PROGRESS};
  // The first bootstrap broker is down: the next one is asked.
  GroupClient client(Options({"127.0.0.1:1", bootstrap.address}));
  auto beat = client.Heartbeat(Beat());
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_EQ(beat->error(), keel::NONE);
  EXPECT_EQ(coordinator.service.heartbeats, 3);
  EXPECT_EQ(bootstrap.service.finds, 1) << "a load does not move the coordinator";
  EXPECT_EQ(client.CachedCoordinator("g"), coordinator.address);
  ASSERT_TRUE(client.Heartbeat(Beat()).ok());
  EXPECT_EQ(bootstrap.service.finds, 1) << "cached";
}

TEST(GroupClientTest, NotCoordinatorFindsTheNewCoordinator) {
  Server bootstrap, old_coordinator, new_coordinator;
  bootstrap.service.coordinator = &old_coordinator.address;
  old_coordinator.service.script = {keel::NONE, keel::NOT_COORDINATOR};
  GroupClient client(Options({bootstrap.address}));
  ASSERT_EQ(client.Heartbeat(Beat())->error(), keel::NONE);
  bootstrap.service.coordinator = &new_coordinator.address;  // the group moved
  auto beat = client.Heartbeat(Beat());
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_EQ(beat->error(), keel::NONE);
  EXPECT_EQ(new_coordinator.service.heartbeats, 1);
  EXPECT_EQ(bootstrap.service.finds, 2);
  EXPECT_EQ(client.CachedCoordinator("g"), new_coordinator.address);
}

TEST(GroupClientTest, TheDeadlineEndsRetriesWithTheLastAnswer) {
  Server bootstrap;  // never knows a coordinator
  GroupClient client(Options({bootstrap.address}));
  auto found = client.FindCoordinator("g", std::chrono::milliseconds(200));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->error(), keel::COORDINATOR_NOT_AVAILABLE);
  EXPECT_GT(bootstrap.service.finds, 1) << "asked again after the backoff";
  auto beat = client.Heartbeat(Beat(), std::chrono::milliseconds(200));
  EXPECT_FALSE(beat.ok());
  pb::HeartbeatRequest no_group;
  EXPECT_TRUE(absl::IsInvalidArgument(client.Heartbeat(no_group).status()));
  GroupClient nobody(Options({}));
  EXPECT_TRUE(absl::IsInvalidArgument(nobody.FindCoordinator("g").status()));
}

}  // namespace
}  // namespace keel::client

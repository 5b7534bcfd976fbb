// GroupService over gRPC as a client reaches it: an in-process image of 3 brokers (this is
// broker 1, serving GroupService on a real 127.0.0.1 port), real partition logs, the
// coordinator with its ticker and its offsets in __consumer_offsets, and the router creating
// that topic in the image as the controller would. Driven through client::GroupClient.
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "broker/append_notifier.h"
#include "broker/data_plane.h"
#include "broker/group/coordinator_router.h"
#include "broker/group/group_runtime.h"
#include "broker/group_service.h"
#include "broker/kafka/group_offset_log.h"
#include "broker/partition_manager.h"
#include "client/group_client.h"
#include "controller/logic/controller_logic.h"
#include "controller/logic/test_cluster.h"

namespace keel::broker {
namespace {

namespace fs = std::filesystem;
namespace pb = keel::group;
using controller::ControllerLogic;
using controller::testing::TestCluster;

constexpr int32_t kOffsetsPartitions = 6;

class GroupServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* root = std::getenv("TEST_TMPDIR");
    root_ = std::string(root ? root : "/tmp") + "/gs-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    auto state = storage::StateStore::Open(root_ + "/state");
    ASSERT_TRUE(state.ok());
    state_ = std::move(*state);
    PartitionManagerOptions o;
    o.broker_id = 1;
    o.data_dirs = {root_ + "/data"};
    auto m = PartitionManager::Open(o, state_.get());
    ASSERT_TRUE(m.ok());
    manager_ = std::move(*m);
    DataPlaneOptions dp;
    dp.broker_id = 1;
    read_ = [this](const std::function<void(const metadata::MetadataImage&)>& fn) {
      std::lock_guard<std::mutex> lock(image_mu_);
      fn(cluster_.image);
    };
    plane_ = std::make_unique<DataPlane>(dp, manager_.get(), read_, [] { return true; },
                                         &notifier_);
    config_.initial_rebalance_delay_ms = 50;
    config_.offsets_topic_num_partitions = kOffsetsPartitions;
    config_.offsets_topic_replication_factor = 1;  // no followers here to ack acks=all
    log_ = std::make_unique<kafka::GroupOffsetLog>(plane_.get(), read_);
    runtime_ = std::make_unique<group::GroupRuntime>(config_, log_.get());
    router_ = std::make_unique<group::CoordinatorRouter>(
        1, config_, read_,
        [this](const controller::CreateTopicsRequest& request)
            -> absl::StatusOr<controller::CreateTopicsResponse> {
          ++creates_;
          controller::CreateTopicsResponse response;
          std::lock_guard<std::mutex> lock(image_mu_);
          auto out = ControllerLogic::CreateTopics(cluster_.image, request, ++random_);
          for (auto& r : out.results) *response.add_results() = r;
          if (out.records.records_size() > 0) {
            cluster_.Commit(out.records);
            EXPECT_TRUE(manager_->Reconcile(cluster_.image, nullptr, 0).ok());
          }
          return response;
        },
        [this](int32_t partition, int32_t count, int32_t epoch) {
          return log_->EnsureLoaded(partition, count, epoch, runtime_->coordinator());
        });
    service_ = std::make_unique<GroupServiceImpl>(runtime_->coordinator(), router_.get());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    // Brokers 2 and 3 are only names in the image (their ports are never dialled).
    for (int id = 1; id <= 3; ++id) Register(id, id == 1 ? port_ : 9500 + id);
    client::GroupClientOptions co;
    co.bootstrap_brokers = {absl::StrCat("127.0.0.1:", port_)};
    co.request_timeout_ms = 5000;
    client_ = std::make_unique<client::GroupClient>(co);
  }

  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    runtime_->Stop();
  }

  void Register(int32_t id, int port) {
    controller::RegisterBrokerRequest req;
    req.set_broker_id(id);
    req.set_incarnation_id("inc-" + std::to_string(id));
    auto* data = req.add_endpoints();
    data->set_name(kGrpcEndpointName);
    data->set_host("127.0.0.1");
    data->set_port(port);
    std::lock_guard<std::mutex> lock(image_mu_);
    auto reg = ControllerLogic::RegisterBroker(cluster_.image, cluster_.heartbeats, req,
                                               cluster_.now_ms);
    ASSERT_TRUE(reg.ok());
    cluster_.Commit(reg->records);
    cluster_.Commit(cluster_.Heartbeat(id).records);
  }

  int32_t LeaderFor(const std::string& group_id) {
    std::lock_guard<std::mutex> lock(image_mu_);
    const auto& partitions = cluster_.Topic(group::kOffsetsTopic).partitions;
    return partitions.at(group::OffsetsPartitionFor(group_id, kOffsetsPartitions)).leader;
  }

  std::string GroupLedBy(int32_t broker, const std::string& prefix = "group-") {
    for (int i = 0; i < 1000; ++i) {
      const std::string id = prefix + std::to_string(i);
      if (LeaderFor(id) == broker) return id;
    }
    ADD_FAILURE() << "no group id lands on broker " << broker;
    return "";
  }

  pb::JoinGroupRequest JoinRequest(const std::string& group_id, const std::string& member_id,
                                   const std::string& metadata) {
    pb::JoinGroupRequest join;
    join.set_group_id(group_id);
    join.set_member_id(member_id);
    join.set_client_id("grpc-client");
    join.set_session_timeout_ms(10000);
    join.set_rebalance_timeout_ms(5000);
    join.set_protocol_type("consumer");
    auto* p = join.add_protocols();
    p->set_name("range");
    p->set_metadata(metadata);
    return join;
  }

  // The id the coordinator hands a new member (MEMBER_ID_REQUIRED, KIP-394).
  std::string NewMemberId(const std::string& group_id) {
    auto asked = client_->JoinGroup(JoinRequest(group_id, "", "m"));
    EXPECT_TRUE(asked.ok()) << asked.status();
    EXPECT_EQ(asked->error(), keel::MEMBER_ID_REQUIRED);
    return asked->member_id();
  }

  std::string root_;
  TestCluster cluster_{0};
  std::mutex image_mu_;  // the router's creation and the readers share the test image
  DataPlane::ReadImage read_;
  std::unique_ptr<storage::StateStore> state_;
  std::unique_ptr<PartitionManager> manager_;
  AppendNotifier notifier_;
  std::unique_ptr<DataPlane> plane_;
  group::GroupConfig config_;
  std::unique_ptr<kafka::GroupOffsetLog> log_;
  std::unique_ptr<group::GroupRuntime> runtime_;
  std::unique_ptr<group::CoordinatorRouter> router_;
  std::unique_ptr<GroupServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int creates_ = 0;
  uint64_t random_ = 11;
  std::unique_ptr<client::GroupClient> client_;
};

TEST_F(GroupServiceTest, FindCoordinatorCreatesTheTopicAndAnswersTheLeadersGrpcAddress) {
  auto found = client_->FindCoordinator("my-group");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->error(), keel::NONE) << found->error_message();
  EXPECT_EQ(creates_, 1);
  const int32_t leader = LeaderFor("my-group");
  EXPECT_EQ(found->coordinator().node_id(), leader);
  EXPECT_EQ(found->coordinator().address(),
            absl::StrCat("127.0.0.1:", leader == 1 ? port_ : 9500 + leader));
  EXPECT_EQ(client_->CachedCoordinator("my-group"), found->coordinator().address());
  ASSERT_TRUE(client_->FindCoordinator("other").ok());
  EXPECT_EQ(creates_, 1) << "created once";
}

TEST_F(GroupServiceTest, TheWrongBrokerAnswersNotCoordinator) {
  ASSERT_TRUE(client_->FindCoordinator("x").ok());
  const std::string elsewhere = GroupLedBy(2);
  // Straight to broker 1's stub, as a client with a stale coordinator would.
  auto stub = pb::GroupService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  grpc::ClientContext c1;
  pb::JoinGroupResponse joined;
  ASSERT_TRUE(stub->JoinGroup(&c1, JoinRequest(elsewhere, "", "m"), &joined).ok());
  EXPECT_EQ(joined.error(), keel::NOT_COORDINATOR);
  pb::OffsetCommitRequest commit;
  commit.set_group_id(elsewhere);
  commit.set_generation_id(-1);
  auto* t = commit.add_topics();
  t->set_topic("t");
  t->add_partitions()->set_offset(5);
  grpc::ClientContext c2;
  pb::OffsetCommitResponse committed;
  ASSERT_TRUE(stub->OffsetCommit(&c2, commit, &committed).ok());
  EXPECT_EQ(committed.error(), keel::NOT_COORDINATOR);
  EXPECT_EQ(committed.topics(0).partitions(0).error(), keel::NOT_COORDINATOR);
  grpc::ClientContext c3;
  pb::DescribeGroupsRequest describe;
  describe.add_group_ids(elsewhere);
  pb::DescribeGroupsResponse described;
  ASSERT_TRUE(stub->DescribeGroups(&c3, describe, &described).ok());
  EXPECT_EQ(described.groups(0).error(), keel::NOT_COORDINATOR);
  // The client re-finds on NOT_COORDINATOR; broker 2 is not there, so its call runs out of
  // time instead of succeeding on the wrong broker.
  auto via_client = client_->Heartbeat([&] {
    pb::HeartbeatRequest hb;
    hb.set_group_id(elsewhere);
    hb.set_member_id("m");
    return hb;
  }(), std::chrono::milliseconds(300));
  EXPECT_FALSE(via_client.ok() && via_client->error() == keel::NONE);
  grpc::ClientContext c4;
  pb::FindCoordinatorRequest empty;
  pb::FindCoordinatorResponse none;
  EXPECT_EQ(stub->FindCoordinator(&c4, empty, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GroupServiceTest, TwoMembersJoinSyncHeartbeatCommitDescribeListLeaveAndDelete) {
  ASSERT_TRUE(client_->FindCoordinator("x").ok());
  const std::string group_id = GroupLedBy(1);

  // Member a forms generation 1 alone.
  const std::string a = NewMemberId(group_id);
  auto a1 = client_->JoinGroup(JoinRequest(group_id, a, "meta-a"));
  ASSERT_TRUE(a1.ok()) << a1.status();
  ASSERT_EQ(a1->error(), keel::NONE) << a1->error_message();
  EXPECT_EQ(a1->generation_id(), 1);
  EXPECT_EQ(a1->leader_id(), a);
  pb::SyncGroupRequest sync_a;
  sync_a.set_group_id(group_id);
  sync_a.set_generation_id(1);
  sync_a.set_member_id(a);
  auto* as = sync_a.add_assignments();
  as->set_member_id(a);
  as->set_assignment("a-gen1");
  auto synced = client_->SyncGroup(sync_a);
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_EQ(synced->assignment(), "a-gen1");

  // Member b joins: its join waits (on the broker) until a rejoins, which a learns from
  // its heartbeat.
  const std::string b = NewMemberId(group_id);
  auto b_join = std::async(std::launch::async, [&] {
    return client_->JoinGroup(JoinRequest(group_id, b, "meta-b"));
  });
  pb::HeartbeatRequest hb;
  hb.set_group_id(group_id);
  hb.set_member_id(a);
  hb.set_generation_id(1);
  keel::ErrorCode seen = keel::NONE;
  for (int i = 0; i < 100 && seen != keel::REBALANCE_IN_PROGRESS; ++i) {
    auto beat = client_->Heartbeat(hb);
    ASSERT_TRUE(beat.ok()) << beat.status();
    seen = beat->error();
    if (seen != keel::REBALANCE_IN_PROGRESS) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(seen, keel::REBALANCE_IN_PROGRESS);
  auto a2 = client_->JoinGroup(JoinRequest(group_id, a, "meta-a"));
  auto b2 = b_join.get();
  ASSERT_TRUE(a2.ok()) << a2.status();
  ASSERT_TRUE(b2.ok()) << b2.status();
  ASSERT_EQ(a2->error(), keel::NONE) << a2->error_message();
  ASSERT_EQ(b2->error(), keel::NONE) << b2->error_message();
  EXPECT_EQ(a2->generation_id(), 2);
  EXPECT_EQ(b2->generation_id(), 2);
  EXPECT_EQ(a2->leader_id(), a) << "the oldest member stays leader";
  EXPECT_EQ(a2->members_size(), 2) << "the leader sees every member";
  EXPECT_EQ(b2->members_size(), 0);
  EXPECT_EQ(a2->protocol_name(), "range");

  // b's sync waits for the leader's.
  pb::SyncGroupRequest sync_b;
  sync_b.set_group_id(group_id);
  sync_b.set_generation_id(2);
  sync_b.set_member_id(b);
  auto b_sync = std::async(std::launch::async, [&] { return client_->SyncGroup(sync_b); });
  sync_a.set_generation_id(2);
  sync_a.clear_assignments();
  for (const auto& [member, bytes] : {std::pair{a, "to-a"}, std::pair{b, "to-b"}}) {
    auto* x = sync_a.add_assignments();
    x->set_member_id(member);
    x->set_assignment(bytes);
  }
  auto a_synced = client_->SyncGroup(sync_a);
  auto b_synced = b_sync.get();
  ASSERT_TRUE(a_synced.ok()) << a_synced.status();
  ASSERT_TRUE(b_synced.ok()) << b_synced.status();
  EXPECT_EQ(a_synced->assignment(), "to-a");
  EXPECT_EQ(b_synced->assignment(), "to-b");
  hb.set_generation_id(2);
  EXPECT_EQ(client_->Heartbeat(hb)->error(), keel::NONE);
  hb.set_generation_id(1);
  EXPECT_EQ(client_->Heartbeat(hb)->error(), keel::ILLEGAL_GENERATION);

  // Commit and fetch.
  pb::OffsetCommitRequest commit;
  commit.set_group_id(group_id);
  commit.set_generation_id(2);
  commit.set_member_id(b);
  auto* t = commit.add_topics();
  t->set_topic("orders");
  auto* p0 = t->add_partitions();
  p0->set_partition(0);
  p0->set_offset(42);
  p0->set_leader_epoch(3);
  p0->set_metadata("m0");
  auto* p1 = t->add_partitions();
  p1->set_partition(1);
  p1->set_offset(7);
  p1->set_leader_epoch(-1);
  auto committed = client_->OffsetCommit(commit);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(committed->error(), keel::NONE);
  for (const auto& r : committed->topics(0).partitions()) EXPECT_EQ(r.error(), keel::NONE);
  commit.set_generation_id(1);
  EXPECT_EQ(client_->OffsetCommit(commit)->topics(0).partitions(0).error(),
            keel::ILLEGAL_GENERATION);

  pb::OffsetFetchRequest fetch;
  fetch.set_group_id(group_id);
  auto* ft = fetch.add_topics();
  ft->set_topic("orders");
  ft->add_partitions(1);
  ft->add_partitions(0);
  ft->add_partitions(9);
  auto fetched = client_->OffsetFetch(fetch);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  ASSERT_EQ(fetched->offsets_size(), 3);
  EXPECT_EQ(fetched->offsets(0).offset(), 7);
  EXPECT_EQ(fetched->offsets(1).offset(), 42);
  EXPECT_EQ(fetched->offsets(1).leader_epoch(), 3);
  EXPECT_EQ(fetched->offsets(1).metadata(), "m0");
  EXPECT_EQ(fetched->offsets(2).offset(), -1) << "never committed";
  pb::OffsetFetchRequest all;
  all.set_group_id(group_id);
  EXPECT_EQ(client_->OffsetFetch(all)->offsets_size(), 2);

  // Describe and list.
  pb::DescribeGroupsRequest describe;
  describe.add_group_ids(group_id);
  describe.add_group_ids(GroupLedBy(1, "never-"));
  auto described = client_->DescribeGroups(describe);
  ASSERT_TRUE(described.ok()) << described.status();
  ASSERT_EQ(described->groups_size(), 2);
  const pb::GroupDescription& g = described->groups(0);
  EXPECT_EQ(g.state(), "Stable");
  EXPECT_EQ(g.protocol_type(), "consumer");
  EXPECT_EQ(g.protocol_name(), "range");
  EXPECT_EQ(g.generation_id(), 2);
  EXPECT_EQ(g.leader_id(), a);
  ASSERT_EQ(g.members_size(), 2);
  for (const auto& m : g.members()) {
    EXPECT_EQ(m.client_id(), "grpc-client");
    EXPECT_EQ(m.client_host(), "/127.0.0.1");
    EXPECT_EQ(m.assignment(), m.member_id() == a ? "to-a" : "to-b");
  }
  EXPECT_EQ(described->groups(1).state(), "Dead");
  auto listed = client_->ListGroups(absl::StrCat("127.0.0.1:", port_), {});
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->groups_size(), 1);
  EXPECT_EQ(listed->groups(0).group_id(), group_id);
  EXPECT_EQ(listed->groups(0).state(), "Stable");
  EXPECT_EQ(listed->groups(0).member_count(), 2);
  pb::ListGroupsRequest only_empty;
  only_empty.add_states("empty");
  EXPECT_EQ(client_->ListGroups(absl::StrCat("127.0.0.1:", port_), only_empty)->groups_size(), 0);

  // Delete refuses a group with members; after both leave it goes, offsets too.
  pb::DeleteGroupsRequest del;
  del.add_group_ids(group_id);
  EXPECT_EQ(client_->DeleteGroups(del)->results(0).error(), keel::NON_EMPTY_GROUP);
  pb::LeaveGroupRequest leave;
  leave.set_group_id(group_id);
  leave.add_members()->set_member_id(a);
  leave.add_members()->set_member_id(b);
  auto left = client_->LeaveGroup(leave);
  ASSERT_TRUE(left.ok()) << left.status();
  ASSERT_EQ(left->members_size(), 2);
  EXPECT_EQ(left->members(0).error(), keel::NONE);
  EXPECT_EQ(left->members(1).error(), keel::NONE);
  EXPECT_EQ(client_->DeleteGroups(del)->results(0).error(), keel::NONE);
  EXPECT_EQ(client_->DeleteGroups(del)->results(0).error(), keel::GROUP_ID_NOT_FOUND);
  EXPECT_EQ(client_->OffsetFetch(all)->offsets_size(), 0);
}

}  // namespace
}  // namespace keel::broker

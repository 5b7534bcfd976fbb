// The consumer-group handlers through the dispatcher, as a client's frames reach them: an
// in-process image of 3 brokers (this is broker 1), real partition logs in a temp dir, a
// fake controller for the __consumer_offsets creation, and the coordinator with its ticker
// and its offsets in __consumer_offsets.
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker/group/group_runtime.h"
#include "broker/kafka/broker_context.h"
#include "broker/kafka/group_offset_log.h"
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/kafka_listener.h"
#include "controller/logic/controller_logic.h"
#include "controller/logic/test_cluster.h"
#include "kafka/error_codes.h"
#include "kafka/message.h"
#include "kafka/messages.h"

namespace keel::broker::kafka {
namespace {

namespace fs = std::filesystem;
namespace k = keel::kafka;
using controller::ControllerLogic;
using controller::testing::TestCluster;

int16_t C(k::ErrorCode code) { return static_cast<int16_t>(code); }

constexpr int32_t kOffsetsPartitions = 6;

// Creates topics in the test image as the controller would; nothing else is asked of it.
class CreatingAdmin : public ControllerAdmin {
 public:
  CreatingAdmin(TestCluster* cluster, std::function<void()> sync)
      : cluster_(cluster), sync_(std::move(sync)) {}
  grpc::Status CreateTopics(const controller::CreateTopicsRequest& request,
                            controller::CreateTopicsResponse* response) override {
    ++creates;
    auto out = ControllerLogic::CreateTopics(cluster_->image, request, ++random_);
    for (auto& r : out.results) *response->add_results() = r;
    if (out.records.records_size() > 0) {
      cluster_->Commit(out.records);
      sync_();
    }
    return grpc::Status::OK;
  }
  grpc::Status DeleteTopics(const controller::DeleteTopicsRequest&,
                            controller::DeleteTopicsResponse*) override {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
  }
  grpc::Status CreatePartitions(const controller::CreatePartitionsRequest&,
                                controller::CreatePartitionsResponse*) override {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
  }
  grpc::Status AlterConfigs(const controller::AlterConfigsRequest&,
                            controller::AlterConfigsResponse*) override {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
  }
  grpc::Status AllocateProducerIds(const controller::AllocateProducerIdsRequest&,
                                   controller::AllocateProducerIdsResponse*) override {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
  }
  int creates = 0;

 private:
  TestCluster* cluster_;
  std::function<void()> sync_;
  uint64_t random_ = 11;
};

class GroupHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* root = std::getenv("TEST_TMPDIR");
    root_ = std::string(root ? root : "/tmp") + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    for (int id = 1; id <= 3; ++id) Register(id);
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
      fn(cluster_.image);
    };
    plane_ = std::make_unique<DataPlane>(dp, manager_.get(), read_, [] { return true; },
                                         &notifier_);
    admin_ = std::make_unique<CreatingAdmin>(&cluster_, [this] { Sync(); });
    context_.broker_id = 1;
    context_.cluster_id = "test-cluster";
    context_.data_plane = plane_.get();
    context_.read_image = read_;
    context_.admin = admin_.get();
    context_.now_ms = [] { return int64_t{1'700'000'000'000}; };
    context_.config.groups.initial_rebalance_delay_ms = 50;
    context_.config.groups.offsets_topic_num_partitions = kOffsetsPartitions;
    // One replica: this test has no followers to acknowledge acks=all.
    context_.config.groups.offsets_topic_replication_factor = 1;
    StartCoordinator();
  }

  void TearDown() override { runtime_->Stop(); }

  // A fresh coordinator over the same logs (a broker restart, as far as groups go).
  void StartCoordinator() {
    if (runtime_ != nullptr) runtime_->Stop();
    dispatcher_.reset();
    runtime_.reset();
    log_ = std::make_unique<GroupOffsetLog>(plane_.get(), read_);
    runtime_ = std::make_unique<group::GroupRuntime>(context_.config.groups, log_.get());
    context_.groups = runtime_->coordinator();
    context_.group_log = log_.get();
    if (router_ == nullptr) router_ = NewGroupRouter(&context_);
    context_.group_router = router_.get();
    dispatcher_ = NewDispatcher(&context_, nullptr);
  }

  void Register(int32_t id) {
    controller::RegisterBrokerRequest req;
    req.set_broker_id(id);
    req.set_incarnation_id("inc-" + std::to_string(id));
    auto* kafka = req.add_endpoints();
    kafka->set_name(kKafkaEndpointName);
    kafka->set_host("127.0.0.1");
    kafka->set_port(9400 + id);
    auto reg = ControllerLogic::RegisterBroker(cluster_.image, cluster_.heartbeats, req,
                                               cluster_.now_ms);
    ASSERT_TRUE(reg.ok());
    cluster_.Commit(reg->records);
    cluster_.Commit(cluster_.Heartbeat(id).records);
  }

  void Sync() { ASSERT_TRUE(manager_->Reconcile(cluster_.image, nullptr, 0).ok()); }

  template <class Response, class Request>
  absl::StatusOr<Response> Call(const Request& request, int16_t version) {
    auto frame = k::EncodeRequestFrame(request, version, ++correlation_, "test-client");
    if (!frame.ok()) return frame.status();
    auto outcome = dispatcher_->Process(frame->substr(4), "127.0.0.1:5555", [] { return false; });
    if (!outcome.status.ok()) return outcome.status;
    if (!outcome.response.has_value()) return absl::NotFoundError("no response");
    auto parsed = k::ParseResponse(std::string_view(*outcome.response).substr(4),
                                   Response::kApiKey, version);
    if (!parsed.ok()) return parsed.status();
    return k::Decode<Response>(parsed->body, version);
  }

  k::FindCoordinatorResponse Find(const std::string& key) {
    k::FindCoordinatorRequest req;
    req.key = key;
    auto resp = Call<k::FindCoordinatorResponse>(req, 3);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? *resp : k::FindCoordinatorResponse{};
  }

  // The leader of the group's __consumer_offsets partition in the image.
  int32_t LeaderFor(const std::string& group_id) {
    const auto& partitions = cluster_.Topic(kOffsetsTopic).partitions;
    return partitions.at(OffsetsPartitionFor(group_id, kOffsetsPartitions)).leader;
  }

  // A group id coordinated by broker `broker`.
  std::string GroupLedBy(int32_t broker) {
    for (int i = 0; i < 1000; ++i) {
      const std::string id = "group-" + std::to_string(i);
      if (LeaderFor(id) == broker) return id;
    }
    ADD_FAILURE() << "no group id lands on broker " << broker;
    return "";
  }

  std::string root_;
  TestCluster cluster_{0};
  DataPlane::ReadImage read_;
  std::unique_ptr<storage::StateStore> state_;
  std::unique_ptr<PartitionManager> manager_;
  AppendNotifier notifier_;
  std::unique_ptr<DataPlane> plane_;
  std::unique_ptr<CreatingAdmin> admin_;
  std::unique_ptr<GroupOffsetLog> log_;
  std::unique_ptr<group::GroupRuntime> runtime_;
  BrokerContext context_;
  std::unique_ptr<group::CoordinatorRouter> router_;
  std::unique_ptr<Dispatcher> dispatcher_;
  int32_t correlation_ = 0;
};

TEST_F(GroupHandlersTest, FindCoordinatorCreatesTheOffsetsTopicAndNamesThePartitionLeader) {
  k::FindCoordinatorResponse first = Find("my-group");
  EXPECT_EQ(admin_->creates, 1);
  EXPECT_EQ(cluster_.Topic(kOffsetsTopic).partitions.size(),
            static_cast<size_t>(kOffsetsPartitions));
  EXPECT_EQ(cluster_.Topic(kOffsetsTopic).configs.at("cleanup.policy"), "compact");
  ASSERT_EQ(first.error_code, 0) << k::ErrorName(first.error_code);
  EXPECT_EQ(first.node_id, LeaderFor("my-group"));
  EXPECT_EQ(first.host, "127.0.0.1");
  EXPECT_EQ(first.port, 9400 + first.node_id);
  Find("other-group");
  EXPECT_EQ(admin_->creates, 1) << "created once";

  k::FindCoordinatorRequest batch;  // v4: several keys
  batch.coordinator_keys = {"a", "b"};
  auto resp = Call<k::FindCoordinatorResponse>(batch, 4);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->coordinators.size(), 2u);
  EXPECT_EQ(resp->coordinators[0].key, "a");
  EXPECT_EQ(resp->coordinators[0].node_id, LeaderFor("a"));
  EXPECT_EQ(resp->coordinators[1].node_id, LeaderFor("b"));

  k::FindCoordinatorRequest txn;
  txn.key = "tx";
  txn.key_type = k::kCoordinatorKeyTypeTransaction;
  auto refused = Call<k::FindCoordinatorResponse>(txn, 3);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->error_code, C(k::ErrorCode::kCoordinatorNotAvailable));
}

TEST_F(GroupHandlersTest, GroupRequestsBeforeTheOffsetsTopicOrOnTheWrongBrokerAreRefused) {
  k::HeartbeatRequest hb;
  hb.group_id = "early";
  hb.member_id = "m";
  auto early = Call<k::HeartbeatResponse>(hb, 3);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->error_code, C(k::ErrorCode::kCoordinatorNotAvailable));

  Find("x");
  const std::string elsewhere = GroupLedBy(2);
  k::JoinGroupRequest join;
  join.group_id = elsewhere;
  join.session_timeout_ms = 10000;
  join.rebalance_timeout_ms = 10000;
  join.protocol_type = "consumer";
  join.protocols.push_back({"range", "meta"});
  auto refused = Call<k::JoinGroupResponse>(join, 5);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->error_code, C(k::ErrorCode::kNotCoordinator));
  k::OffsetCommitRequest commit;
  commit.group_id = elsewhere;
  commit.topics.push_back({"t", {{0, 5, -1, -1, std::nullopt}}});
  auto commit_refused = Call<k::OffsetCommitResponse>(commit, 7);
  ASSERT_TRUE(commit_refused.ok());
  EXPECT_EQ(commit_refused->topics.at(0).partitions.at(0).error_code,
            C(k::ErrorCode::kNotCoordinator));
}

TEST_F(GroupHandlersTest, AMemberJoinsSyncsHeartbeatsCommitsAndLeavesOverTheWire) {
  Find("x");
  const std::string group_id = GroupLedBy(1);
  k::JoinGroupRequest join;
  join.group_id = group_id;
  join.session_timeout_ms = 10000;
  join.rebalance_timeout_ms = 10000;
  join.protocol_type = "consumer";
  join.protocols.push_back({"roundrobin", "rr-meta"});
  join.protocols.push_back({"range", "range-meta"});
  auto asked = Call<k::JoinGroupResponse>(join, 5);
  ASSERT_TRUE(asked.ok()) << asked.status();
  ASSERT_EQ(asked->error_code, C(k::ErrorCode::kMemberIdRequired));
  EXPECT_EQ(asked->member_id.rfind("test-client-", 0), 0u) << asked->member_id;
  join.member_id = asked->member_id;
  // Waits out the initial rebalance delay (the ticker thread completes it).
  auto joined = Call<k::JoinGroupResponse>(join, 5);
  ASSERT_TRUE(joined.ok()) << joined.status();
  ASSERT_EQ(joined->error_code, 0) << k::ErrorName(joined->error_code);
  EXPECT_EQ(joined->generation_id, 1);
  EXPECT_EQ(joined->protocol_name, "roundrobin");
  EXPECT_EQ(joined->leader, asked->member_id);
  ASSERT_EQ(joined->members.size(), 1u);
  EXPECT_EQ(joined->members[0].metadata, "rr-meta");

  k::SyncGroupRequest sync;
  sync.group_id = group_id;
  sync.generation_id = 1;
  sync.member_id = asked->member_id;
  sync.assignments.push_back({asked->member_id, "assignment-bytes"});
  auto synced = Call<k::SyncGroupResponse>(sync, 3);
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_EQ(synced->error_code, 0);
  EXPECT_EQ(synced->assignment, "assignment-bytes");

  k::HeartbeatRequest hb;
  hb.group_id = group_id;
  hb.generation_id = 1;
  hb.member_id = asked->member_id;
  EXPECT_EQ(Call<k::HeartbeatResponse>(hb, 3)->error_code, 0);
  hb.generation_id = 0;
  EXPECT_EQ(Call<k::HeartbeatResponse>(hb, 3)->error_code,
            C(k::ErrorCode::kIllegalGeneration));

  k::OffsetCommitRequest commit;
  commit.group_id = group_id;
  commit.generation_id_or_member_epoch = 1;
  commit.member_id = asked->member_id;
  commit.topics.push_back({"t", {{0, 42, 3, -1, "meta"}, {1, 7, -1, -1, std::nullopt}}});
  auto committed = Call<k::OffsetCommitResponse>(commit, 7);
  ASSERT_TRUE(committed.ok()) << committed.status();
  for (const auto& p : committed->topics.at(0).partitions) {
    EXPECT_EQ(p.error_code, 0) << k::ErrorName(p.error_code);
  }

  // A restarted coordinator goes on with the persisted Stable group: same generation, same
  // assignment, no rebalance.
  StartCoordinator();
  hb.generation_id = 1;
  auto after_restart = Call<k::HeartbeatResponse>(hb, 3);
  ASSERT_TRUE(after_restart.ok()) << after_restart.status();
  EXPECT_EQ(after_restart->error_code, 0) << k::ErrorName(after_restart->error_code);
  sync.assignments.clear();
  auto resynced = Call<k::SyncGroupResponse>(sync, 3);
  ASSERT_TRUE(resynced.ok()) << resynced.status();
  EXPECT_EQ(resynced->error_code, 0);
  EXPECT_EQ(resynced->assignment, "assignment-bytes");

  k::DescribeGroupsRequest describe;
  describe.groups = {group_id, GroupLedBy(1) + "-unknown"};
  auto described = Call<k::DescribeGroupsResponse>(describe, 5);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->groups[0].group_state, "Stable");
  EXPECT_EQ(described->groups[0].protocol_data, "roundrobin");
  ASSERT_EQ(described->groups[0].members.size(), 1u);
  EXPECT_EQ(described->groups[0].members[0].client_id, "test-client");
  EXPECT_EQ(described->groups[0].members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(described->groups[0].members[0].member_assignment, "assignment-bytes");

  k::ListGroupsRequest list;
  auto listed = Call<k::ListGroupsResponse>(list, 4);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->groups.size(), 1u);
  EXPECT_EQ(listed->groups[0].group_id, group_id);
  EXPECT_EQ(listed->groups[0].group_state, "Stable");

  k::DeleteGroupsRequest del;
  del.groups_names = {group_id};
  EXPECT_EQ(Call<k::DeleteGroupsResponse>(del, 2)->results.at(0).error_code,
            C(k::ErrorCode::kNonEmptyGroup));

  k::LeaveGroupRequest leave;
  leave.group_id = group_id;
  leave.members.push_back({asked->member_id, std::nullopt, std::nullopt});
  leave.members.push_back({"stranger", std::nullopt, std::nullopt});
  auto left = Call<k::LeaveGroupResponse>(leave, 4);
  ASSERT_TRUE(left.ok()) << left.status();
  ASSERT_EQ(left->members.size(), 2u);
  EXPECT_EQ(left->members[0].error_code, 0);
  EXPECT_EQ(left->members[1].error_code, C(k::ErrorCode::kUnknownMemberId));

  // The offsets survive a restart of the coordinator: they load from __consumer_offsets.
  StartCoordinator();
  k::OffsetFetchRequest fetch;
  fetch.group_id = group_id;
  fetch.topics.emplace();
  fetch.topics->push_back({"t", {0, 1, 2}});
  auto fetched = Call<k::OffsetFetchResponse>(fetch, 7);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->error_code, 0);
  const auto& parts = fetched->topics.at(0).partitions;
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].committed_offset, 42);
  EXPECT_EQ(parts[0].committed_leader_epoch, 3);
  EXPECT_EQ(parts[0].metadata, "meta");
  EXPECT_EQ(parts[1].committed_offset, 7);
  EXPECT_EQ(parts[2].committed_offset, -1);

  // Empty now: deletable, and its offsets are gone after another restart too.
  EXPECT_EQ(Call<k::DeleteGroupsResponse>(del, 2)->results.at(0).error_code, 0);
  StartCoordinator();
  auto gone = Call<k::OffsetFetchResponse>(fetch, 7);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->topics.at(0).partitions.at(0).committed_offset, -1);
}

}  // namespace
}  // namespace keel::broker::kafka

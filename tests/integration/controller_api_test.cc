// The controller's gRPC API against a real 3-process quorum: WatchMetadata, the follower
// redirect, the health service, and fencing of a broker whose session lapsed.
#include <chrono>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include "metadata/watch_snapshot.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/controller_cluster.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::chrono::system_clock::time_point In(milliseconds d) {
  return std::chrono::system_clock::now() + d;
}

class ControllerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ControllerClusterOptions options;
    options.extra_flags = {"--broker_session_timeout_ms=1500"};
    cluster_ = std::make_unique<ControllerCluster>(options);
    ASSERT_TRUE(cluster_->StartAll());
    leader_ = cluster_->WaitForLeader(seconds(15));
    ASSERT_GT(leader_, 0);
    std::vector<std::string> addresses;
    for (int id : cluster_->ids()) addresses.push_back(cluster_->Address(id));
    client_ = std::make_unique<ControllerClient>(addresses);
    broker_ = std::make_unique<FakeBroker>(client_.get(), 1, cluster_->cluster_id());
    ASSERT_TRUE(broker_->Register(seconds(10)).ok());
    broker_->StartHeartbeats();
    for (int i = 0; i < 100 && broker_->fenced(); ++i) std::this_thread::sleep_for(milliseconds(50));
    ASSERT_FALSE(broker_->fenced());
  }
  void TearDown() override { broker_->StopHeartbeats(); }

  std::shared_ptr<grpc::Channel> Channel(int id) {
    return grpc::CreateChannel(cluster_->Address(id), grpc::InsecureChannelCredentials());
  }

  // A WatchMetadata stream from the start (a full image first), 20 s deadline.
  static std::unique_ptr<grpc::ClientReader<controller::WatchMetadataResponse>> WatchFromStart(
      controller::MetadataService::Stub* stub, grpc::ClientContext* context) {
    context->set_deadline(In(seconds(20)));
    controller::WatchMetadataRequest request;
    request.set_from_offset(-1);
    return stub->WatchMetadata(context, request);
  }

  std::unique_ptr<ControllerCluster> cluster_;
  std::unique_ptr<ControllerClient> client_;
  std::unique_ptr<FakeBroker> broker_;
  int leader_ = -1;
};

// An image larger than one chunk (kSnapshotChunkRecords) arrives in bounded chunks that
// reassemble to every record: a 12,000-partition image is ~12,000 records.
TEST_F(ControllerApiTest, WatchMetadataSendsALargeImageInChunks) {
  controller::CreateTopicsResponse created;
  ASSERT_TRUE(client_->CreateTopic("wide-a", 6000, 1, &created).ok());
  ASSERT_TRUE(client_->CreateTopic("wide-b", 6000, 1, &created).ok());
  auto stub = controller::MetadataService::NewStub(Channel(leader_));
  grpc::ClientContext context;
  auto stream = WatchFromStart(stub.get(), &context);
  controller::WatchMetadataResponse event;
  ASSERT_TRUE(stream->Read(&event));
  ASSERT_TRUE(event.has_snapshot());
  EXPECT_TRUE(event.snapshot().more());
  EXPECT_LE(event.snapshot().records_size(), metadata::kSnapshotChunkRecords);
  ASSERT_TRUE(metadata::ReadRestOfSnapshot(stream.get(), event.mutable_snapshot()));
  int partitions = 0;
  for (const auto& r : event.snapshot().records()) partitions += r.has_partition();
  EXPECT_EQ(partitions, 12000);
  context.TryCancel();
  (void)stream->Finish();
}

TEST_F(ControllerApiTest, WatchMetadataSendsImageThenEveryCommittedRecordAndResumes) {
  controller::CreateTopicsResponse created;
  ASSERT_TRUE(client_->CreateTopic("before", 1, 1, &created).ok());
  int follower = leader_ == 1 ? 2 : 1;  // any controller serves the watch
  auto stub = controller::MetadataService::NewStub(Channel(follower));
  grpc::ClientContext context;
  auto stream = WatchFromStart(stub.get(), &context);
  controller::WatchMetadataResponse event;
  ASSERT_TRUE(stream->Read(&event));
  ASSERT_TRUE(event.has_snapshot());
  // A follower applies a commit one heartbeat after the leader, so "before" is either in the
  // snapshot or among the first entries; either way it precedes "after", exactly once.
  int before_seen = 0;
  for (const auto& r : event.snapshot().records()) {
    before_seen += r.has_topic() && r.topic().name() == "before";
  }
  const int64_t snapshot_offset = event.snapshot().offset();

  ASSERT_TRUE(client_->CreateTopic("after", 2, 1, &created).ok());
  int64_t after_offset = -1, last_offset = snapshot_offset;
  while (after_offset < 0 && stream->Read(&event)) {
    ASSERT_TRUE(event.has_entry());
    EXPECT_GT(event.entry().offset(), last_offset)  // offsets only move forward
        << "records in this entry: " << event.entry().batch().records_size()
        << "; snapshot offset " << snapshot_offset;
    last_offset = event.entry().offset();
    for (const auto& r : event.entry().batch().records()) {
      if (!r.has_topic()) continue;
      before_seen += r.topic().name() == "before";
      if (r.topic().name() == "after") after_offset = event.entry().offset();
    }
  }
  EXPECT_EQ(before_seen, 1);
  ASSERT_GT(after_offset, 0) << "the new topic never arrived on the stream";
  context.TryCancel();

  // Resuming from just before that entry replays it, without a snapshot.
  grpc::ClientContext resume_context;
  resume_context.set_deadline(In(seconds(10)));
  controller::WatchMetadataRequest request;
  request.set_from_offset(after_offset - 1);
  auto resumed = stub->WatchMetadata(&resume_context, request);
  ASSERT_TRUE(resumed->Read(&event));
  ASSERT_TRUE(event.has_entry());
  EXPECT_EQ(event.entry().offset(), after_offset);
  resume_context.TryCancel();
}

TEST_F(ControllerApiTest, FollowerAnswersWritesWithUnavailableNamingTheLeader) {
  int follower = leader_ == 1 ? 2 : 1;
  auto stub = controller::AdminService::NewStub(Channel(follower));
  controller::CreateTopicsRequest request;
  auto* topic = request.add_topics();
  topic->set_name("redirected");
  topic->set_num_partitions(1);
  topic->set_replication_factor(1);
  controller::CreateTopicsResponse response;
  grpc::ClientContext context;
  context.set_deadline(In(seconds(5)));
  grpc::Status status = stub->CreateTopics(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("NOT_CONTROLLER"), std::string::npos) << status.error_message();
  auto trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("keel-leader-address");
  ASSERT_NE(it, trailers.end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), cluster_->Address(leader_));

  // Validation errors come back with their Kafka name and a fitting code.
  controller::CreateTopicsResponse bad;
  grpc::Status invalid = client_->CreateTopic("bad name!", 1, 1, &bad);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(invalid.error_message().rfind("INVALID_TOPIC_EXCEPTION:", 0), 0u) << invalid.error_message();
  ASSERT_TRUE(client_->CreateTopic("dup", 1, 1, &bad).ok());
  grpc::Status dup = client_->CreateTopic("dup", 1, 1, &bad);
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(dup.error_message().rfind("TOPIC_ALREADY_EXISTS:", 0), 0u) << dup.error_message();
}

// A refusal computed from a proposal that has not committed must not be answered: the nemesis
// found a TOPIC_ALREADY_EXISTS for a topic whose only create was lost with the leadership
// (not linearizable). With both followers paused the leader cannot commit: the second create
// of the same name must wait like the first, not be refused at once.
TEST_F(ControllerApiTest, RefusalBasedOnAnUncommittedProposalWaitsForItsCommit) {
  auto stub = controller::AdminService::NewStub(Channel(leader_));
  auto create_ghost = [&](milliseconds deadline) {
    controller::CreateTopicsRequest request;
    auto* topic = request.add_topics();
    topic->set_name("ghost");
    topic->set_num_partitions(1);
    topic->set_replication_factor(1);
    controller::CreateTopicsResponse response;
    grpc::ClientContext context;
    context.set_deadline(In(deadline));
    return stub->CreateTopics(&context, request, &response);
  };
  for (int id : cluster_->ids()) {
    if (id != leader_) cluster_->PauseNode(id);
  }
  // Well inside the 300 ms election timeout after which CheckQuorum deposes the leader.
  grpc::Status first = create_ghost(milliseconds(100));
  grpc::Status second = create_ghost(milliseconds(100));
  for (int id : cluster_->ids()) {
    if (id != leader_) cluster_->ResumeNode(id);
  }
  EXPECT_EQ(first.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << first.error_message();
  EXPECT_NE(second.error_code(), grpc::StatusCode::ALREADY_EXISTS) << second.error_message();
  EXPECT_TRUE(second.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
              second.error_code() == grpc::StatusCode::UNAVAILABLE)
      << second.error_code() << " " << second.error_message();

  // Healed: the name exists or not, but creating it again agrees with the listing after.
  controller::CreateTopicsResponse response;
  grpc::Status again = client_->CreateTopic("ghost", 1, 1, &response, seconds(15));
  EXPECT_TRUE(again.ok() || again.error_code() == grpc::StatusCode::ALREADY_EXISTS)
      << again.error_message();
}

// ListTopics{linearizable}: only the leader answers, and only once it has shown it still
// leads (an empty entry of its term commits); the default read answers from any node's image.
TEST_F(ControllerApiTest, LinearizableListIsAnsweredOnlyByAConfirmedLeader) {
  controller::CreateTopicsResponse created;
  ASSERT_TRUE(client_->CreateTopic("listed", 1, 1, &created).ok());
  auto list = [&](int node, bool linearizable, controller::ListTopicsResponse* response) {
    controller::ListTopicsRequest request;
    request.set_linearizable(linearizable);
    grpc::ClientContext context;
    context.set_deadline(In(milliseconds(300)));
    return controller::AdminService::NewStub(Channel(node))->ListTopics(&context, request,
                                                                         response);
  };
  controller::ListTopicsResponse response;
  grpc::Status s = list(leader_, true, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(std::vector<std::string>(response.names().begin(), response.names().end()),
            std::vector<std::string>{"listed"});
  const int follower = leader_ == 1 ? 2 : 1;
  s = list(follower, true, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_NE(s.error_message().find("NOT_CONTROLLER"), std::string::npos) << s.error_message();
  EXPECT_TRUE(list(follower, false, &response).ok());  // serializable: any node answers

  // A leader cut off from its followers cannot confirm itself: no answer, stale or not.
  for (int id : cluster_->ids()) {
    if (id != leader_) cluster_->PauseNode(id);
  }
  s = list(leader_, true, &response);
  grpc::Status serializable = list(leader_, false, &response);
  for (int id : cluster_->ids()) {
    if (id != leader_) cluster_->ResumeNode(id);
  }
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
              s.error_code() == grpc::StatusCode::UNAVAILABLE)
      << s.error_code() << " " << s.error_message();
  EXPECT_TRUE(serializable.ok()) << serializable.error_message();
}

// Debian's gRPC ships no C++ stubs for grpc.health.v1, so this calls Health/Check through a
// generic stub: the request is an empty HealthCheckRequest (service ""), and a
// HealthCheckResponse with status SERVING (1) encodes as the two bytes 0x08 0x01.
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(In(seconds(2)));
  grpc::ByteBuffer request, response;
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return bytes.empty() ? 0 : -2;
}

TEST_F(ControllerApiTest, HealthServiceReportsServingWhileALeaderIsKnown) {
  int status = -1;
  for (int i = 0; i < 50 && status != 1; ++i) {
    status = HealthStatus(Channel(leader_));
    if (status != 1) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(status, 1) << "leader not SERVING";
  // A controller left alone knows no leader once its lease runs out: NOT_SERVING (2).
  int lonely = leader_ == 1 ? 2 : 1;
  for (int id : cluster_->ids()) {
    if (id != lonely) cluster_->KillNode(id);
  }
  for (int i = 0; i < 100 && status != 2; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    status = HealthStatus(Channel(lonely));
  }
  EXPECT_EQ(status, 2) << "a controller without a quorum still reports SERVING";
}

TEST_F(ControllerApiTest, BrokerWhoseSessionLapsesIsFencedAndLeavesIsrs) {
  controller::CreateTopicsResponse created;
  ASSERT_TRUE(client_->CreateTopic("fenced-topic", 2, 1, &created).ok());
  broker_->StopHeartbeats();  // the session (1.5 s here) lapses
  bool fenced = false;
  for (int i = 0; i < 100 && !fenced; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    controller::DescribeClusterResponse cluster;
    ASSERT_TRUE(client_->Call(
                           [&](const auto& channel, grpc::ClientContext* context) {
                             return controller::AdminService::NewStub(channel)->DescribeCluster(
                                 context, controller::DescribeClusterRequest(), &cluster);
                           },
                           seconds(5))
                    .ok());
    fenced = cluster.brokers_size() == 1 && cluster.brokers(0).fenced();
  }
  ASSERT_TRUE(fenced) << "broker 1 was never fenced";
  controller::DescribeTopicsResponse topics;
  ASSERT_TRUE(client_->DescribeTopics(&topics).ok());
  for (const auto& t : topics.topics()) {
    for (const auto& p : t.partitions()) {
      // Its only replica was fenced: the partition is offline (no unclean election).
      EXPECT_EQ(p.leader(), -1) << t.name() << "/" << p.partition();
    }
  }
}

TEST_F(ControllerApiTest, NewLeaderGivesNoSessionToAFencedBrokerSoItsSuccessorRegistersAtOnce) {
  // Broker 2 registers and dies before it is unfenced. A new active controller must not
  // grant that dead registration a fresh session: the restarted broker (a new incarnation)
  // would be refused with DUPLICATE_BROKER_REGISTRATION for a whole session after every
  // controller failover (the nemesis saw restarts wait 20-30 s through a string of them).
  FakeBroker first(client_.get(), 2, cluster_->cluster_id());
  first.set_incarnation("before-the-crash");
  ASSERT_TRUE(first.Register(seconds(10)).ok());
  cluster_->KillNode(leader_);
  FakeBroker restarted(client_.get(), 2, cluster_->cluster_id());
  restarted.set_incarnation("after-the-crash");
  // Retries while there is no leader; the first answer of the new leader counts.
  grpc::Status status = restarted.Register(seconds(15));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace keel::testing

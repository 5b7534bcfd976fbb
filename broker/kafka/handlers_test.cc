// The Kafka handlers through the dispatcher, against an in-process image (TestCluster), real
// partition logs in a temp dir and a fake controller that applies admin requests to the
// image: request frames as a client encodes them, responses decoded as a client would.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "broker/kafka/broker_context.h"
#include "broker/kafka/kafka_listener.h"
#include "broker/kafka/kafka_metrics.h"
#include "broker/record_conversion.h"
#include "controller/logic/controller_logic.h"
#include "controller/logic/test_cluster.h"
#include "observability/grpc_server_metrics.h"
#include "kafka/error_codes.h"
#include "kafka/messages.h"
#include "kafka/message.h"
#include "kafka/record_batch.h"

namespace keel::broker::kafka {
namespace {

namespace fs = std::filesystem;
namespace k = keel::kafka;
using controller::ControllerLogic;
using controller::testing::TestCluster;

constexpr int16_t kNone = 0;
int16_t C(k::ErrorCode code) { return static_cast<int16_t>(code); }

// Applies admin requests to the test image the way the active controller would.
class FakeAdmin : public ControllerAdmin {
 public:
  FakeAdmin(TestCluster* cluster, std::function<void()> sync)
      : cluster_(cluster), sync_(std::move(sync)) {}
  grpc::Status CreateTopics(const controller::CreateTopicsRequest& request,
                            controller::CreateTopicsResponse* response) override {
    ++calls;
    if (unavailable) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no controller");
    auto out = ControllerLogic::CreateTopics(cluster_->image, request, ++random_);
    if (refuse_as_status && out.results.size() == 1 && out.results[0].error() != keel::NONE) {
      // As the controller answers a single refused topic: a status naming the error.
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                          keel::ErrorCode_Name(out.results[0].error()) + ": refused");
    }
    for (auto& r : out.results) *response->add_results() = r;
    if (!request.validate_only()) Commit(out.records);
    return grpc::Status::OK;
  }
  grpc::Status DeleteTopics(const controller::DeleteTopicsRequest& request,
                            controller::DeleteTopicsResponse* response) override {
    ++calls;
    if (unavailable) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no controller");
    auto out = ControllerLogic::DeleteTopics(cluster_->image, request);
    for (auto& r : out.results) *response->add_results() = r;
    Commit(out.records);
    return grpc::Status::OK;
  }
  grpc::Status CreatePartitions(const controller::CreatePartitionsRequest& request,
                                controller::CreatePartitionsResponse* response) override {
    ++calls;
    if (unavailable) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no controller");
    auto out = ControllerLogic::CreatePartitions(cluster_->image, request, ++random_);
    if (!out.results.empty()) *response->mutable_result() = out.results[0];
    Commit(out.records);
    return grpc::Status::OK;
  }
  grpc::Status AlterConfigs(const controller::AlterConfigsRequest& request,
                            controller::AlterConfigsResponse* response) override {
    ++calls;
    if (unavailable) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no controller");
    auto out = ControllerLogic::AlterConfigs(cluster_->image, request);
    if (!out.results.empty()) *response->mutable_result() = out.results[0];
    Commit(out.records);
    return grpc::Status::OK;
  }
  grpc::Status AllocateProducerIds(const controller::AllocateProducerIdsRequest& request,
                                   controller::AllocateProducerIdsResponse* response) override {
    ++calls;
    if (unavailable) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no controller");
    auto out = ControllerLogic::AllocateProducerIds(cluster_->image, request);
    if (!out.ok()) {
      response->set_error(out.status().code);
      response->set_error_message(out.status().message);
      return grpc::Status::OK;
    }
    response->set_producer_id_start(out->producer_id_start);
    response->set_producer_id_len(out->producer_id_len);
    Commit(out->records);
    return grpc::Status::OK;
  }
  int calls = 0;
  bool unavailable = false;  // every call fails as if no controller answered
  bool refuse_as_status = false;

 private:
  void Commit(const metadata::MetadataRecordBatch& records) {
    if (records.records_size() == 0) return;
    cluster_->Commit(records);
    sync_();
  }
  TestCluster* cluster_;
  std::function<void()> sync_;
  uint64_t random_ = 7;
};

class HandlersTest : public ::testing::Test {
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
    dp.max_fetch_wait_ms = max_fetch_wait_ms_;
    auto read = [this](const std::function<void(const metadata::MetadataImage&)>& fn) {
      fn(cluster_.image);
    };
    plane_ = std::make_unique<DataPlane>(dp, manager_.get(), read, [] { return true; },
                                         &notifier_);
    admin_ = std::make_unique<FakeAdmin>(&cluster_, [this] { Sync(); });
    context_.broker_id = 1;
    context_.cluster_id = "test-cluster";
    context_.data_plane = plane_.get();
    context_.read_image = read;
    context_.admin = admin_.get();
    context_.producers = &producers_;
    context_.broker_epoch = [this] {
      const metadata::BrokerInfo* b = cluster_.image.Broker(1);
      return b != nullptr ? b->epoch : int64_t{-1};
    };
    producer_ids_ = std::make_unique<ProducerIdBlock>(admin_.get(), 1, context_.broker_epoch);
    context_.producer_ids = producer_ids_.get();
    context_.now_ms = [] { return int64_t{1'700'000'000'000}; };
    registry_ = observability::MetricsRegistry::Create();
    grpc_metrics_ = std::make_unique<observability::GrpcServerMetrics>(*registry_);
    metrics_ = std::make_unique<KafkaMetrics>(*registry_);
    dispatcher_ = NewDispatcher(&context_, metrics_.get());
  }

  // Registers broker `id` with a DATA and a KAFKA endpoint and unfences it.
  void Register(int32_t id) {
    controller::RegisterBrokerRequest req;
    req.set_broker_id(id);
    req.set_incarnation_id("inc-" + std::to_string(id));
    auto* data = req.add_endpoints();
    data->set_name("DATA");
    data->set_host("127.0.0.1");
    data->set_port(9000 + id);
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

  int LedBy(const std::string& topic, int32_t leader) {
    for (const auto& [index, info] : cluster_.Topic(topic).partitions) {
      if (info.leader == leader) return index;
    }
    return -1;
  }

  // Sends `request` at `version`; the decoded response, or an error when the connection
  // would be closed (status) or no response came (NotFound).
  template <class Response, class Request>
  absl::StatusOr<Response> Call(const Request& request, int16_t version) {
    auto frame = k::EncodeRequestFrame(request, version, ++correlation_, "test");
    if (!frame.ok()) return frame.status();
    return Send<Response>(frame->substr(4), version);
  }

  template <class Response>
  absl::StatusOr<Response> Send(const std::string& frame, int16_t version) {
    auto outcome = dispatcher_->Process(frame, "test-peer", [] { return false; });
    if (!outcome.status.ok()) return outcome.status;
    if (!outcome.response.has_value()) return absl::NotFoundError("no response");
    auto parsed = k::ParseResponse(std::string_view(*outcome.response).substr(4),
                                   Response::kApiKey, version);
    if (!parsed.ok()) return parsed.status();
    EXPECT_EQ(parsed->correlation_id, correlation_);
    return k::Decode<Response>(parsed->body, version);
  }

  // A records field holding one batch of `values` (keys "k<i>", header h=v), compressed.
  static std::string Batch(const std::vector<std::string>& values, int64_t base_timestamp,
                           k::Compression compression = k::Compression::kNone,
                           int64_t producer_id = -1, int16_t producer_epoch = -1,
                           int32_t base_sequence = -1) {
    k::RecordBatch b;
    b.header.producer_id = producer_id;
    b.header.producer_epoch = producer_epoch;
    b.header.base_sequence = base_sequence;
    b.header.base_timestamp = base_timestamp;
    b.header.max_timestamp = base_timestamp + static_cast<int64_t>(values.size()) - 1;
    b.header.last_offset_delta = static_cast<int32_t>(values.size()) - 1;
    for (size_t i = 0; i < values.size(); ++i) {
      k::Record& r = b.records.emplace_back();
      r.offset_delta = static_cast<int32_t>(i);
      r.timestamp_delta = static_cast<int64_t>(i);
      r.key = "k" + std::to_string(i);
      r.value = values[i];
      r.headers.push_back({"h", std::string("v")});
    }
    auto encoded = k::EncodeBatch(b, compression);
    EXPECT_TRUE(encoded.ok()) << encoded.status();
    return encoded.ok() ? *encoded : "";
  }

  k::ProduceResponse::Partition Produce(const std::string& topic, int32_t partition,
                                        const std::string& records, int16_t acks = 1,
                                        int16_t version = 7) {
    k::ProduceRequest req;
    req.acks = acks;
    req.timeout_ms = 1000;
    auto& t = req.topics.emplace_back();
    t.name = topic;
    t.partitions.push_back({partition, records});
    auto resp = Call<k::ProduceResponse>(req, version);
    EXPECT_TRUE(resp.ok()) << resp.status();
    if (!resp.ok()) return {};
    return resp->responses.at(0).partitions.at(0);
  }

  k::FetchResponse::Partition Fetch(const std::string& topic, int32_t partition, int64_t offset,
                                    int32_t leader_epoch = -1, int16_t version = 11) {
    k::FetchRequest req;
    req.max_wait_ms = 0;
    req.min_bytes = 1;
    auto& t = req.topics.emplace_back();
    t.topic = topic;
    auto& p = t.partitions.emplace_back();
    p.partition = partition;
    p.fetch_offset = offset;
    p.partition_max_bytes = 1 << 20;
    p.current_leader_epoch = leader_epoch;
    auto resp = Call<k::FetchResponse>(req, version);
    EXPECT_TRUE(resp.ok()) << resp.status();
    if (!resp.ok()) return {};
    EXPECT_EQ(resp->session_id, 0);
    return resp->responses.at(0).partitions.at(0);
  }

  int64_t max_fetch_wait_ms_ = 30000;
  std::string root_;
  TestCluster cluster_{0};
  std::unique_ptr<storage::StateStore> state_;
  std::unique_ptr<PartitionManager> manager_;
  AppendNotifier notifier_;
  std::unique_ptr<DataPlane> plane_;
  std::unique_ptr<FakeAdmin> admin_;
  ProducerStateTable producers_;
  std::unique_ptr<ProducerIdBlock> producer_ids_;
  BrokerContext context_;
  std::shared_ptr<observability::MetricsRegistry> registry_;
  std::unique_ptr<observability::GrpcServerMetrics> grpc_metrics_;
  std::unique_ptr<KafkaMetrics> metrics_;
  std::unique_ptr<Dispatcher> dispatcher_;
  int32_t correlation_ = 0;
};

TEST_F(HandlersTest, ApiVersionsListsTheTableAndAnswersNewerVersionsInV0) {
  auto v3 = Call<k::ApiVersionsResponse>(k::ApiVersionsRequest{"test", "1.0"}, 3);
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_EQ(v3->error_code, kNone);
  std::map<int16_t, std::pair<int16_t, int16_t>> versions;
  for (const auto& a : v3->api_keys) versions[a.api_key] = {a.min_version, a.max_version};
  EXPECT_EQ(versions.size(), 13u);
  using Range = std::pair<int16_t, int16_t>;
  EXPECT_EQ(versions[0], Range(0, 9));   // Produce (from v0: librdkafka compresses only then)
  EXPECT_EQ(versions[1], Range(0, 12));  // Fetch
  EXPECT_EQ(versions[18], Range(0, 3));  // ApiVersions
  // A version newer than ours: UNSUPPORTED_VERSION in the v0 layout, still with the list.
  k::RequestHeader header{18, 7, 99, "future-client"};
  std::string frame = k::StartRequestFrame(header);
  frame.append(std::string(3, '\0'));  // v7's body is unknown; the header is v2
  auto outcome = dispatcher_->Process(frame.substr(4), "peer", [] { return false; });
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  ASSERT_TRUE(outcome.response.has_value());
  auto parsed = k::ParseResponse(std::string_view(*outcome.response).substr(4),
                                 k::ApiKey::kApiVersions, 0);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->correlation_id, 99);
  auto v0 = k::Decode<k::ApiVersionsResponse>(parsed->body, 0);
  ASSERT_TRUE(v0.ok()) << v0.status();
  EXPECT_EQ(v0->error_code, C(k::ErrorCode::kUnsupportedVersion));
  EXPECT_EQ(v0->api_keys.size(), 13u);
}

TEST_F(HandlersTest, UnknownApiUnsupportedVersionAndGarbageCloseTheConnection) {
  k::RequestHeader unknown{57, 0, 1, "x"};
  std::string frame = k::StartRequestFrame(unknown);
  EXPECT_FALSE(dispatcher_->Process(frame.substr(4), "p", [] { return false; }).status.ok());
  // Produce v10 is above our range (the codec's goes to 11).
  k::ProduceRequest produce;
  auto newer = k::EncodeRequestFrame(produce, 10, 1, "x");
  ASSERT_TRUE(newer.ok());
  EXPECT_FALSE(dispatcher_->Process(newer->substr(4), "p", [] { return false; }).status.ok());
  // A Metadata body cut short.
  k::MetadataRequest metadata;
  metadata.topics = std::vector<k::MetadataRequest::Topic>{{{}, std::string("some-topic")}};
  auto whole = k::EncodeRequestFrame(metadata, 4, 1, "x");
  ASSERT_TRUE(whole.ok());
  const std::string cut = whole->substr(4, whole->size() - 6);
  EXPECT_FALSE(dispatcher_->Process(cut, "p", [] { return false; }).status.ok());
  EXPECT_FALSE(dispatcher_->Process("\x00\x03", "p", [] { return false; }).status.ok());
}

TEST_F(HandlersTest, MetadataNamesKafkaEndpointsLeaderEpochsAndThisBrokerAsController) {
  cluster_.CreateTopic("orders", 3, 2);
  Sync();
  k::MetadataRequest req;  // null topics: all
  auto resp = Call<k::MetadataResponse>(req, 9);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->brokers.size(), 3u);
  EXPECT_EQ(resp->brokers[0].node_id, 1);
  EXPECT_EQ(resp->brokers[0].port, 9401);  // the KAFKA endpoint, not DATA
  EXPECT_EQ(resp->controller_id, 1);
  EXPECT_EQ(resp->cluster_id, "test-cluster");
  ASSERT_EQ(resp->topics.size(), 1u);
  EXPECT_EQ(resp->topics[0].name, "orders");
  ASSERT_EQ(resp->topics[0].partitions.size(), 3u);
  for (const auto& p : resp->topics[0].partitions) {
    const auto& info = cluster_.Partition("orders", p.partition_index);
    EXPECT_EQ(p.leader_id, info.leader);
    EXPECT_EQ(p.leader_epoch, info.leader_epoch);
    EXPECT_EQ(p.replica_nodes, info.replicas);
    EXPECT_EQ(p.error_code, kNone);
  }
}

TEST_F(HandlersTest, MetadataAutoCreatesUnknownTopicsOnlyWhenAllowed) {
  k::MetadataRequest req;
  req.topics = std::vector<k::MetadataRequest::Topic>{{{}, std::string("fresh")}};
  req.allow_auto_topic_creation = false;
  auto refused = Call<k::MetadataResponse>(req, 4);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->topics.at(0).error_code, C(k::ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(admin_->calls, 0);
  req.allow_auto_topic_creation = true;
  auto created = Call<k::MetadataResponse>(req, 4);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(admin_->calls, 1);
  ASSERT_NE(cluster_.image.TopicByName("fresh"), nullptr);
  EXPECT_EQ(created->topics.at(0).error_code, kNone);
  EXPECT_EQ(created->topics.at(0).partitions.size(), 1u);  // num.partitions default
  context_.config.auto_create_topics = false;
  req.topics->at(0).name = "other";
  auto off = Call<k::MetadataResponse>(req, 4);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->topics.at(0).error_code, C(k::ErrorCode::kUnknownTopicOrPartition));
}

TEST_F(HandlersTest, ProducedRecordsFetchBackWithOffsetsKeysHeadersAndTimestamps) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  const int mine = LedBy("t", 1);
  ASSERT_GE(mine, 0);
  auto first = Produce("t", mine, Batch({"a", "b"}, 1000));
  EXPECT_EQ(first.error_code, kNone);
  EXPECT_EQ(first.base_offset, 0);
  EXPECT_EQ(first.log_append_time_ms, -1);
  auto second = Produce("t", mine, Batch({"c", "d", "e"}, 2000, k::Compression::kGzip), -1);
  EXPECT_EQ(second.error_code, kNone);
  EXPECT_EQ(second.base_offset, 2);

  auto fetched = Fetch("t", mine, 1);
  ASSERT_EQ(fetched.error_code, kNone);
  EXPECT_EQ(fetched.high_watermark, 5);
  EXPECT_EQ(fetched.log_start_offset, 0);
  ASSERT_TRUE(fetched.records.has_value());
  auto batches = k::DecodeBatches(*fetched.records);
  ASSERT_TRUE(batches.ok()) << batches.status();
  ASSERT_EQ(batches->size(), 2u);
  // Trimmed to the fetch offset: the first batch starts at 1 with "b".
  EXPECT_EQ((*batches)[0].header.base_offset, 1);
  EXPECT_EQ((*batches)[0].header.partition_leader_epoch,
            cluster_.Partition("t", mine).leader_epoch);
  ASSERT_EQ((*batches)[0].records.size(), 1u);
  EXPECT_EQ((*batches)[0].records[0].value, "b");
  EXPECT_EQ((*batches)[0].records[0].key, "k1");
  EXPECT_EQ((*batches)[0].header.base_timestamp, 1001);
  const k::RecordBatch& b2 = (*batches)[1];
  EXPECT_EQ(b2.header.base_offset, 2);
  ASSERT_EQ(b2.records.size(), 3u);
  EXPECT_EQ(b2.records[2].value, "e");
  EXPECT_EQ(b2.header.base_timestamp + b2.records[2].timestamp_delta, 2002);
  ASSERT_EQ(b2.records[2].headers.size(), 1u);
  EXPECT_EQ(b2.records[2].headers[0].key, "h");
  EXPECT_EQ(b2.records[2].headers[0].value, "v");

  // The same log through the gRPC data plane: same offsets and values.
  keel::broker::FetchRequest grpc_fetch;
  auto* gt = grpc_fetch.add_topics();
  gt->set_topic("t");
  auto* gp = gt->add_partitions();
  gp->set_partition(mine);
  gp->set_fetch_offset(0);
  gp->set_current_leader_epoch(-1);
  keel::broker::FetchResponse grpc_resp;
  plane_->Fetch(grpc_fetch, &grpc_resp, [] { return false; });
  ASSERT_EQ(grpc_resp.topics(0).partitions(0).batches_size(), 2);
  EXPECT_EQ(grpc_resp.topics(0).partitions(0).batches(1).records(0).value(), "c");
  EXPECT_EQ(grpc_resp.topics(0).partitions(0).batches(1).records(0).offset(), 2);
  EXPECT_EQ(grpc_resp.topics(0).partitions(0).batches(1).records(0).key(), "k0");
}

TEST_F(HandlersTest, ProduceRefusesCorruptOversizeAndMisdirectedBatches) {
  cluster_.CreateTopic("t", 3, 1, {{"max.message.bytes", "300"}});
  Sync();
  const int mine = LedBy("t", 1);
  const int theirs = LedBy("t", 2);
  ASSERT_GE(mine, 0);
  ASSERT_GE(theirs, 0);
  std::string corrupt = Batch({"a"}, 1);
  corrupt.back() ^= 0x5a;  // inside the CRC'd part
  EXPECT_EQ(Produce("t", mine, corrupt).error_code, C(k::ErrorCode::kCorruptMessage));
  EXPECT_EQ(Produce("t", mine, Batch({"a"}, 1).substr(0, 30)).error_code,
            C(k::ErrorCode::kCorruptMessage));
  EXPECT_EQ(Produce("t", mine, Batch({std::string(400, 'x')}, 1)).error_code,
            C(k::ErrorCode::kMessageTooLarge));
  EXPECT_EQ(Produce("t", theirs, Batch({"a"}, 1)).error_code,
            C(k::ErrorCode::kNotLeaderOrFollower));
  EXPECT_EQ(Produce("nope", 0, Batch({"a"}, 1)).error_code,
            C(k::ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(Produce("t", mine, Batch({"a"}, 1), /*acks=*/2).error_code,
            C(k::ErrorCode::kInvalidRequiredAcks));
  // Nothing above reached the log.
  EXPECT_EQ(manager_->Get("t", mine)->log()->log_end_offset(), 0);
}

TEST_F(HandlersTest, IdempotentRetriesGetTheOriginalOffsetAndGapsAndOldEpochsAreRefused) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  const int mine = LedBy("t", 1);
  ASSERT_GE(mine, 0);
  const auto none = k::Compression::kNone;
  ASSERT_EQ(Produce("t", mine, Batch({"x"}, 1)).base_offset, 0);  // not idempotent
  auto first = Produce("t", mine, Batch({"a", "b"}, 1, none, 42, 3, 0));
  ASSERT_EQ(first.error_code, kNone);
  EXPECT_EQ(first.base_offset, 1);
  auto retry = Produce("t", mine, Batch({"a", "b"}, 1, none, 42, 3, 0));
  EXPECT_EQ(retry.error_code, kNone);
  EXPECT_EQ(retry.base_offset, 1);
  EXPECT_EQ(manager_->Get("t", mine)->log()->log_end_offset(), 3);  // stored once
  EXPECT_EQ(Produce("t", mine, Batch({"c"}, 1, none, 42, 3, 5)).error_code,
            C(k::ErrorCode::kOutOfOrderSequenceNumber));
  auto next = Produce("t", mine, Batch({"c"}, 1, none, 42, 3, 2));
  EXPECT_EQ(next.error_code, kNone) << next.error_message.value_or("");
  EXPECT_EQ(next.base_offset, 3);
  EXPECT_EQ(Produce("t", mine, Batch({"d"}, 1, none, 42, 4, 0)).base_offset, 4);
  EXPECT_EQ(Produce("t", mine, Batch({"e"}, 1, none, 42, 3, 3)).error_code,
            C(k::ErrorCode::kInvalidProducerEpoch));
  EXPECT_EQ(manager_->Get("t", mine)->log()->log_end_offset(), 5);
  // The reserved producer header is never shown to consumers, over either API.
  auto fetched = Fetch("t", mine, 1);
  auto batches = k::DecodeBatches(fetched.records.value_or(""));
  ASSERT_TRUE(batches.ok()) << batches.status();
  for (const auto& b : *batches) {
    for (const auto& r : b.records) {
      ASSERT_EQ(r.headers.size(), 1u);  // only the client's own "h"
      EXPECT_EQ(r.headers[0].key, "h");
    }
  }
  keel::broker::FetchRequest grpc_fetch;
  auto* gp = grpc_fetch.add_topics();
  gp->set_topic("t");
  auto* gpp = gp->add_partitions();
  gpp->set_partition(mine);
  gpp->set_fetch_offset(1);
  gpp->set_current_leader_epoch(-1);
  keel::broker::FetchResponse grpc_resp;
  plane_->Fetch(grpc_fetch, &grpc_resp, [] { return false; });
  for (const auto& b : grpc_resp.topics(0).partitions(0).batches()) {
    for (const auto& r : b.records()) {
      ASSERT_EQ(r.headers_size(), 1);
      EXPECT_EQ(r.headers(0).key(), "h");
    }
  }
  // A new leadership (here: a fresh table, as on another broker) rebuilds the state from the
  // log, so the retry of the last batch is still answered with its original offset.
  ProducerStateTable fresh;
  context_.producers = &fresh;
  auto retry_after_failover = Produce("t", mine, Batch({"d"}, 1, none, 42, 4, 0));
  EXPECT_EQ(retry_after_failover.error_code, kNone);
  EXPECT_EQ(retry_after_failover.base_offset, 4);
  EXPECT_EQ(Produce("t", mine, Batch({"e"}, 1, none, 42, 4, 5)).error_code,
            C(k::ErrorCode::kOutOfOrderSequenceNumber));
  EXPECT_EQ(manager_->Get("t", mine)->log()->log_end_offset(), 5);
}

TEST_F(HandlersTest, ReplicationKeepsTheProducerHeaderSoFollowersCanRebuildTheState) {
  cluster_.CreateTopic("r3", 3, 3);
  Sync();
  const int mine = LedBy("r3", 1);
  ASSERT_GE(mine, 0);
  ASSERT_EQ(Produce("r3", mine, Batch({"a"}, 1, k::Compression::kNone, 9, 0, 0)).error_code,
            kNone);
  keel::broker::ReplicaFetchRequest request;
  request.set_replica_id(2);
  auto* t = request.mutable_fetch()->add_topics();
  t->set_topic("r3");
  auto* p = t->add_partitions();
  p->set_partition(mine);
  p->set_fetch_offset(0);
  p->set_current_leader_epoch(cluster_.Partition("r3", mine).leader_epoch);
  p->set_last_fetched_epoch(-1);
  keel::broker::ReplicaFetchResponse response;
  plane_->ReplicaFetch(request, &response, [] { return false; });
  const auto& pd = response.fetch().topics(0).partitions(0);
  ASSERT_EQ(pd.error(), keel::NONE) << pd.error_message();
  ASSERT_EQ(pd.batches_size(), 1);
  bool found = false;
  for (const auto& h : pd.batches(0).records(0).headers()) {
    found |= h.key() == kProducerStateHeader;
  }
  EXPECT_TRUE(found);
}

TEST_F(HandlersTest, LogAppendTimeTopicsStampTheBrokersTime) {
  cluster_.CreateTopic("lat", 3, 1);
  // Straight into the image: the controller's config validation does not know the key yet.
  metadata::MetadataRecordBatch config;
  auto* c = config.add_records()->mutable_config();
  c->set_resource_type(metadata::CONFIG_RESOURCE_TOPIC);
  c->set_resource_name("lat");
  c->set_name("message.timestamp.type");
  c->set_value("LogAppendTime");
  cluster_.Commit(config);
  Sync();
  const int mine = LedBy("lat", 1);
  ASSERT_GE(mine, 0);
  const int64_t before_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  auto produced = Produce("lat", mine, Batch({"a", "b"}, 1000));
  ASSERT_EQ(produced.error_code, kNone);
  EXPECT_GE(produced.log_append_time_ms, before_ms);
  auto fetched = Fetch("lat", mine, 0);
  auto batches = k::DecodeBatches(fetched.records.value_or(""));
  ASSERT_TRUE(batches.ok()) << batches.status();
  ASSERT_EQ(batches->size(), 1u);
  EXPECT_EQ((*batches)[0].header.timestamp_type(), k::TimestampType::kLogAppendTime);
  EXPECT_EQ((*batches)[0].header.max_timestamp, produced.log_append_time_ms);
}

TEST_F(HandlersTest, OldMessageFormatVersionsAreAnsweredUnsupportedForMessageFormat) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  const int mine = LedBy("t", 1);
  ASSERT_GE(mine, 0);
  EXPECT_EQ(Produce("t", mine, "old-format-bytes", 1, /*version=*/2).error_code,
            C(k::ErrorCode::kUnsupportedForMessageFormat));
  EXPECT_EQ(Fetch("t", mine, 0, -1, /*version=*/3).error_code,
            C(k::ErrorCode::kUnsupportedForMessageFormat));
  EXPECT_EQ(manager_->Get("t", mine)->log()->log_end_offset(), 0);
}

TEST_F(HandlersTest, AcksZeroAppendsWithoutAResponse) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  const int mine = LedBy("t", 1);
  ASSERT_GE(mine, 0);
  k::ProduceRequest req;
  req.acks = 0;
  auto& t = req.topics.emplace_back();
  t.name = "t";
  t.partitions.push_back({mine, Batch({"a"}, 5)});
  auto resp = Call<k::ProduceResponse>(req, 7);
  EXPECT_TRUE(absl::IsNotFound(resp.status())) << resp.status();
  EXPECT_EQ(manager_->Get("t", mine)->log()->log_end_offset(), 1);
}

TEST_F(HandlersTest, FetchErrorsOutOfRangeAndFencedEpochs) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  const int mine = LedBy("t", 1);
  ASSERT_EQ(Produce("t", mine, Batch({"a"}, 1)).error_code, kNone);
  EXPECT_EQ(Fetch("t", mine, 5).error_code, C(k::ErrorCode::kOffsetOutOfRange));
  const int32_t epoch = cluster_.Partition("t", mine).leader_epoch;
  EXPECT_EQ(Fetch("t", mine, 0, epoch).error_code, kNone);
  EXPECT_EQ(Fetch("t", mine, 0, epoch + 1).error_code, C(k::ErrorCode::kUnknownLeaderEpoch));
  const int theirs = LedBy("t", 2);
  auto other = Fetch("t", theirs, 0);
  EXPECT_EQ(other.error_code, C(k::ErrorCode::kNotLeaderOrFollower));
  EXPECT_EQ(other.high_watermark, -1);
  // At the end: no records, no error (v12 flexible too).
  auto at_end = Fetch("t", mine, 1, -1, 12);
  EXPECT_EQ(at_end.error_code, kNone);
  EXPECT_TRUE(!at_end.records.has_value() || at_end.records->empty());
}

TEST_F(HandlersTest, ListOffsetsEarliestLatestAndByTimestamp) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  const int mine = LedBy("t", 1);
  ASSERT_GE(mine, 0);
  ASSERT_EQ(Produce("t", mine, Batch({"a", "b"}, 1000)).error_code, kNone);
  ASSERT_EQ(Produce("t", mine, Batch({"c"}, 5000)).error_code, kNone);
  k::ListOffsetsRequest req;
  auto& t = req.topics.emplace_back();
  t.name = "t";
  for (int64_t ts : {k::kListOffsetsEarliest, k::kListOffsetsLatest, int64_t{1001}, int64_t{4000},
                     int64_t{9000}}) {
    auto& p = t.partitions.emplace_back();
    p.partition_index = mine;
    p.timestamp = ts;
  }
  auto resp = Call<k::ListOffsetsResponse>(req, 5);
  ASSERT_TRUE(resp.ok()) << resp.status();
  const auto& ps = resp->topics.at(0).partitions;
  ASSERT_EQ(ps.size(), 5u);
  EXPECT_EQ(ps[0].offset, 0);
  EXPECT_EQ(ps[1].offset, 3);
  EXPECT_EQ(ps[2].offset, 1);
  EXPECT_EQ(ps[2].timestamp, 1001);
  EXPECT_EQ(ps[3].offset, 2);
  EXPECT_EQ(ps[4].offset, -1);
  EXPECT_EQ(ps[0].leader_epoch, cluster_.Partition("t", mine).leader_epoch);
}

TEST_F(HandlersTest, OffsetForLeaderEpochAnswersTheEpochEnd) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  const int mine = LedBy("t", 1);
  ASSERT_GE(mine, 0);
  ASSERT_EQ(Produce("t", mine, Batch({"a", "b"}, 1)).error_code, kNone);
  k::OffsetForLeaderEpochRequest req;
  auto& t = req.topics.emplace_back();
  t.topic = "t";
  const int32_t epoch = cluster_.Partition("t", mine).leader_epoch;
  t.partitions.push_back({mine, epoch, epoch});
  auto resp = Call<k::OffsetForLeaderEpochResponse>(req, 3);
  ASSERT_TRUE(resp.ok()) << resp.status();
  const auto& p = resp->topics.at(0).partitions.at(0);
  EXPECT_EQ(p.error_code, kNone);
  EXPECT_EQ(p.leader_epoch, epoch);
  EXPECT_EQ(p.end_offset, 2);
}

TEST_F(HandlersTest, CreateTopicsValidateOnlyThenCreateThenDelete) {
  k::CreateTopicsRequest create;
  auto& t = create.topics.emplace_back();
  t.name = "made";
  t.num_partitions = -1;  // broker default
  t.replication_factor = 2;
  t.configs.push_back({"retention.ms", std::string("60000")});
  create.validate_only = true;
  auto validated = Call<k::CreateTopicsResponse>(create, 5);
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_EQ(validated->topics.at(0).error_code, kNone);
  EXPECT_EQ(cluster_.image.TopicByName("made"), nullptr);
  create.validate_only = false;
  auto created = Call<k::CreateTopicsResponse>(create, 5);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->topics.at(0).error_code, kNone);
  ASSERT_NE(cluster_.image.TopicByName("made"), nullptr);
  EXPECT_EQ(cluster_.image.TopicByName("made")->configs.at("retention.ms"), "60000");
  auto again = Call<k::CreateTopicsResponse>(create, 5);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->topics.at(0).error_code, C(k::ErrorCode::kTopicAlreadyExists));
  admin_->refuse_as_status = true;
  auto refused = Call<k::CreateTopicsResponse>(create, 5);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->topics.at(0).error_code, C(k::ErrorCode::kTopicAlreadyExists));
  admin_->refuse_as_status = false;

  k::CreatePartitionsRequest grow;
  grow.topics.push_back({"made", 3, std::nullopt});
  auto grown = Call<k::CreatePartitionsResponse>(grow, 1);
  ASSERT_TRUE(grown.ok());
  EXPECT_EQ(grown->results.at(0).error_code, kNone);
  EXPECT_EQ(cluster_.Topic("made").partitions.size(), 3u);

  k::DeleteTopicsRequest del;
  del.topic_names = {"made", "never-was"};
  auto deleted = Call<k::DeleteTopicsResponse>(del, 1);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->responses.at(0).error_code, kNone);
  EXPECT_EQ(deleted->responses.at(1).error_code, C(k::ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(cluster_.image.TopicByName("made"), nullptr);
}

TEST_F(HandlersTest, SeveralTopicsInOneCreateAndOneDelete) {
  k::CreateTopicsRequest create;
  for (const char* name : {"one", "two", "three", "four", "five"}) {
    auto& t = create.topics.emplace_back();
    t.name = name;
    t.num_partitions = 1;
    t.replication_factor = 1;
  }
  auto created = Call<k::CreateTopicsResponse>(create, 4);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_EQ(created->topics.size(), 5u);
  for (const auto& t : created->topics) {
    EXPECT_EQ(t.error_code, kNone) << t.name;
    EXPECT_NE(cluster_.image.TopicByName(t.name), nullptr) << t.name;
  }
  k::DeleteTopicsRequest del;
  del.topic_names = {"one", "two", "three", "four", "five"};
  auto deleted = Call<k::DeleteTopicsResponse>(del, 4);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  for (const auto& r : deleted->responses) EXPECT_EQ(r.error_code, kNone) << r.name.value_or("");
  EXPECT_TRUE(cluster_.image.topics_by_id().empty());
}

TEST_F(HandlersTest, DescribeAndAlterTopicConfigs) {
  cluster_.CreateTopic("c", 1, 1, {{"retention.ms", "1000"}});
  Sync();
  k::IncrementalAlterConfigsRequest alter;
  auto& r = alter.resources.emplace_back();
  r.resource_type = k::kResourceTypeTopic;
  r.resource_name = "c";
  r.configs.push_back({"retention.ms", 0, std::string("2000")});
  r.configs.push_back({"max.message.bytes", 0, std::string("5000")});
  auto altered = Call<k::IncrementalAlterConfigsResponse>(alter, 1);
  ASSERT_TRUE(altered.ok()) << altered.status();
  EXPECT_EQ(altered->responses.at(0).error_code, kNone);
  EXPECT_EQ(cluster_.Topic("c").configs.at("retention.ms"), "2000");
  r.configs = {{"no.such.config", 0, std::string("1")}};
  alter.validate_only = true;
  auto bad = Call<k::IncrementalAlterConfigsResponse>(alter, 1);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->responses.at(0).error_code, C(k::ErrorCode::kInvalidConfig));

  k::DescribeConfigsRequest describe;
  describe.resources.push_back({k::kResourceTypeTopic, "c", std::nullopt});
  auto described = Call<k::DescribeConfigsResponse>(describe, 1);
  ASSERT_TRUE(described.ok()) << described.status();
  std::map<std::string, std::optional<std::string>> values;
  for (const auto& c : described->results.at(0).configs) values[c.name] = c.value;
  EXPECT_EQ(values["retention.ms"], "2000");
  EXPECT_EQ(values["max.message.bytes"], "5000");
  EXPECT_TRUE(values.count("cleanup.policy") > 0);
}

TEST_F(HandlersTest, DescribeClusterAndInitProducerId) {
  auto cluster = Call<k::DescribeClusterResponse>(k::DescribeClusterRequest{}, 0);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ(cluster->cluster_id, "test-cluster");
  EXPECT_EQ(cluster->controller_id, 1);
  EXPECT_EQ(cluster->brokers.size(), 3u);
  auto a = Call<k::InitProducerIdResponse>(k::InitProducerIdRequest{}, 1);
  auto b = Call<k::InitProducerIdResponse>(k::InitProducerIdRequest{}, 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->error_code, kNone);
  EXPECT_EQ(b->error_code, kNone);
  // The first block the controller hands out starts at 0; one request got it, both use it.
  EXPECT_EQ(a->producer_id, 0);
  EXPECT_EQ(b->producer_id, 1);
  EXPECT_EQ(b->producer_epoch, 0);
  EXPECT_EQ(admin_->calls, 1);
  EXPECT_EQ(cluster_.image.next_producer_id(), controller::kProducerIdBlockSize);
}

TEST_F(HandlersTest, InitProducerIdWithoutAControllerIsRetriable) {
  admin_->unavailable = true;
  auto failed = Call<k::InitProducerIdResponse>(k::InitProducerIdRequest{}, 4);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->error_code, C(k::ErrorCode::kCoordinatorLoadInProgress));
  EXPECT_EQ(failed->producer_id, -1);
  // The client retries; once the controller answers it gets an id.
  admin_->unavailable = false;
  auto ok = Call<k::InitProducerIdResponse>(k::InitProducerIdRequest{}, 4);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->error_code, kNone);
  EXPECT_EQ(ok->producer_id, 0);
}

TEST_F(HandlersTest, MetricsCountRequestsByApiAndErrorInTheGrpcFamilies) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  (void)Produce("t", LedBy("t", 1), Batch({"a"}, 1));
  (void)Produce("t", LedBy("t", 2), Batch({"a"}, 1));
  const std::string text = registry_->ScrapeText();
  EXPECT_NE(text.find("keel_grpc_server_requests_total{api=\"Produce\",code=\"NONE\","
                      "listener=\"kafka\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("api=\"Produce\",code=\"NOT_LEADER_OR_FOLLOWER\",listener=\"kafka\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("keel_grpc_server_request_duration_seconds_count{api=\"Produce\","
                      "listener=\"kafka\"} 2"),
            std::string::npos);
}

// Random and mutated frames through the dispatcher for a bounded time (fixed seed, printed
// on failure): nothing crashes, every answer is a well-formed frame with the request's
// correlation id, and the log is never handed a record the decoder did not check.
class DispatcherFuzzTest : public HandlersTest {
 protected:
  DispatcherFuzzTest() { max_fetch_wait_ms_ = 5; }
};

TEST_F(DispatcherFuzzTest, RandomAndMutatedFramesNeverCrashAndAnswersAreWellFormed) {
  cluster_.CreateTopic("t", 3, 1);
  Sync();
  admin_->unavailable = true;  // admin requests fail fast instead of changing the image
  const int mine = LedBy("t", 1);
  ASSERT_GE(mine, 0);
  // Seeds: one valid frame per API, at a few versions.
  std::vector<std::string> seeds;
  auto add = [&](absl::StatusOr<std::string> frame) {
    ASSERT_TRUE(frame.ok()) << frame.status();
    seeds.push_back(frame->substr(4));
  };
  k::ProduceRequest produce;
  produce.acks = 1;
  produce.timeout_ms = 100;
  produce.topics.push_back({"t", {{mine, Batch({"a", "b"}, 5, k::Compression::kGzip)}}});
  add(k::EncodeRequestFrame(produce, 7, 1, "fuzz"));
  add(k::EncodeRequestFrame(produce, 9, 1, "fuzz"));
  k::FetchRequest fetch;
  fetch.max_wait_ms = 1;
  fetch.topics.push_back({"t", {}, {{mine, -1, 0, -1, -1, 1 << 16, {}}}});
  add(k::EncodeRequestFrame(fetch, 4, 1, "fuzz"));
  add(k::EncodeRequestFrame(fetch, 12, 1, "fuzz"));
  k::MetadataRequest metadata;
  add(k::EncodeRequestFrame(metadata, 1, 1, "fuzz"));
  add(k::EncodeRequestFrame(metadata, 9, 1, "fuzz"));
  add(k::EncodeRequestFrame(k::ApiVersionsRequest{"fuzz", "1"}, 3, 1, "fuzz"));
  k::ListOffsetsRequest list;
  list.topics.push_back({"t", {{mine, -1, -1, 1}}});
  add(k::EncodeRequestFrame(list, 1, 1, "fuzz"));
  add(k::EncodeRequestFrame(list, 7, 1, "fuzz"));
  k::CreateTopicsRequest create;
  create.topics.push_back({"x", 1, 1, {}, {{"retention.ms", std::string("1")}}});
  add(k::EncodeRequestFrame(create, 4, 1, "fuzz"));
  add(k::EncodeRequestFrame(k::DescribeConfigsRequest{{{2, "t", std::nullopt}}}, 4, 1, "f"));
  add(k::EncodeRequestFrame(k::InitProducerIdRequest{}, 4, 1, "fuzz"));

  const uint64_t seed = 20261202;
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int runs = 0, answered = 0;
  for (; runs < 20000 && std::chrono::steady_clock::now() < deadline; ++runs) {
    std::string frame;
    if (pick(10) == 0) {
      frame.resize(pick(64) + 8);
      for (char& c : frame) c = static_cast<char>(rng());
    } else {
      frame = seeds[pick(seeds.size())];
      const int edits = 1 + static_cast<int>(pick(4));
      for (int e = 0; e < edits && !frame.empty(); ++e) {
        switch (pick(4)) {
          case 0: frame[pick(frame.size())] = static_cast<char>(rng()); break;
          case 1: frame.resize(pick(frame.size() + 1)); break;
          case 2: frame.insert(pick(frame.size() + 1), std::string(1 + pick(8), static_cast<char>(rng()))); break;
          default: frame[8 + pick(frame.size() > 8 ? frame.size() - 8 : 1) % frame.size()] ^= 0x80; break;
        }
      }
    }
    auto outcome = dispatcher_->Process(frame, "fuzz", [] { return false; });
    if (!outcome.status.ok() || !outcome.response.has_value()) continue;
    ++answered;
    const std::string& out = *outcome.response;
    ASSERT_GE(out.size(), 8u) << "seed " << seed << " run " << runs;
    const uint32_t size = (static_cast<uint8_t>(out[0]) << 24) | (static_cast<uint8_t>(out[1]) << 16) |
                          (static_cast<uint8_t>(out[2]) << 8) | static_cast<uint8_t>(out[3]);
    ASSERT_EQ(size, out.size() - 4) << "seed " << seed << " run " << runs;
    ASSERT_EQ(out.substr(4, 4), frame.substr(4, 4)) << "correlation id, seed " << seed;
  }
  EXPECT_GT(answered, 0);
  // The partition is still readable from the start after whatever was appended.
  EXPECT_EQ(Fetch("t", mine, 0).error_code, kNone);
  std::printf("fuzz: %d frames, %d answered\n", runs, answered);
}

// A blocking loopback client with a bounded wait for each read.
class Socket {
 public:
  explicit Socket(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~Socket() { close(fd_); }
  void Send(const std::string& bytes) {
    EXPECT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // The next response frame without its size, or "" if the server closed (5 s bound).
  std::string Receive() {
    std::string size = ReadN(4);
    if (size.size() < 4) return "";
    const uint32_t n = (static_cast<uint8_t>(size[0]) << 24) |
                       (static_cast<uint8_t>(size[1]) << 16) |
                       (static_cast<uint8_t>(size[2]) << 8) | static_cast<uint8_t>(size[3]);
    return ReadN(n);
  }

 private:
  std::string ReadN(size_t n) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t got = recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  int fd_ = -1;
};

TEST_F(HandlersTest, OverSocketsABadClientClosesOnlyItsOwnConnection) {
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.max_request_bytes = 64 << 10;
  auto server = Server::Start(o, dispatcher_.get());
  ASSERT_TRUE(server.ok()) << server.status();
  auto api_versions = k::EncodeRequestFrame(k::ApiVersionsRequest{}, 2, 5, "good");
  ASSERT_TRUE(api_versions.ok());
  Socket good((*server)->port());
  good.Send(*api_versions);
  EXPECT_FALSE(good.Receive().empty());

  Socket unknown_api((*server)->port());
  std::string unknown_frame = k::StartRequestFrame({57, 0, 1, "x"});
  k::FinishFrame(unknown_frame);
  unknown_api.Send(unknown_frame);
  EXPECT_EQ(unknown_api.Receive(), "");
  Socket oversize((*server)->port());
  oversize.Send(std::string("\x00\x10\x00\x01", 4));  // 1 MiB + 1 > 64 KiB
  EXPECT_EQ(oversize.Receive(), "");
  Socket garbage((*server)->port());
  garbage.Send(std::string("\x00\x00\x00\x0a", 4) + std::string(10, '\xff'));
  EXPECT_EQ(garbage.Receive(), "");

  good.Send(*api_versions);  // the good connection was not disturbed
  const std::string again = good.Receive();
  ASSERT_FALSE(again.empty());
  auto parsed = k::ParseResponse(again, k::ApiKey::kApiVersions, 2);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->correlation_id, 5);
  (*server)->Stop();
}

}  // namespace
}  // namespace keel::broker::kafka

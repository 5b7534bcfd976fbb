#include "client/producer.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "client/serializers.h"
#include "client/testing/fake_cluster.h"
#include "proto/common.pb.h"

namespace keel::client {
namespace {

using std::chrono::milliseconds;
using testing::FakeBroker;
using testing::FakeController;
using Clock = std::chrono::steady_clock;

constexpr auto kWait = std::chrono::seconds(10);

// A controller and two brokers; topic "t" with `partitions` partitions led by broker 1.
class ProducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    controller_.SetBroker(1, b1_.address());
    controller_.SetBroker(2, b2_.address());
    SetTopic(1);
  }
  void SetTopic(int partitions, int32_t leader = 1) {
    controller_.SetTopic("t", std::vector<int32_t>(partitions, leader));
  }
  std::unique_ptr<Producer> Make(ProducerConfig config) {
    AdminClientOptions options;
    options.controllers = {controller_.address()};
    auto admin = std::make_shared<AdminClient>(options);
    metadata_ = std::make_shared<MetadataCache>(admin, std::vector<std::string>{});
    return std::make_unique<Producer>(config, metadata_);
  }
  static ProducerConfig Config() {
    ProducerConfig c;
    c.linger_ms = 0;
    c.retry_backoff_ms = 20;
    c.request_timeout_ms = 2000;
    c.delivery_timeout_ms = 10000;
    return c;
  }
  static ProducerRecord Rec(const std::string& value, int32_t partition = 0) {
    ProducerRecord r;
    r.topic = "t";
    r.value = value;
    r.partition = partition;
    return r;
  }
  static std::vector<std::string> Values(const std::vector<broker::Record>& log) {
    std::vector<std::string> out;
    for (const auto& r : log) out.push_back(r.value());
    return out;
  }

  FakeController controller_;
  FakeBroker b1_{1};
  FakeBroker b2_{2};
  std::shared_ptr<MetadataCache> metadata_;
};

TEST_F(ProducerTest, SendsARecordAndReportsItsOffset) {
  auto producer = Make(Config());
  auto f0 = producer->Send(Rec("a"));
  auto f1 = producer->Send(Rec("b"));
  ASSERT_EQ(f0.wait_for(kWait), std::future_status::ready);
  ASSERT_EQ(f1.wait_for(kWait), std::future_status::ready);
  auto m0 = f0.get();
  auto m1 = f1.get();
  ASSERT_TRUE(m0.ok()) << m0.status();
  ASSERT_TRUE(m1.ok()) << m1.status();
  EXPECT_EQ(m0->partition, 0);
  EXPECT_EQ(m0->offset, 0);
  EXPECT_EQ(m1->offset, 1);
  EXPECT_EQ(Values(b1_.Log("t", 0)), (std::vector<std::string>{"a", "b"}));
}

// A null value (a tombstone for a compacted topic) and a null key reach the broker as unset
// fields; empty ones as present and empty. Both Send forms.
TEST_F(ProducerTest, NullAndEmptyKeysAndValuesReachTheBrokerAsSent) {
  auto producer = Make(Config());
  ProducerRecord tombstone;
  tombstone.topic = "t";
  tombstone.partition = 0;
  tombstone.key = "gone";  // value left unset: null
  ProducerRecord empty = Rec("");
  empty.key = "";
  auto f0 = producer->Send(std::move(tombstone));
  auto f1 = producer->Send(std::move(empty));
  ProducerRecordView view;
  view.topic = "t";
  view.partition = 0;
  view.value = absl::string_view();  // present, empty; the key stays null
  std::promise<absl::StatusOr<RecordMetadata>> p2;
  ASSERT_TRUE(producer
                  ->Send(view, [&](const absl::StatusOr<RecordMetadata>& m) { p2.set_value(m); })
                  .ok());
  for (auto* f : {&f0, &f1}) {
    ASSERT_EQ(f->wait_for(kWait), std::future_status::ready);
    ASSERT_TRUE(f->get().ok());
  }
  auto f2 = p2.get_future();
  ASSERT_EQ(f2.wait_for(kWait), std::future_status::ready);
  ASSERT_TRUE(f2.get().ok());
  const std::vector<broker::Record> log = b1_.Log("t", 0);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].key(), "gone");
  EXPECT_FALSE(log[0].has_value());
  EXPECT_TRUE(log[1].has_key());
  EXPECT_TRUE(log[1].has_value());
  EXPECT_EQ(log[1].value(), "");
  EXPECT_FALSE(log[2].has_key());
  EXPECT_TRUE(log[2].has_value());
}

TEST_F(ProducerTest, AFullBatchIsSentWithoutWaitingForLinger) {
  ProducerConfig c = Config();
  c.linger_ms = 60000;
  // Each record of a 100-byte value counts 124 bytes: 8 fill 992 of 1000 bytes.
  c.batch_size_bytes = 1000;
  auto producer = Make(c);
  std::vector<std::future<absl::StatusOr<RecordMetadata>>> first;
  for (int i = 0; i < 8; ++i) first.push_back(producer->Send(Rec(std::string(100, 'x'))));
  // Not full yet: nothing is sent for a minute.
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(b1_.produce_calls(), 0);
  // The ninth does not fit: the first batch is full and goes now.
  auto ninth = producer->Send(Rec(std::string(100, 'y')));
  for (auto& f : first) {
    ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(f.get().ok());
  }
  EXPECT_EQ(b1_.entry_sizes(), std::vector<int>{8});
  EXPECT_EQ(ninth.wait_for(milliseconds(200)), std::future_status::timeout);
  producer->Flush();
  EXPECT_EQ(ninth.wait_for(milliseconds(0)), std::future_status::ready);
  EXPECT_EQ(b1_.entry_sizes(), (std::vector<int>{8, 1}));
}

TEST_F(ProducerTest, ABatchWaitsLingerMsThenGoesAsOneCall) {
  ProducerConfig c = Config();
  c.linger_ms = 300;
  auto producer = Make(c);
  const auto start = Clock::now();
  std::vector<std::future<absl::StatusOr<RecordMetadata>>> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(producer->Send(Rec(std::to_string(i))));
  for (auto& f : futures) ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(280));
  EXPECT_LT(elapsed, milliseconds(3000));
  EXPECT_EQ(b1_.produce_calls(), 1);
  EXPECT_EQ(b1_.entry_sizes(), std::vector<int>{5});
}

TEST_F(ProducerTest, SendBlocksWhenBufferMemoryIsFullThenFailsAfterMaxBlockMs) {
  ProducerConfig c = Config();
  c.buffer_memory_bytes = 1000;
  c.max_block_ms = 200;
  auto producer = Make(c);
  b1_.SetProduceDelay(milliseconds(1500));
  // 8 x 124 bytes = 992 of 1000: the 9th does not fit while they are unacknowledged.
  std::vector<std::future<absl::StatusOr<RecordMetadata>>> futures;
  for (int i = 0; i < 8; ++i) {
    futures.push_back(producer->Send(Rec(std::string(100, 'x'))));
  }
  const auto start = Clock::now();
  absl::Status blocked = producer->Send(Rec(std::string(100, 'z')), nullptr);
  const auto waited = Clock::now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(blocked)) << blocked;
  EXPECT_GE(waited, milliseconds(180));
  EXPECT_LT(waited, milliseconds(1400));
  // Once the broker answers, memory is freed and Send goes through again.
  for (auto& f : futures) ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  std::atomic<bool> done{false};
  absl::Status later = producer->Send(Rec(std::string(100, 'w')),
                                      [&](const absl::StatusOr<RecordMetadata>&) { done = true; });
  EXPECT_TRUE(later.ok()) << later;
  producer->Flush();
  EXPECT_TRUE(done);
  EXPECT_EQ(producer->metrics().buffer_used_bytes, 0);
}

TEST_F(ProducerTest, NotLeaderWithAHintMovesThePartitionToTheNamedLeader) {
  auto producer = Make(Config());
  keel::NodeAddress b2;
  b2.set_node_id(2);
  b2.set_address(b2_.address());
  b1_.SetProduceHook([&](const std::string&, int32_t, const broker::ProducePartitionData&) {
    return FakeBroker::Refusal{keel::NOT_LEADER_OR_FOLLOWER, b2};
  });
  std::vector<std::future<absl::StatusOr<RecordMetadata>>> futures;
  for (int i = 0; i < 20; ++i) futures.push_back(producer->Send(Rec(std::to_string(i))));
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(futures[i].wait_for(kWait), std::future_status::ready);
    auto m = futures[i].get();
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->offset, i);
  }
  EXPECT_TRUE(b1_.Log("t", 0).empty());
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(std::to_string(i));
  EXPECT_EQ(Values(b2_.Log("t", 0)), expected);
  EXPECT_GE(producer->metrics().retries, 1);
}

TEST_F(ProducerTest, NotLeaderWithoutAHintRefreshesTheMetadata) {
  auto producer = Make(Config());
  std::atomic<int> refusals{0};
  b1_.SetProduceHook([&](const std::string&, int32_t, const broker::ProducePartitionData&) {
    ++refusals;
    controller_.SetTopic("t", {2});  // leadership moved; only the controllers know where
    return FakeBroker::Refusal{keel::NOT_LEADER_OR_FOLLOWER, {}};
  });
  auto f = producer->Send(Rec("moved"));
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  ASSERT_TRUE(f.get().ok());
  EXPECT_EQ(refusals.load(), 1);
  EXPECT_EQ(Values(b2_.Log("t", 0)), std::vector<std::string>{"moved"});
  EXPECT_GE(controller_.describe_topics_calls(), 2);
  EXPECT_GE(producer->metrics().metadata_refreshes, 1);
}

TEST_F(ProducerTest, RetriesAreBoundedByTheRetriesSetting) {
  ProducerConfig c = Config();
  c.retries = 2;
  auto producer = Make(c);
  b1_.SetProduceHook([](const std::string&, int32_t, const broker::ProducePartitionData&) {
    return FakeBroker::Refusal{keel::NOT_ENOUGH_REPLICAS, {}};
  });
  auto f = producer->Send(Rec("x"));
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  auto m = f.get();
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("NOT_ENOUGH_REPLICAS"), std::string::npos) << m.status();
  EXPECT_EQ(b1_.produce_calls(), 3);  // the first try and two retries
}

TEST_F(ProducerTest, ARecordFailsOnceDeliveryTimeoutPasses) {
  ProducerConfig c = Config();
  c.request_timeout_ms = 200;
  c.delivery_timeout_ms = 600;
  auto producer = Make(c);
  b1_.SetProduceHook([](const std::string&, int32_t, const broker::ProducePartitionData&) {
    return FakeBroker::Refusal{keel::NOT_ENOUGH_REPLICAS, {}};
  });
  const auto start = Clock::now();
  auto f = producer->Send(Rec("x"));
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  const auto elapsed = Clock::now() - start;
  auto m = f.get();
  EXPECT_TRUE(absl::IsDeadlineExceeded(m.status())) << m.status();
  EXPECT_GE(elapsed, milliseconds(550));
  EXPECT_LT(elapsed, milliseconds(3000));
  EXPECT_GE(b1_.produce_calls(), 3);
}

TEST_F(ProducerTest, AnUnreachableLeaderFailsRecordsAtDeliveryTimeout) {
  controller_.SetBroker(1, "127.0.0.1:1");  // nothing listens there
  ProducerConfig c = Config();
  c.request_timeout_ms = 200;
  c.delivery_timeout_ms = 700;
  auto producer = Make(c);
  auto f = producer->Send(Rec("x"));
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(absl::IsDeadlineExceeded(f.get().status()));
}

TEST_F(ProducerTest, ANonRetriableErrorFailsAtOnce) {
  auto producer = Make(Config());
  b1_.SetProduceHook([](const std::string&, int32_t, const broker::ProducePartitionData&) {
    return FakeBroker::Refusal{keel::INVALID_REQUIRED_ACKS, {}};
  });
  auto f = producer->Send(Rec("x"));
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  auto m = f.get();
  EXPECT_TRUE(absl::IsInvalidArgument(m.status())) << m.status();
  EXPECT_EQ(b1_.produce_calls(), 1);
}

TEST_F(ProducerTest, KeepsPerPartitionOrderAcrossRetriesAndLeaderMoves) {
  SetTopic(4);
  ProducerConfig c = Config();
  c.batch_size_bytes = 300;  // small batches: many calls, many merges
  c.max_in_flight_requests_per_connection = 5;
  auto producer = Make(c);
  keel::NodeAddress b2;
  b2.set_node_id(2);
  b2.set_address(b2_.address());
  std::atomic<int> calls{0};
  // Every third batch is refused: at first with "retry here", later the leader moves to b2.
  b1_.SetProduceHook([&](const std::string&, int32_t, const broker::ProducePartitionData&) {
    int n = ++calls;
    if (n % 3 != 0) return FakeBroker::Refusal{};
    if (n < 30) return FakeBroker::Refusal{keel::NOT_ENOUGH_REPLICAS, {}};
    return FakeBroker::Refusal{keel::NOT_LEADER_OR_FOLLOWER, b2};
  });
  b2_.SetProduceHook([&](const std::string&, int32_t, const broker::ProducePartitionData&) {
    static std::atomic<int> n{0};
    return ++n % 4 == 0 ? FakeBroker::Refusal{keel::REQUEST_TIMED_OUT, {}} : FakeBroker::Refusal{};
  });
  constexpr int kRecords = 2000;
  std::atomic<int> ok{0};
  for (int i = 0; i < kRecords; ++i) {
    ProducerRecord r = Rec(std::to_string(i), i % 4);
    ASSERT_TRUE(producer->Send(std::move(r), [&](const absl::StatusOr<RecordMetadata>& m) {
                  if (m.ok()) ++ok;
                }).ok());
  }
  producer->Flush();
  EXPECT_EQ(ok.load(), kRecords);
  for (int p = 0; p < 4; ++p) {
    // Some of the partition's records are on b1, the rest (after its move) on b2; each part is
    // in Send order and b2's part continues where b1's stopped.
    std::vector<std::string> values = Values(b1_.Log("t", p));
    for (const auto& v : Values(b2_.Log("t", p))) values.push_back(v);
    ASSERT_EQ(values.size(), static_cast<size_t>(kRecords / 4)) << "partition " << p;
    for (int i = 0; i < kRecords / 4; ++i) {
      ASSERT_EQ(values[i], std::to_string(i * 4 + p)) << "partition " << p << " index " << i;
    }
  }
  EXPECT_LE(b1_.max_concurrent_produces(), 5);
}

TEST_F(ProducerTest, AtMostMaxInFlightCallsPerBroker) {
  SetTopic(8);
  ProducerConfig c = Config();
  c.max_in_flight_requests_per_connection = 2;
  auto producer = Make(c);
  b1_.SetProduceDelay(milliseconds(100));
  for (int round = 0; round < 5; ++round) {
    for (int p = 0; p < 8; ++p) ASSERT_TRUE(producer->Send(Rec("v", p), nullptr).ok());
    std::this_thread::sleep_for(milliseconds(20));
  }
  producer->Flush();
  EXPECT_LE(b1_.max_concurrent_produces(), 2);
  size_t total = 0;
  for (int p = 0; p < 8; ++p) total += b1_.Log("t", p).size();
  EXPECT_EQ(total, 40u);
}

TEST_F(ProducerTest, KeysGoWhereKafkasPartitionerPutsThem) {
  SetTopic(6);
  auto producer = Make(Config());
  std::vector<std::string> keys = {"21", "foobar", "abc", "user-1", "user-2", "k"};
  for (const auto& k : keys) {
    ProducerRecord r;
    r.topic = "t";
    r.key = k;
    r.value = k;
    auto f = producer->Send(std::move(r));
    ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
    auto m = f.get();
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->partition, KeyPartition(k, 6)) << k;
  }
}

TEST_F(ProducerTest, KeylessRecordsStickToOnePartitionPerBatch) {
  SetTopic(4);
  ProducerConfig c = Config();
  c.linger_ms = 60000;
  c.batch_size_bytes = 25 * 10;  // 10 records of a 1-byte value
  auto producer = Make(c);
  std::vector<std::future<absl::StatusOr<RecordMetadata>>> futures;
  for (int i = 0; i < 200; ++i) {
    ProducerRecord r;
    r.topic = "t";
    r.value = "v";
    futures.push_back(producer->Send(std::move(r)));
  }
  producer->Flush();
  std::map<int32_t, int> per_partition;
  for (auto& f : futures) {
    auto m = f.get();
    ASSERT_TRUE(m.ok());
    ++per_partition[m->partition];
  }
  EXPECT_GE(per_partition.size(), 2u);  // it moved between batches
  // Every broker batch holds records of one partition, whole batches of 10.
  for (int size : b1_.entry_sizes()) EXPECT_EQ(size % 10, 0) << size;
}

TEST_F(ProducerTest, CloseIsBoundedAndFailsWhatIsLeft) {
  b1_.SetProduceDelay(milliseconds(3000));
  ProducerConfig c = Config();
  c.request_timeout_ms = 5000;
  auto producer = Make(c);
  auto f = producer->Send(Rec("slow"));
  std::this_thread::sleep_for(milliseconds(100));
  const auto start = Clock::now();
  absl::Status closed = producer->Close(milliseconds(300));
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(closed)) << closed;
  EXPECT_LT(elapsed, milliseconds(2000));
  ASSERT_EQ(f.wait_for(milliseconds(0)), std::future_status::ready);
  EXPECT_FALSE(f.get().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(producer->Send(Rec("late"), nullptr)));
}

TEST_F(ProducerTest, CloseSendsWhatIsQueued) {
  ProducerConfig c = Config();
  c.linger_ms = 60000;
  auto producer = Make(c);
  auto f = producer->Send(Rec("queued"));
  EXPECT_TRUE(producer->Close(milliseconds(5000)).ok());
  ASSERT_EQ(f.wait_for(milliseconds(0)), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(Values(b1_.Log("t", 0)), std::vector<std::string>{"queued"});
}

TEST_F(ProducerTest, ImmediateErrorsAreReturnedNotCalledBack) {
  ProducerConfig c = Config();
  c.max_block_ms = 300;
  c.max_request_size_bytes = 1000;
  auto producer = Make(c);
  bool called = false;
  auto cb = [&](const absl::StatusOr<RecordMetadata>&) { called = true; };
  EXPECT_TRUE(absl::IsInvalidArgument(producer->Send(Rec(std::string(2000, 'x')), cb)));
  EXPECT_TRUE(absl::IsInvalidArgument(producer->Send(Rec("x", 7), cb)));  // no partition 7
  ProducerRecord unknown = Rec("x");
  unknown.topic = "missing";
  EXPECT_FALSE(producer->Send(std::move(unknown), cb).ok());
  producer->Flush();
  EXPECT_FALSE(called);
}

TEST_F(ProducerTest, SerializersRoundTrip) {
  auto producer = Make(Config());
  nlohmann::json doc = {{"user", "ada"}, {"n", 3}};
  keel::NodeAddress message;
  message.set_node_id(7);
  message.set_address("h:1");
  auto f1 = producer->Send(Rec(JsonSerializer()(doc)));
  auto f2 = producer->Send(Rec(ProtobufSerializer()(message)));
  auto f3 = producer->Send(Rec(StringSerializer()("plain")));
  producer->Flush();
  auto log = b1_.Log("t", 0);
  ASSERT_EQ(log.size(), 3u);
  auto json = DeserializeJson(log[0].value());
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["user"], "ada");
  auto proto = DeserializeProtobuf<keel::NodeAddress>(log[1].value());
  ASSERT_TRUE(proto.ok());
  EXPECT_EQ(proto->node_id(), 7);
  EXPECT_EQ(log[2].value(), "plain");
  EXPECT_FALSE(DeserializeJson("{not json").ok());
}

}  // namespace
}  // namespace keel::client

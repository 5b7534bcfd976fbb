// The broker data path with real processes: 3 controllers and 2 brokers on loopback.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool DirExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

class BrokerDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    controllers_ = std::make_unique<ControllerCluster>(ControllerClusterOptions{});
    ASSERT_TRUE(controllers_->StartAll());
    ASSERT_GT(controllers_->WaitForLeader(seconds(20)), 0);
    std::vector<std::string> addresses;
    for (int id : controllers_->ids()) addresses.push_back(controllers_->Address(id));
    client_ = std::make_unique<ControllerClient>(addresses);
    brokers_ = std::make_unique<BrokerSet>(controllers_.get(), BrokerSetOptions{});
    ASSERT_TRUE(brokers_->StartAll());
    ASSERT_TRUE(brokers_->WaitAllUnfenced(client_.get(), seconds(20)))
        << brokers_->BrokerLog(1) << "\n" << brokers_->BrokerLog(2);
    data_ = std::make_unique<DataClient>(client_.get());
  }

  void TearDown() override {
    if (HasFailure()) PrintBrokerLogTails(*brokers_);
  }

  void CreateTopic(const std::string& name, int partitions, int rf,
                   std::map<std::string, std::string> configs = {}) {
    ASSERT_EQ(CreateTopicWithConfigs(client_.get(), name, partitions, rf, configs), "");
  }

  // Every record of topic-partition from offset 0 up to the high watermark.
  std::vector<broker::Record> FetchAll(const std::string& topic, int partition) {
    std::vector<broker::Record> out;
    int64_t offset = 0;
    for (int round = 0; round < 10000; ++round) {
      broker::FetchPartitionData d = data_->Fetch(topic, partition, offset);
      EXPECT_EQ(d.error(), keel::NONE) << d.error_message();
      if (d.error() != keel::NONE) break;
      size_t before = out.size();
      for (const auto& b : d.batches()) {
        for (const auto& r : b.records()) out.push_back(r);
      }
      if (out.size() == before) break;  // reached the high watermark
      offset = out.back().offset() + 1;
    }
    return out;
  }

  std::unique_ptr<ControllerCluster> controllers_;
  std::unique_ptr<ControllerClient> client_;
  std::unique_ptr<BrokerSet> brokers_;
  std::unique_ptr<DataClient> data_;
};

TEST_F(BrokerDataTest, HundredThousandRecordsAcrossPartitionsComeBackInOrder) {
  constexpr int kPartitions = 4;
  constexpr int kRecords = 100000;
  constexpr int kBatch = 1000;
  CreateTopic("events", kPartitions, 1);
  // Both brokers lead some partitions (placement spreads leaders).
  std::set<int> leaders;
  for (int p = 0; p < kPartitions; ++p) leaders.insert(data_->Leader("events", p));
  EXPECT_EQ(leaders.size(), 2u);

  std::map<int, int> next_seq;  // per partition, the next sequence number produced
  for (int i = 0; i < kRecords; i += kBatch) {
    const int partition = (i / kBatch) % kPartitions;
    std::vector<std::pair<std::string, std::string>> batch;
    for (int j = 0; j < kBatch; ++j) {
      const int seq = next_seq[partition]++;
      batch.emplace_back("k" + std::to_string(seq),
                         "p" + std::to_string(partition) + "-" + std::to_string(seq) +
                             std::string(80, 'x'));
    }
    auto r = data_->Produce("events", partition, batch);
    ASSERT_EQ(r.error, keel::NONE) << r.message;
    ASSERT_EQ(r.base_offset, next_seq[partition] - kBatch);
  }
  int total = 0;
  for (int p = 0; p < kPartitions; ++p) {
    std::vector<broker::Record> records = FetchAll("events", p);
    ASSERT_EQ(static_cast<int>(records.size()), next_seq[p]) << "partition " << p;
    for (int seq = 0; seq < static_cast<int>(records.size()); ++seq) {
      ASSERT_EQ(records[seq].offset(), seq);
      ASSERT_EQ(records[seq].key(), "k" + std::to_string(seq));
      ASSERT_EQ(records[seq].value(),
                "p" + std::to_string(p) + "-" + std::to_string(seq) + std::string(80, 'x'));
      ASSERT_GT(records[seq].timestamp_ms(), 0);  // stamped by the broker
    }
    total += static_cast<int>(records.size());
  }
  EXPECT_EQ(total, kRecords);
}

TEST_F(BrokerDataTest, SigkilledBrokerRecoversEveryAcknowledgedRecord) {
  CreateTopic("durable", 2, 1, {{"flush.messages", "1"}});
  const int victim = data_->Leader("durable", 0);
  ASSERT_GT(victim, 0);
  std::atomic<bool> stop{false};
  std::map<int, int64_t> acked;  // partition -> acknowledged record count
  for (int p = 0; p < 2; ++p) acked[p] = 0;
  // Produce until the kill lands, counting only acknowledged batches.
  std::thread producer([&] {
    DataClient own(client_.get());
    for (int i = 0; i < 2000 && !stop; ++i) {
      const int p = i % 2;
      std::vector<std::pair<std::string, std::string>> batch;
      for (int j = 0; j < 10; ++j) {
        batch.emplace_back("", "r" + std::to_string(acked[p] + j));
      }
      auto r = own.Produce("durable", p, batch, broker::ACKS_LEADER, milliseconds(200));
      if (r.error == keel::NONE) {
        EXPECT_EQ(r.base_offset, acked[p]);
        acked[p] += 10;
      }
    }
  });
  std::this_thread::sleep_for(milliseconds(800));
  brokers_->KillBroker(victim);
  std::this_thread::sleep_for(milliseconds(300));
  stop = true;
  producer.join();
  ASSERT_GT(acked[0] + acked[1], 0);

  ASSERT_TRUE(brokers_->StartBroker(victim));
  ASSERT_TRUE(brokers_->WaitAllUnfenced(client_.get(), seconds(20)));
  for (int p = 0; p < 2; ++p) {
    std::vector<broker::Record> records = FetchAll("durable", p);
    ASSERT_GE(static_cast<int64_t>(records.size()), acked[p]) << "partition " << p;
    for (int64_t i = 0; i < acked[p]; ++i) {
      ASSERT_EQ(records[i].value(), "r" + std::to_string(i));
    }
  }
  // And the restarted broker takes new writes after the recovered data.
  auto r = data_->Produce("durable", 0, {{"", "after"}});
  ASSERT_EQ(r.error, keel::NONE) << r.message;
  EXPECT_GE(r.base_offset, acked[0]);
}

TEST_F(BrokerDataTest, LongPollFetchReturnsAsSoonAsDataArrives) {
  CreateTopic("poll", 1, 1);
  ASSERT_EQ(data_->Produce("poll", 0, {{"", "first"}}).error, keel::NONE);
  std::atomic<int64_t> returned_after_ms{-1};
  broker::FetchPartitionData got;
  std::thread fetcher([&] {
    DataClient own(client_.get());
    own.Leader("poll", 0);
    const auto start = std::chrono::steady_clock::now();
    got = own.Fetch("poll", 0, 1, 1 << 20, /*max_wait_ms=*/8000);
    returned_after_ms = std::chrono::duration_cast<milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
  });
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_EQ(returned_after_ms.load(), -1) << "the fetch did not wait for data";
  ASSERT_EQ(data_->Produce("poll", 0, {{"", "second"}}).error, keel::NONE);
  fetcher.join();
  ASSERT_EQ(got.error(), keel::NONE);
  ASSERT_EQ(got.batches_size(), 1);
  EXPECT_EQ(got.batches(0).records(0).value(), "second");
  EXPECT_EQ(got.batches(0).records(0).offset(), 1);
  EXPECT_GE(returned_after_ms.load(), 900);
  EXPECT_LT(returned_after_ms.load(), 4000) << "returned at the timeout, not on arrival";
}

TEST_F(BrokerDataTest, ErrorsAreKafkaCodes) {
  CreateTopic("small", 1, 1, {{"max.message.bytes", "1000"}});
  const int leader = data_->Leader("small", 0);
  ASSERT_GT(leader, 0);
  const int other = leader == 1 ? 2 : 1;

  auto produce = [&](int broker_id, const std::string& topic, int partition,
                     std::vector<std::pair<std::string, std::string>> records) {
    broker::ProduceRequest request;
    auto* t = request.add_topics();
    t->set_topic(topic);
    auto* p = t->add_partitions();
    p->set_partition(partition);
    for (const auto& [k, v] : records) {
      auto* r = p->add_records();
      r->set_key(k);
      r->set_value(v);
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(5));
    broker::ProduceResponse response;
    grpc::Status s = data_->StubFor(broker_id)->Produce(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.topics(0).partitions(0);
  };

  // The other broker learns of the topic from its own metadata stream: wait for that.
  auto wrong = produce(other, "small", 0, {{"k", "v"}});
  for (int i = 0; i < 100 && wrong.error() == keel::UNKNOWN_TOPIC_OR_PARTITION; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    wrong = produce(other, "small", 0, {{"k", "v"}});
  }
  EXPECT_EQ(wrong.error(), keel::NOT_LEADER_OR_FOLLOWER);
  EXPECT_EQ(wrong.leader().node_id(), leader);
  EXPECT_EQ(wrong.leader().address(), brokers_->Address(leader));

  EXPECT_EQ(produce(leader, "nope", 0, {{"k", "v"}}).error(), keel::UNKNOWN_TOPIC_OR_PARTITION);
  EXPECT_EQ(produce(leader, "small", 7, {{"k", "v"}}).error(), keel::UNKNOWN_TOPIC_OR_PARTITION);
  EXPECT_EQ(produce(leader, "small", 0, {{"k", std::string(2000, 'v')}}).error(),
            keel::MESSAGE_TOO_LARGE);
  EXPECT_EQ(produce(leader, "small", 0, {}).error(), keel::CORRUPT_MESSAGE);
  auto ok = produce(leader, "small", 0, {{"k1", "v1"}, {"k2", "v2"}});
  ASSERT_EQ(ok.error(), keel::NONE) << ok.error_message();
  EXPECT_EQ(ok.base_offset(), 0);

  EXPECT_EQ(data_->Fetch("small", 0, 3).error(), keel::OFFSET_OUT_OF_RANGE);
  auto at_end = data_->Fetch("small", 0, 2);
  EXPECT_EQ(at_end.error(), keel::NONE);
  EXPECT_EQ(at_end.batches_size(), 0);
  EXPECT_EQ(at_end.high_watermark(), 2);

  EXPECT_EQ(data_->ListOffset("small", 0, -2).offset(), 0);
  EXPECT_EQ(data_->ListOffset("small", 0, -1).offset(), 2);
  auto by_time = data_->ListOffset("small", 0, 1);  // 1 ms after the epoch: the first record
  EXPECT_EQ(by_time.offset(), 0);
  EXPECT_GT(by_time.timestamp_ms(), 0);
  EXPECT_EQ(data_->ListOffset("small", 0, int64_t{1} << 60).offset(), -1);  // in the future

  // A whole request with no topic is a gRPC error, not a crash.
  grpc::ClientContext context;
  broker::ProduceResponse response;
  grpc::Status empty = data_->StubFor(leader)->Produce(&context, broker::ProduceRequest(),
                                                       &response);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(BrokerDataTest, DeletedTopicLogsAreRemovedAndControlledShutdownMovesLeadership) {
  CreateTopic("doomed", 2, 2);
  CreateTopic("kept", 1, 2);
  // Every broker hosts a replica of every partition (RF 2 on 2 brokers).
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < deadline &&
         !(DirExists(brokers_->DataDir(1) + "/doomed-1") &&
           DirExists(brokers_->DataDir(2) + "/doomed-1"))) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_TRUE(DirExists(brokers_->DataDir(1) + "/doomed-0"));
  ASSERT_TRUE(DirExists(brokers_->DataDir(2) + "/doomed-1"));

  controller::DeleteTopicsRequest del;
  del.add_names("doomed");
  controller::DeleteTopicsResponse del_response;
  ASSERT_TRUE(client_
                  ->Call(
                      [&](const std::shared_ptr<grpc::Channel>& channel,
                          grpc::ClientContext* context) {
                        return controller::AdminService::NewStub(channel)->DeleteTopics(
                            context, del, &del_response);
                      },
                      seconds(10))
                  .ok());
  const auto deleted_by = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < deleted_by &&
         (DirExists(brokers_->DataDir(1) + "/doomed-0") ||
          DirExists(brokers_->DataDir(2) + "/doomed-1"))) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  for (int b : {1, 2}) {
    for (int p : {0, 1}) {
      EXPECT_FALSE(DirExists(brokers_->DataDir(b) + "/doomed-" + std::to_string(p)));
    }
    EXPECT_TRUE(DirExists(brokers_->DataDir(b) + "/kept-0"));
  }

  // SIGTERM the leader of kept-0: it asks the controller to move leadership, then exits 0.
  const int leader = data_->Leader("kept", 0);
  ASSERT_GT(leader, 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(brokers_->TerminateBroker(leader, seconds(20)), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(16));
  const int new_leader = data_->Leader("kept", 0);
  EXPECT_GT(new_leader, 0);
  EXPECT_NE(new_leader, leader);
}

}  // namespace
}  // namespace keel::testing

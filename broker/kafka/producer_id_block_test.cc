// ProducerIdBlock against a fake controller: blocks refill, concurrent callers get distinct
// ids, and a failed allocation is reported (for a retriable answer) and retried next time.
#include "broker/kafka/producer_id_block.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace keel::broker::kafka {
namespace {

// Hands out consecutive blocks of `block_len` ids, like the active controller.
class FakeAdmin : public ControllerAdmin {
 public:
  explicit FakeAdmin(int32_t block_len) : block_len_(block_len) {}
  grpc::Status CreateTopics(const controller::CreateTopicsRequest&,
                            controller::CreateTopicsResponse*) override {
    return Unimplemented();
  }
  grpc::Status DeleteTopics(const controller::DeleteTopicsRequest&,
                            controller::DeleteTopicsResponse*) override {
    return Unimplemented();
  }
  grpc::Status CreatePartitions(const controller::CreatePartitionsRequest&,
                                controller::CreatePartitionsResponse*) override {
    return Unimplemented();
  }
  grpc::Status AlterConfigs(const controller::AlterConfigsRequest&,
                            controller::AlterConfigsResponse*) override {
    return Unimplemented();
  }
  grpc::Status AllocateProducerIds(const controller::AllocateProducerIdsRequest& request,
                                   controller::AllocateProducerIdsResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls;
    last_broker_id = request.broker_id();
    last_broker_epoch = request.broker_epoch();
    if (unavailable) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no controller");
    if (request.broker_epoch() != 42) {
      response->set_error(STALE_BROKER_EPOCH);
      response->set_error_message("stale");
      return grpc::Status::OK;
    }
    response->set_producer_id_start(next_);
    response->set_producer_id_len(block_len_);
    next_ += block_len_;
    return grpc::Status::OK;
  }

  std::atomic<bool> unavailable{false};
  int calls = 0;
  int32_t last_broker_id = -1;
  int64_t last_broker_epoch = -1;

 private:
  static grpc::Status Unimplemented() {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not in this test");
  }
  const int32_t block_len_;
  std::mutex mu_;
  int64_t next_ = 0;
};

TEST(ProducerIdBlockTest, HandsOutTheBlockThenAsksForTheNext) {
  FakeAdmin admin(3);
  ProducerIdBlock ids(&admin, 7, [] { return int64_t{42}; });
  for (int64_t want = 0; want < 7; ++want) {
    auto id = ids.NextId();
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, want);
  }
  EXPECT_EQ(admin.calls, 3);  // blocks [0,3), [3,6), [6,9)
  EXPECT_EQ(admin.last_broker_id, 7);
  EXPECT_EQ(admin.last_broker_epoch, 42);
}

TEST(ProducerIdBlockTest, FailureIsUnavailableAndTheNextCallAsksAgain) {
  FakeAdmin admin(2);
  std::atomic<int64_t> epoch{41};  // not registered with this epoch yet
  ProducerIdBlock ids(&admin, 1, [&] { return epoch.load(); });
  auto stale = ids.NextId();
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(stale.status().message().find("STALE_BROKER_EPOCH"), std::string::npos);

  epoch = 42;
  admin.unavailable = true;
  EXPECT_EQ(ids.NextId().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(admin.calls, 2);

  admin.unavailable = false;
  auto id = ids.NextId();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 0);
}

TEST(ProducerIdBlockTest, ConcurrentCallersGetDistinctIds) {
  FakeAdmin admin(10);
  ProducerIdBlock ids(&admin, 1, [] { return int64_t{42}; });
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::mutex mu;
  std::set<int64_t> seen;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto id = ids.NextId();
        std::lock_guard<std::mutex> lock(mu);
        if (!id.ok()) {
          ++failures;
          continue;
        }
        EXPECT_TRUE(seen.insert(*id).second) << "id " << *id << " handed out twice";
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
  // Every block was used up before the next was asked for: no id range was skipped.
  EXPECT_EQ(*seen.rbegin(), kThreads * kPerThread - 1);
  EXPECT_EQ(admin.calls, kThreads * kPerThread / 10);
}

}  // namespace
}  // namespace keel::broker::kafka

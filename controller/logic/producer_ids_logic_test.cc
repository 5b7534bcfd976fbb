// ControllerLogic::AllocateProducerIds: consecutive blocks never overlap, stale epochs refused.
#include <gtest/gtest.h>

#include "controller/logic/controller_logic.h"
#include "controller/logic/test_cluster.h"

namespace keel::controller {
namespace {

using testing::TestCluster;

AllocateProducerIdsRequest Request(const TestCluster& c, int32_t broker_id) {
  AllocateProducerIdsRequest req;
  req.set_broker_id(broker_id);
  req.set_broker_epoch(c.image.Broker(broker_id)->epoch);
  return req;
}

TEST(AllocateProducerIdsTest, BlocksFromDifferentBrokersDoNotOverlap) {
  TestCluster c(3);
  int64_t expected_start = 0;
  for (int i = 0; i < 6; ++i) {
    const int32_t broker = 1 + i % 3;  // TestCluster ids start at 1
    auto out = ControllerLogic::AllocateProducerIds(c.image, Request(c, broker));
    ASSERT_TRUE(out.ok()) << out.status().message;
    EXPECT_EQ(out->producer_id_start, expected_start);
    EXPECT_EQ(out->producer_id_len, kProducerIdBlockSize);
    ASSERT_EQ(out->records.records_size(), 1);
    const metadata::ProducerIdsRecord& r = out->records.records(0).producer_ids();
    EXPECT_EQ(r.broker_id(), broker);
    EXPECT_EQ(r.next_producer_id(), expected_start + kProducerIdBlockSize);
    c.Commit(out->records);
    EXPECT_EQ(c.image.next_producer_id(), expected_start + kProducerIdBlockSize);
    expected_start += kProducerIdBlockSize;
  }
}

TEST(AllocateProducerIdsTest, StaleOrUnknownBrokerEpochIsRefused) {
  TestCluster c(2);
  AllocateProducerIdsRequest stale = Request(c, 1);
  stale.set_broker_epoch(stale.broker_epoch() - 1);
  auto out = ControllerLogic::AllocateProducerIds(c.image, stale);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code, STALE_BROKER_EPOCH);

  AllocateProducerIdsRequest unknown;
  unknown.set_broker_id(7);
  unknown.set_broker_epoch(1);
  out = ControllerLogic::AllocateProducerIds(c.image, unknown);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code, STALE_BROKER_EPOCH);
  EXPECT_EQ(c.image.next_producer_id(), 0);
}

}  // namespace
}  // namespace keel::controller

#include "broker/kafka/producer_state.h"

#include <gtest/gtest.h>

namespace keel::broker::kafka {
namespace {

using Verdict = ProducerStateTable::Verdict;
const std::pair<std::string, int32_t> kKey{"t", 0};

TEST(ProducerStateTest, RetriesAreDuplicatesGapsAreOutOfOrderOldEpochsAreFenced) {
  ProducerStateTable table;
  const ProducerBatch first{7, 0, 0, 3};   // sequences 0..2
  const ProducerBatch second{7, 0, 3, 2};  // 3..4
  EXPECT_EQ(table.Check(kKey, 1, first).verdict, Verdict::kAppend);  // unknown producer
  table.Record(kKey, 1, first, 100);
  EXPECT_EQ(table.Check(kKey, 1, second).verdict, Verdict::kAppend);
  table.Record(kKey, 1, second, 103);
  auto dup = table.Check(kKey, 1, first);
  EXPECT_EQ(dup.verdict, Verdict::kDuplicate);
  EXPECT_EQ(dup.base_offset, 100);
  EXPECT_EQ(table.Check(kKey, 1, second).base_offset, 103);
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{7, 0, 9, 1}).verdict, Verdict::kOutOfOrder);
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{7, 0, 5, 1}).verdict, Verdict::kAppend);
  // A bumped epoch restarts at sequence 0; the old epoch is fenced afterwards.
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{7, 1, 4, 1}).verdict, Verdict::kOutOfOrder);
  table.Record(kKey, 1, ProducerBatch{7, 1, 0, 1}, 110);
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{7, 0, 5, 1}).verdict, Verdict::kFencedEpoch);
  // Other producers and partitions are independent.
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{8, 0, 42, 1}).verdict, Verdict::kAppend);
  EXPECT_EQ(table.Check({"t", 1}, 1, first).verdict, Verdict::kAppend);
}

TEST(ProducerStateTest, OnlyTheLastFiveBatchesAndTheCurrentLeaderEpochCount) {
  ProducerStateTable table;
  for (int i = 0; i < 6; ++i) table.Record(kKey, 1, ProducerBatch{7, 0, i, 1}, 100 + i);
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{7, 0, 5, 1}).base_offset, 105);
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{7, 0, 1, 1}).verdict, Verdict::kDuplicate);
  // Batch 0 fell out of the window: no longer recognised (and not in sequence).
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{7, 0, 0, 1}).verdict, Verdict::kOutOfOrder);
  // A new leadership starts without state.
  EXPECT_EQ(table.Check(kKey, 2, ProducerBatch{7, 0, 5, 1}).verdict, Verdict::kAppend);
}

TEST(ProducerStateTest, ANewLeadershipRebuildsFromHistoryAndTheHeaderRoundTrips) {
  const ProducerBatch b{1234567890123, 7, 40, 3};
  auto decoded = DecodeProducerHeader(EncodeProducerHeader(b));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->producer_id, b.producer_id);
  EXPECT_EQ(decoded->producer_epoch, b.producer_epoch);
  EXPECT_EQ(decoded->first_sequence, b.first_sequence);
  EXPECT_EQ(decoded->record_count, b.record_count);
  EXPECT_FALSE(DecodeProducerHeader("short").has_value());
  ProducerStateTable table;
  int loads = 0;
  auto history = [&] {
    ++loads;
    return std::vector<StoredProducerBatch>{{b, 500}};
  };
  auto dup = table.Check(kKey, 3, b, history);
  EXPECT_EQ(dup.verdict, Verdict::kDuplicate);
  EXPECT_EQ(dup.base_offset, 500);
  EXPECT_EQ(table.Check(kKey, 3, ProducerBatch{1234567890123, 7, 43, 1}, history).verdict,
            Verdict::kAppend);
  EXPECT_EQ(loads, 1);  // once per leader epoch
}

TEST(ProducerStateTest, SequencesWrapAtInt32Max) {
  ProducerStateTable table;
  const ProducerBatch last{7, 0, INT32_MAX - 1, 2};
  EXPECT_EQ(last.last_sequence(), INT32_MAX);
  table.Record(kKey, 1, last, 5);
  EXPECT_EQ(table.Check(kKey, 1, ProducerBatch{7, 0, 0, 1}).verdict, Verdict::kAppend);
  const ProducerBatch wrapped{7, 0, INT32_MAX, 3};
  EXPECT_EQ(wrapped.last_sequence(), 1);
}

}  // namespace
}  // namespace keel::broker::kafka

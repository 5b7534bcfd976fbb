// The Kafka listener's record conversion keeps null apart from empty both ways, refuses
// keyless records for compacted topics, and fetches compacted batches with their gaps.
#include "broker/kafka/batch_conversion.h"

#include <gtest/gtest.h>

#include "kafka/error_codes.h"
#include "kafka/record_batch.h"

namespace keel::broker::kafka {
namespace {

namespace k = keel::kafka;

std::string KafkaBatch(std::vector<k::Record> records) {
  k::RecordBatch batch;
  batch.header.base_timestamp = 1000;
  batch.header.max_timestamp = 1000;
  batch.header.last_offset_delta = static_cast<int32_t>(records.size()) - 1;
  for (size_t i = 0; i < records.size(); ++i) records[i].offset_delta = static_cast<int32_t>(i);
  batch.records = std::move(records);
  auto encoded = k::EncodeBatch(batch, k::Compression::kNone);
  EXPECT_TRUE(encoded.ok());
  return *encoded;
}

k::Record KRecord(std::optional<std::string> key, std::optional<std::string> value) {
  k::Record r;
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

TEST(BatchConversion, ProduceKeepsNullApartFromEmpty) {
  const std::string bytes = KafkaBatch({KRecord(std::nullopt, "v"), KRecord("", std::nullopt),
                                        KRecord("k", ""), KRecord(std::nullopt, std::nullopt)});
  std::vector<storage::Record> out;
  ValidationError v = KafkaRecordsToStorage(bytes, TopicPolicy{}, false, 5, &out);
  ASSERT_TRUE(v.ok()) << v.message;
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].null_key);
  EXPECT_FALSE(out[0].null_value);
  EXPECT_FALSE(out[1].null_key);
  EXPECT_TRUE(out[1].null_value);
  EXPECT_FALSE(out[2].null_key);
  EXPECT_FALSE(out[2].null_value);
  EXPECT_TRUE(out[2].value.empty());
  EXPECT_TRUE(out[3].null_key && out[3].null_value);
}

TEST(BatchConversion, CompactedTopicRefusesKeylessRecordsWithInvalidRecord) {
  TopicPolicy compacted;
  compacted.compact = true;
  std::vector<storage::Record> out;
  ValidationError v =
      KafkaRecordsToStorage(KafkaBatch({KRecord("k", "v"), KRecord(std::nullopt, "v")}),
                            compacted, false, 5, &out);
  EXPECT_EQ(static_cast<int>(v.code), 87);  // INVALID_RECORD
  out.clear();
  EXPECT_TRUE(KafkaRecordsToStorage(KafkaBatch({KRecord("k", std::nullopt)}), compacted, false, 5,
                                    &out)
                  .ok());  // a tombstone is fine
}

TEST(BatchConversion, FetchKeepsNullsOffsetsAndTheRangeOfACompactedBatch) {
  storage::RecordBatch stored;
  stored.base_offset = 100;
  stored.leader_epoch = 3;
  stored.offset_count = 10;
  stored.offset_deltas = {2, 7};
  storage::Record tombstone;
  tombstone.key = "a";
  tombstone.null_value = true;
  tombstone.timestamp_ms = 1000;
  storage::Record keyless;
  keyless.null_key = true;
  keyless.value = "";
  keyless.timestamp_ms = 1001;
  stored.records = {tombstone, keyless};
  storage::RecordBatch empty;  // everything compacted away
  empty.base_offset = 110;
  empty.offset_count = 5;
  empty.max_timestamp_ms = 1002;
  std::string out;
  AppendKafkaBatch(std::move(stored), false, &out);
  AppendKafkaBatch(std::move(empty), false, &out);
  auto batches = k::DecodeBatches(out);
  ASSERT_TRUE(batches.ok()) << batches.status();
  ASSERT_EQ(batches->size(), 2u);
  const k::RecordBatch& b = (*batches)[0];
  EXPECT_EQ(b.header.base_offset, 100);
  EXPECT_EQ(b.header.last_offset(), 109);
  ASSERT_EQ(b.records.size(), 2u);
  EXPECT_EQ(b.records[0].offset_delta, 2);
  EXPECT_EQ(b.records[0].key, "a");
  EXPECT_FALSE(b.records[0].value.has_value());
  EXPECT_EQ(b.records[1].offset_delta, 7);
  EXPECT_FALSE(b.records[1].key.has_value());
  EXPECT_EQ(b.records[1].value, "");
  EXPECT_EQ((*batches)[1].header.base_offset, 110);
  EXPECT_EQ((*batches)[1].header.last_offset(), 114);
  EXPECT_TRUE((*batches)[1].records.empty());
}

}  // namespace
}  // namespace keel::broker::kafka

#include "kafka/record_batch.h"

#include <gtest/gtest.h>

#include <string>

#include "kafka/wire.h"
#include "storage/crc32c.h"

namespace keel::kafka {
namespace {

RecordBatch SampleBatch() {
  RecordBatch batch;
  BatchHeader& h = batch.header;
  h.base_offset = 0;
  h.partition_leader_epoch = -1;
  h.base_timestamp = 1700000000000;
  h.max_timestamp = 1700000000002;
  h.producer_id = 42;
  h.producer_epoch = 3;
  h.base_sequence = 7;
  for (int i = 0; i < 3; ++i) {
    Record r;
    r.timestamp_delta = i;
    r.offset_delta = i;
    r.key = "key-" + std::to_string(i);
    r.value = std::string(200, static_cast<char>('a' + i));
    r.headers.push_back({"h", "v" + std::to_string(i)});
    r.headers.push_back({"null-value", std::nullopt});
    batch.records.push_back(r);
  }
  batch.records[1].key.reset();    // a null key
  batch.records[2].value.reset();  // a tombstone
  h.last_offset_delta = 2;
  return batch;
}

TEST(RecordBatchTest, EveryCompressionRoundTrips) {
  for (Compression codec : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                            Compression::kLz4, Compression::kZstd}) {
    RecordBatch batch = SampleBatch();
    absl::StatusOr<std::string> bytes = EncodeBatch(batch, codec);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<std::vector<RecordBatch>> decoded = DecodeBatches(*bytes);
    ASSERT_TRUE(decoded.ok()) << CompressionName(codec) << ": " << decoded.status();
    ASSERT_EQ(decoded->size(), 1u);
    const RecordBatch& got = (*decoded)[0];
    EXPECT_EQ(got.header.compression(), codec);
    EXPECT_EQ(got.header.record_count, 3);
    EXPECT_EQ(got.header.producer_id, 42);
    EXPECT_EQ(got.header.producer_epoch, 3);
    EXPECT_EQ(got.header.base_sequence, 7);
    EXPECT_EQ(got.header.magic, 2);
    EXPECT_EQ(got.header.batch_length, static_cast<int32_t>(bytes->size() - 12));
    EXPECT_TRUE(got.records == batch.records) << CompressionName(codec);
  }
}

TEST(RecordBatchTest, LayoutMatchesTheSpec) {
  // One record: no key, value "v", no headers, at base offset 5.
  RecordBatch batch;
  batch.header.base_offset = 5;
  batch.header.partition_leader_epoch = 9;
  batch.header.base_timestamp = 1000;
  batch.header.max_timestamp = 1000;
  Record r;
  r.value = "v";
  batch.records.push_back(r);
  std::string bytes = *EncodeBatch(batch, Compression::kNone);
  // The record: length 7 (zig-zag 0x0e), attributes 0, timestamp delta 0, offset delta 0,
  // key -1 (0x01), value length 1 (0x02) "v", header count 0.
  const std::string record("\x0e\x00\x00\x00\x01\x02v\x00", 8);
  ASSERT_EQ(bytes.size(), kBatchHeaderBytes + record.size());
  EXPECT_EQ(bytes.substr(kBatchHeaderBytes), record);
  Reader reader(bytes);
  EXPECT_EQ(reader.Int64(), 5);                                        // base offset
  EXPECT_EQ(reader.Int32(), static_cast<int32_t>(bytes.size() - 12));  // batch length
  EXPECT_EQ(reader.Int32(), 9);                                        // partition leader epoch
  EXPECT_EQ(reader.Int8(), 2);                                         // magic
  uint32_t crc = reader.UInt32();
  EXPECT_EQ(crc, storage::crc32c::Value(bytes.data() + 21, bytes.size() - 21));
  EXPECT_EQ(reader.Int16(), 0);     // attributes
  EXPECT_EQ(reader.Int32(), 0);     // last offset delta
  EXPECT_EQ(reader.Int64(), 1000);  // base timestamp
  EXPECT_EQ(reader.Int64(), 1000);  // max timestamp
  EXPECT_EQ(reader.Int64(), -1);    // producer id
  EXPECT_EQ(reader.Int16(), -1);    // producer epoch
  EXPECT_EQ(reader.Int32(), -1);    // base sequence
  EXPECT_EQ(reader.Int32(), 1);     // record count
}

TEST(RecordBatchTest, CrcMismatchIsDetected) {
  std::string bytes = *EncodeBatch(SampleBatch(), Compression::kNone);
  for (size_t pos : {size_t{21}, size_t{40}, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[pos] ^= 0x01;
    absl::StatusOr<std::vector<BatchView>> split = SplitBatches(bad);
    ASSERT_FALSE(split.ok()) << pos;
    EXPECT_NE(split.status().message().find("CRC mismatch"), std::string::npos);
  }
  BatchLimits no_crc;
  no_crc.verify_crc = false;
  std::string bad = bytes;
  bad[bytes.size() - 1] ^= 0x01;
  EXPECT_TRUE(SplitBatches(bad, no_crc).ok());
}

TEST(RecordBatchTest, BaseOffsetAndEpochRewritesKeepTheCrc) {
  std::string bytes = *EncodeBatch(SampleBatch(), Compression::kLz4);
  ASSERT_TRUE(SetBaseOffset(bytes, 1234).ok());
  ASSERT_TRUE(SetPartitionLeaderEpoch(bytes, 77).ok());
  absl::StatusOr<std::vector<BatchView>> split = SplitBatches(bytes);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ((*split)[0].header.base_offset, 1234);
  EXPECT_EQ((*split)[0].header.partition_leader_epoch, 77);
  EXPECT_EQ((*split)[0].header.last_offset(), 1236);

  ASSERT_TRUE(SetLogAppendTime(bytes, 1800000000000).ok());
  split = SplitBatches(bytes);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ((*split)[0].header.timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_EQ((*split)[0].header.max_timestamp, 1800000000000);
  EXPECT_EQ((*split)[0].header.compression(), Compression::kLz4);
}

TEST(RecordBatchTest, SeveralBatchesAndTruncation) {
  std::string one = *EncodeBatch(SampleBatch(), Compression::kNone);
  std::string two = *EncodeBatch(SampleBatch(), Compression::kGzip);
  std::string both = one + two;
  absl::StatusOr<std::vector<RecordBatch>> decoded = DecodeBatches(both);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), 2u);
  BatchLimits fetch;
  fetch.allow_truncated_tail = true;
  for (size_t n = 1; n < both.size(); ++n) {
    std::string_view cut = std::string_view(both).substr(0, n);
    // Produce: a partial batch is an error (the cut after the first batch is whole).
    EXPECT_EQ(DecodeBatches(cut).ok(), n == one.size()) << n;
    absl::StatusOr<std::vector<BatchView>> tail = SplitBatches(cut, fetch);
    ASSERT_TRUE(tail.ok()) << n;  // fetch: the partial batch is dropped
    EXPECT_EQ(tail->size(), n < one.size() ? 0u : 1u);
  }
}

TEST(RecordBatchTest, OlderMagicsGetAClearError) {
  std::string bytes = *EncodeBatch(SampleBatch(), Compression::kNone);
  bytes[16] = 1;
  absl::StatusOr<std::vector<BatchView>> split = SplitBatches(bytes);
  ASSERT_FALSE(split.ok());
  EXPECT_NE(split.status().message().find("magic 1 is not supported"), std::string::npos);
}

// Re-encodes `bytes` with its CRC fixed, so a test reaches the checks after the CRC.
void FixCrc(std::string& bytes) {
  Writer w(bytes);
  w.PatchInt32(kBatchCrcOffset, static_cast<int32_t>(BatchCrc(bytes)));
  bytes = w.Release();
}

TEST(RecordBatchTest, LyingCountsAndLengthsAreErrors) {
  std::string bytes = *EncodeBatch(SampleBatch(), Compression::kNone);
  std::string more = bytes;
  more[60] = 4;  // record count 3 -> 4
  FixCrc(more);
  EXPECT_FALSE(DecodeBatches(more).ok());
  std::string fewer = bytes;
  fewer[60] = 2;  // bytes left after the records
  FixCrc(fewer);
  EXPECT_FALSE(DecodeBatches(fewer).ok());
  std::string huge = bytes;
  huge[57] = 0x7f;  // record count ~2^31: refused before reserving
  FixCrc(huge);
  EXPECT_FALSE(DecodeBatches(huge).ok());
  std::string delta = bytes;
  delta[26] = 1;  // last offset delta 2 -> 1: the last record lies beyond it
  FixCrc(delta);
  EXPECT_FALSE(DecodeBatches(delta).ok());
  std::string compacted = bytes;
  compacted[26] = 9;  // 2 -> 9: as if compaction removed the batch's last records
  FixCrc(compacted);
  EXPECT_TRUE(DecodeBatches(compacted).ok());
  std::string codec = bytes;
  codec[22] = 6;  // compression 6 does not exist
  FixCrc(codec);
  EXPECT_FALSE(SplitBatches(codec).ok());
}

TEST(RecordBatchTest, CompressedBombIsRefused) {
  RecordBatch batch;
  Record r;
  r.value = std::string(8 << 20, 'x');
  batch.records.push_back(r);
  std::string bytes = *EncodeBatch(batch, Compression::kZstd);
  EXPECT_LT(bytes.size(), 4096u);
  BatchLimits limits;
  limits.max_uncompressed_bytes = 1 << 20;
  absl::StatusOr<std::vector<RecordBatch>> decoded = DecodeBatches(bytes, limits);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace keel::kafka

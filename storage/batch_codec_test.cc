#include "storage/batch_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "storage/crc32c.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

RecordBatch Sample() {
  RecordBatch batch;
  batch.base_offset = 42;
  batch.leader_epoch = 7;
  for (int i = 0; i < 3; ++i) {
    Record r;
    r.key = "k" + std::to_string(i);
    r.value = std::string(10 + i, 'v');
    r.headers.push_back({"h", std::to_string(i)});
    r.timestamp_ms = 1000 + i;
    batch.records.push_back(r);
  }
  batch.max_timestamp_ms = 1002;
  return batch;
}

uint32_t U32At(const std::string& s, int pos) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(s[pos + i])) << (8 * i);
  return v;
}

TEST(BatchCodec, RoundTrips) {
  RecordBatch batch = Sample();
  std::string encoded = EncodeBatch(batch);
  auto decoded = DecodeBatch(encoded.data(), encoded.size());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, batch);
}

// The fixed header is exactly what docs/formats/segment.md says.
TEST(BatchCodec, HeaderLayoutMatchesTheDocumentedFormat) {
  std::string e = EncodeBatch(Sample());
  EXPECT_EQ(static_cast<uint8_t>(e[0]), 42);  // base offset, little-endian u64
  EXPECT_EQ(U32At(e, format::kOffsetLength), e.size());
  EXPECT_EQ(U32At(e, format::kOffsetMagic), format::kBatchMagic);
  EXPECT_EQ(std::string(e.data() + format::kOffsetMagic, 4), "KBT1");
  EXPECT_EQ(U32At(e, format::kOffsetLeaderEpoch), 7u);
  EXPECT_EQ(U32At(e, format::kOffsetRecordCount), 3u);
  EXPECT_EQ(U32At(e, format::kOffsetAttributes), 0u);
  EXPECT_EQ(U32At(e, format::kOffsetMaxTimestamp), 1002u);
  EXPECT_EQ(U32At(e, format::kOffsetCrc),
            crc32c::Value(e.data() + format::kCrcStart, e.size() - format::kCrcStart));
  // First record: varint key length 2, "k0".
  EXPECT_EQ(e[format::kBatchHeaderBytes], 2);
  EXPECT_EQ(e.substr(format::kBatchHeaderBytes + 1, 2), "k0");
}

// Everything but the base offset (which the log checks by continuity) is protected: the
// length and CRC fields by the CRC comparison, the rest by the CRC itself.
TEST(BatchCodec, EveryBitFlipOutsideTheBaseOffsetIsDetected) {
  std::string encoded = EncodeBatch(Sample());
  for (size_t i = format::kOffsetLength; i < encoded.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = encoded;
      bad[i] ^= static_cast<char>(1 << bit);
      auto decoded = DecodeBatch(bad.data(), bad.size());
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << i << ":" << bit;
    }
  }
}

TEST(BatchCodec, TruncatedBatchIsDataLossAtEveryLength) {
  std::string encoded = EncodeBatch(Sample());
  for (size_t n = 0; n < encoded.size(); ++n) {
    EXPECT_EQ(DecodeBatch(encoded.data(), n).status().code(), absl::StatusCode::kDataLoss) << n;
  }
}

}  // namespace
// Null keys and values need v2; a plain dense batch stays v1, byte for byte what older
// code wrote, so existing segments and new ones read the same way.
TEST(BatchCodec, NullKeyAndValueRoundTripInV2AndPlainBatchesStayV1) {
  RecordBatch plain = Sample();
  EXPECT_EQ(U32At(EncodeBatch(plain), format::kOffsetMagic), format::kBatchMagic);

  RecordBatch nulls = Sample();
  nulls.records[0].null_key = true;
  nulls.records[0].key.clear();
  nulls.records[1].null_value = true;
  nulls.records[1].value.clear();
  nulls.records[2].value.clear();  // empty, not null
  const std::string encoded = EncodeBatch(nulls);
  EXPECT_EQ(U32At(encoded, format::kOffsetMagic), format::kBatchMagicV2);
  auto decoded = DecodeBatch(encoded.data(), encoded.size());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, nulls);
  EXPECT_TRUE(decoded->records[0].null_key);
  EXPECT_FALSE(decoded->records[2].null_value);
  EXPECT_TRUE(decoded->dense());
}

// A compacted batch keeps its offset range with fewer records: the header counts offsets,
// so the next batch still starts where this one ends.
TEST(BatchCodec, GappedBatchKeepsOffsetsAndRange) {
  RecordBatch gapped = Sample();
  gapped.offset_count = 10;
  gapped.offset_deltas = {1, 4, 9};
  const std::string encoded = EncodeBatch(gapped);
  auto h = DecodeBatchHeader(encoded.data(), encoded.size());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->next_offset(), 52);
  auto decoded = DecodeBatch(encoded.data(), encoded.size());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, gapped);
  EXPECT_EQ(decoded->OffsetOf(1), 46);
  EXPECT_EQ(decoded->last_offset(), 51);

  RecordBatch empty;
  empty.base_offset = 7;
  empty.offset_count = 3;
  const std::string e = EncodeBatch(empty);
  auto de = DecodeBatch(e.data(), e.size());
  ASSERT_TRUE(de.ok()) << de.status();
  EXPECT_TRUE(de->records.empty());
  EXPECT_EQ(de->next_offset(), 10);
}

TEST(BatchCodec, V2DeltasOutOfOrderAreDataLoss) {
  RecordBatch gapped = Sample();
  gapped.offset_count = 10;
  gapped.offset_deltas = {1, 4, 9};
  std::string encoded = EncodeBatch(gapped);
  // The first delta (after the header and the varint count) becomes 9: no longer increasing.
  encoded[format::kBatchHeaderBytes + 1] = 9;
  encoded.replace(format::kOffsetCrc, 4, std::string(4, '\0'));
  const uint32_t crc = crc32c::Value(encoded.data() + format::kCrcStart,
                                     encoded.size() - format::kCrcStart);
  for (int i = 0; i < 4; ++i) encoded[format::kOffsetCrc + i] = static_cast<char>(crc >> (8 * i));
  auto decoded = DecodeBatch(encoded.data(), encoded.size());
  EXPECT_TRUE(absl::IsDataLoss(decoded.status())) << decoded.status();
}

}  // namespace keel::storage

#include "kafka/compression.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <random>
#include <string>

namespace keel::kafka {
namespace {

constexpr Compression kCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                   Compression::kLz4, Compression::kZstd};

// Text-like data (random picks from a few words): compressible, but not trivially so.
std::string Sample(size_t n, uint64_t seed) {
  static const char* kWords[] = {"keel ",   "kafka ",  "record ", "batch ",
                                 "offset ", "leader ", "epoch ",  "topic "};
  std::mt19937_64 rng(seed);
  std::string s;
  while (s.size() < n) s += kWords[rng() % 8];
  s.resize(n);
  return s;
}

TEST(CompressionTest, EveryCodecRoundTrips) {
  for (Compression codec : kCodecs) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}, size_t{1} << 20}) {
      std::string data = Sample(n, n);
      absl::StatusOr<std::string> packed = Compress(codec, data);
      ASSERT_TRUE(packed.ok()) << CompressionName(codec) << ": " << packed.status();
      if (codec != Compression::kNone && n >= 70000) {
        EXPECT_LT(packed->size(), n / 2) << CompressionName(codec);
      }
      absl::StatusOr<std::string> unpacked = Decompress(codec, *packed, 4 << 20);
      ASSERT_TRUE(unpacked.ok()) << CompressionName(codec) << " n=" << n << ": "
                                 << unpacked.status();
      EXPECT_EQ(*unpacked, data) << CompressionName(codec) << " n=" << n;
    }
  }
}

TEST(CompressionTest, FramingsWrittenAreTheOnesKafkaClientsRead) {
  std::string data = Sample(1000, 1);
  std::string gzip = *Compress(Compression::kGzip, data);
  EXPECT_EQ(gzip.substr(0, 2), "\x1f\x8b");  // gzip member header
  std::string lz4 = *Compress(Compression::kLz4, data);
  EXPECT_EQ(lz4.substr(0, 4), std::string("\x04\x22\x4d\x18", 4));  // LZ4 frame magic
  std::string zstd = *Compress(Compression::kZstd, data);
  EXPECT_EQ(zstd.substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));  // zstd frame magic
  std::string snappy = *Compress(Compression::kSnappy, data);
  EXPECT_EQ(snappy.substr(0, 8), std::string("\x82SNAPPY\0", 8));  // xerial (snappy-java)
}

TEST(CompressionTest, RawSnappyAsLibrdkafkaWritesItIsAccepted) {
  std::string data = Sample(5000, 2);
  std::string raw;
  snappy::Compress(data.data(), data.size(), &raw);
  absl::StatusOr<std::string> unpacked = Decompress(Compression::kSnappy, raw, 1 << 20);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(*unpacked, data);
}

TEST(CompressionTest, DecompressionBombsAreRefused) {
  const std::string zeros(16 << 20, '\0');
  for (Compression codec : kCodecs) {
    absl::StatusOr<std::string> packed = Compress(codec, zeros);
    ASSERT_TRUE(packed.ok());
    absl::StatusOr<std::string> unpacked = Decompress(codec, *packed, 1 << 20);
    ASSERT_FALSE(unpacked.ok()) << CompressionName(codec);
    EXPECT_EQ(unpacked.status().code(), absl::StatusCode::kResourceExhausted)
        << CompressionName(codec) << ": " << unpacked.status();
  }
  // A raw snappy block whose length header claims 4 GiB is refused before allocating.
  const std::string liar = std::string("\xff\xff\xff\xff\x0f", 5) + "abc";
  EXPECT_FALSE(Decompress(Compression::kSnappy, liar, 1 << 20).ok());
}

TEST(CompressionTest, TruncatedOrGarbledInputIsAnErrorNotACrash) {
  std::string data = Sample(50000, 3);
  for (Compression codec : kCodecs) {
    if (codec == Compression::kNone) continue;
    std::string packed = *Compress(codec, data);
    for (size_t n :
         {size_t{0}, size_t{1}, size_t{5}, size_t{17}, packed.size() / 2, packed.size() - 1}) {
      absl::StatusOr<std::string> cut = Decompress(codec, packed.substr(0, n), 1 << 20);
      EXPECT_FALSE(cut.ok()) << CompressionName(codec) << " prefix " << n;
    }
    std::mt19937_64 rng(static_cast<uint64_t>(codec));
    for (int i = 0; i < 200; ++i) {
      std::string garbled = packed;
      garbled[rng() % garbled.size()] ^= static_cast<char>(1 + rng() % 255);
      absl::StatusOr<std::string> out = Decompress(codec, garbled, 1 << 20);
      if (out.ok()) {
        EXPECT_LE(out->size(), size_t{1} << 20);  // only "no crash, bounded"
      }
    }
  }
}

}  // namespace
}  // namespace keel::kafka

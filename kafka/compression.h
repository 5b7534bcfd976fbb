// The compression codecs of Kafka record batches (attributes bits 0-2): gzip (zlib), snappy,
// lz4 (the LZ4 frame format) and zstd, through Debian's libraries.
//
// Snappy comes in two framings: the Java client (snappy-java) writes xerial framing (magic
// "\x82SNAPPY\0", two INT32 versions, then INT32-length-prefixed raw blocks); librdkafka
// writes one raw snappy block and reads both. Decompress accepts both; Compress writes
// xerial framing, which every client reads.
//
// Decompress never produces more than `max_output_bytes` (a decompression bomb gets
// kResourceExhausted, not memory); malformed input is kInvalidArgument.
#ifndef KEEL_KAFKA_COMPRESSION_H_
#define KEEL_KAFKA_COMPRESSION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace keel::kafka {

enum class Compression : int8_t {
  kNone = 0,
  kGzip = 1,
  kSnappy = 2,
  kLz4 = 3,
  kZstd = 4,
};

// "none", "gzip", "snappy", "lz4", "zstd" (Kafka's compression.type names).
const char* CompressionName(Compression codec);

absl::StatusOr<std::string> Compress(Compression codec, std::string_view data);
absl::StatusOr<std::string> Decompress(Compression codec, std::string_view data,
                                       size_t max_output_bytes);

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_COMPRESSION_H_

#include "kafka/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace keel::kafka {
namespace {

// Output grows in pieces of this size, so a bomb stops at the limit, not at its claim.
constexpr size_t kChunkBytes = 64 << 10;

absl::Status TooLarge(Compression codec, size_t max_output_bytes) {
  return absl::ResourceExhaustedError(absl::StrCat(
      CompressionName(codec), " data decompresses to more than ", max_output_bytes, " bytes"));
}

absl::Status Corrupt(Compression codec, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("corrupt ", CompressionName(codec), " data: ", why));
}

// ---- gzip ----

absl::StatusOr<std::string> GzipCompress(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer, as Kafka's GZIPOutputStream writes.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return absl::InternalError(absl::StrCat("deflate failed: ", rc));
  out.resize(written);
  return out;
}

absl::StatusOr<std::string> GzipDecompress(std::string_view data, size_t max_output_bytes) {
  z_stream z{};
  // 15 + 32: accept gzip or zlib headers.
  if (inflateInit2(&z, 15 + 32) != Z_OK) return absl::InternalError("inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_output_bytes) {
      inflateEnd(&z);
      return TooLarge(Compression::kGzip, max_output_bytes);
    }
    size_t before = out.size();
    size_t grow = std::min(kChunkBytes, max_output_bytes - before);
    out.resize(before + grow);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    z.avail_out = static_cast<uInt>(grow);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(before + grow - z.avail_out);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      std::string why = z.msg != nullptr ? z.msg : absl::StrCat("inflate error ", rc);
      inflateEnd(&z);
      return Corrupt(Compression::kGzip, rc == Z_BUF_ERROR ? "truncated" : why);
    }
  }
  inflateEnd(&z);
  return out;
}

// ---- snappy ----

constexpr char kXerialMagic[8] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
constexpr size_t kXerialHeaderBytes = 16;  // magic, version INT32, compatible version INT32
// snappy-java's default block size; each block is compressed on its own.
constexpr size_t kXerialBlockBytes = 32 << 10;

void AppendBigEndian32(std::string& out, uint32_t v) {
  char buf[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                 static_cast<char>(v)};
  out.append(buf, 4);
}

uint32_t BigEndian32(const char* p) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(p[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(p[3]));
}

std::string SnappyCompress(std::string_view data) {
  std::string out(kXerialMagic, sizeof(kXerialMagic));
  AppendBigEndian32(out, 1);  // version
  AppendBigEndian32(out, 1);  // minimum compatible version
  for (size_t pos = 0; pos < data.size(); pos += kXerialBlockBytes) {
    std::string_view block = data.substr(pos, kXerialBlockBytes);
    std::string compressed;
    snappy::Compress(block.data(), block.size(), &compressed);
    AppendBigEndian32(out, static_cast<uint32_t>(compressed.size()));
    out.append(compressed);
  }
  return out;
}

// One raw snappy block appended to `out`, its claimed length checked first.
absl::Status SnappyRawAppend(std::string_view block, size_t max_output_bytes, std::string& out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &length)) {
    return Corrupt(Compression::kSnappy, "bad length header");
  }
  if (length > max_output_bytes - out.size())
    return TooLarge(Compression::kSnappy, max_output_bytes);
  size_t before = out.size();
  out.resize(before + length);
  if (!snappy::RawUncompress(block.data(), block.size(), out.data() + before)) {
    return Corrupt(Compression::kSnappy, "bad block");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SnappyDecompress(std::string_view data, size_t max_output_bytes) {
  std::string out;
  if (data.size() < kXerialHeaderBytes ||
      std::memcmp(data.data(), kXerialMagic, sizeof(kXerialMagic)) != 0) {
    absl::Status status = SnappyRawAppend(data, max_output_bytes, out);  // librdkafka's form
    if (!status.ok()) return status;
    return out;
  }
  size_t pos = kXerialHeaderBytes;
  while (pos < data.size()) {
    if (data.size() - pos < 4) return Corrupt(Compression::kSnappy, "truncated block length");
    uint32_t block_bytes = BigEndian32(data.data() + pos);
    pos += 4;
    if (block_bytes > data.size() - pos) return Corrupt(Compression::kSnappy, "truncated block");
    absl::Status status = SnappyRawAppend(data.substr(pos, block_bytes), max_output_bytes, out);
    if (!status.ok()) return status;
    pos += block_bytes;
  }
  return out;
}

// ---- lz4 (frame format) ----

absl::StatusOr<std::string> Lz4Compress(std::string_view data) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;  // what Kafka's Java client writes
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  std::string out(LZ4F_compressFrameBound(data.size(), &prefs), '\0');
  size_t n = LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), &prefs);
  if (LZ4F_isError(n)) {
    return absl::InternalError(absl::StrCat("lz4 compression failed: ", LZ4F_getErrorName(n)));
  }
  out.resize(n);
  return out;
}

absl::StatusOr<std::string> Lz4Decompress(std::string_view data, size_t max_output_bytes) {
  LZ4F_dctx* raw_ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw_ctx, LZ4F_VERSION))) {
    return absl::InternalError("LZ4F_createDecompressionContext failed");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx(
      raw_ctx, &LZ4F_freeDecompressionContext);
  std::string out;
  size_t in_pos = 0;
  while (true) {
    if (out.size() >= max_output_bytes) return TooLarge(Compression::kLz4, max_output_bytes);
    size_t before = out.size();
    size_t grow = std::min(kChunkBytes, max_output_bytes - before);
    out.resize(before + grow);
    size_t out_bytes = grow;
    size_t in_bytes = data.size() - in_pos;
    size_t hint = LZ4F_decompress(ctx.get(), out.data() + before, &out_bytes, data.data() + in_pos,
                                  &in_bytes, nullptr);
    out.resize(before + out_bytes);
    if (LZ4F_isError(hint)) return Corrupt(Compression::kLz4, LZ4F_getErrorName(hint));
    in_pos += in_bytes;
    if (hint == 0) break;  // the frame is complete
    if (in_bytes == 0 && out_bytes == 0) return Corrupt(Compression::kLz4, "truncated frame");
  }
  return out;
}

// ---- zstd ----

absl::StatusOr<std::string> ZstdCompress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) {
    return absl::InternalError(absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(n)));
  }
  out.resize(n);
  return out;
}

absl::StatusOr<std::string> ZstdDecompress(std::string_view data, size_t max_output_bytes) {
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> stream(ZSTD_createDStream(),
                                                                    &ZSTD_freeDStream);
  if (stream == nullptr) return absl::InternalError("ZSTD_createDStream failed");
  ZSTD_initDStream(stream.get());
  // Streaming decode: Kafka's Java client writes frames without a content size, and a
  // claimed size is not to be trusted anyway.
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string out;
  while (true) {
    if (out.size() >= max_output_bytes) return TooLarge(Compression::kZstd, max_output_bytes);
    size_t before = out.size();
    size_t grow = std::min(kChunkBytes, max_output_bytes - before);
    out.resize(before + grow);
    ZSTD_outBuffer ob{out.data() + before, grow, 0};
    size_t in_before = in.pos;
    size_t hint = ZSTD_decompressStream(stream.get(), &ob, &in);
    out.resize(before + ob.pos);
    if (ZSTD_isError(hint)) return Corrupt(Compression::kZstd, ZSTD_getErrorName(hint));
    if (hint == 0) {
      if (in.pos == in.size) break;
      continue;  // frames back to back are one stream of data
    }
    if (in.pos == in_before && ob.pos == 0) return Corrupt(Compression::kZstd, "truncated frame");
  }
  return out;
}

}  // namespace

const char* CompressionName(Compression codec) {
  switch (codec) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

absl::StatusOr<std::string> Compress(Compression codec, std::string_view data) {
  switch (codec) {
    case Compression::kNone:
      return std::string(data);
    case Compression::kGzip:
      return GzipCompress(data);
    case Compression::kSnappy:
      return SnappyCompress(data);
    case Compression::kLz4:
      return Lz4Compress(data);
    case Compression::kZstd:
      return ZstdCompress(data);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compression codec ", static_cast<int>(codec)));
}

absl::StatusOr<std::string> Decompress(Compression codec, std::string_view data,
                                       size_t max_output_bytes) {
  switch (codec) {
    case Compression::kNone:
      if (data.size() > max_output_bytes) return TooLarge(codec, max_output_bytes);
      return std::string(data);
    case Compression::kGzip:
      return GzipDecompress(data, max_output_bytes);
    case Compression::kSnappy:
      return SnappyDecompress(data, max_output_bytes);
    case Compression::kLz4:
      return Lz4Decompress(data, max_output_bytes);
    case Compression::kZstd:
      return ZstdDecompress(data, max_output_bytes);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compression codec ", static_cast<int>(codec)));
}

}  // namespace keel::kafka

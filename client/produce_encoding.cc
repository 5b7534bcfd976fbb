#include "client/produce_encoding.h"

namespace keel::client {
namespace {

constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void AppendVarint(uint64_t v, std::string* out) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

void AppendTag(uint32_t field, uint32_t wire_type, std::string* out) {
  AppendVarint((field << 3) | wire_type, out);  // every field number here is < 16: one byte
}

// Size of a length-delimited field with a one-byte tag and `length` bytes of content.
size_t FieldSize(size_t length) { return 1 + VarintSize(length) + length; }

void AppendBytesField(uint32_t field, absl::string_view bytes, std::string* out) {
  AppendTag(field, kLengthDelimited, out);
  AppendVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

// proto3 leaves fields at their default value out; so do we (the parser accepts either).
size_t VarintFieldSize(int64_t v) {
  return v == 0 ? 0 : 1 + VarintSize(static_cast<uint64_t>(v));
}

void AppendVarintField(uint32_t field, int64_t v, std::string* out) {
  if (v == 0) return;
  AppendTag(field, kVarint, out);
  AppendVarint(static_cast<uint64_t>(v), out);  // negative int32/int64: ten bytes, as protobuf
}

}  // namespace

void AppendRecordEntry(std::optional<absl::string_view> key,
                       std::optional<absl::string_view> value,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       int64_t timestamp_ms, std::string* out) {
  // Record { optional key = 1; optional value = 2; headers = 3; timestamp_ms = 4 }
  size_t length = 0;
  if (key.has_value()) length += FieldSize(key->size());
  if (value.has_value()) length += FieldSize(value->size());
  for (const auto& [k, v] : headers) {
    size_t h = (k.empty() ? 0 : FieldSize(k.size())) + (v.empty() ? 0 : FieldSize(v.size()));
    length += FieldSize(h);
  }
  length += VarintFieldSize(timestamp_ms);

  AppendTag(2, kLengthDelimited, out);  // ProducePartitionData.records
  AppendVarint(length, out);
  if (key.has_value()) AppendBytesField(1, *key, out);
  if (value.has_value()) AppendBytesField(2, *value, out);
  for (const auto& [k, v] : headers) {
    size_t h = (k.empty() ? 0 : FieldSize(k.size())) + (v.empty() ? 0 : FieldSize(v.size()));
    AppendTag(3, kLengthDelimited, out);
    AppendVarint(h, out);
    if (!k.empty()) AppendBytesField(1, k, out);
    if (!v.empty()) AppendBytesField(2, v, out);
  }
  AppendVarintField(4, timestamp_ms, out);
}

void EncodeProduceRequestPieces(broker::Acks acks, int32_t timeout_ms,
                                const std::vector<EncodedTopic>& topics, WirePieces* out) {
  // ProduceRequest { acks = 1; timeout_ms = 2; topics = 3 }
  // ProduceTopicData { topic = 1; partitions = 2 }
  // ProducePartitionData { partition = 1; records = 2 }
  std::vector<size_t> partition_lengths;
  std::vector<size_t> topic_lengths;
  for (const EncodedTopic& t : topics) {
    size_t topic_length = t.topic.empty() ? 0 : FieldSize(t.topic.size());
    for (const EncodedPartition& p : t.partitions) {
      size_t length = VarintFieldSize(p.partition);
      for (const std::string* run : p.record_runs) length += run->size();
      partition_lengths.push_back(length);
      topic_length += FieldSize(length);
    }
    topic_lengths.push_back(topic_length);
  }
  std::string* framing = &out->framing.emplace_back();
  auto flush_framing = [&] {
    if (!framing->empty()) {
      out->pieces.emplace_back(*framing);
      out->is_framing.push_back(true);
    }
    framing = &out->framing.emplace_back();
  };
  AppendVarintField(1, acks, framing);
  AppendVarintField(2, timeout_ms, framing);
  size_t next_partition = 0;
  for (size_t ti = 0; ti < topics.size(); ++ti) {
    const EncodedTopic& t = topics[ti];
    AppendTag(3, kLengthDelimited, framing);
    AppendVarint(topic_lengths[ti], framing);
    if (!t.topic.empty()) AppendBytesField(1, t.topic, framing);
    for (const EncodedPartition& p : t.partitions) {
      AppendTag(2, kLengthDelimited, framing);
      AppendVarint(partition_lengths[next_partition++], framing);
      AppendVarintField(1, p.partition, framing);
      flush_framing();
      for (const std::string* run : p.record_runs) {
        if (run->empty()) continue;
        out->pieces.emplace_back(*run);
        out->is_framing.push_back(false);
      }
    }
  }
  flush_framing();
}

std::string EncodeProduceRequest(broker::Acks acks, int32_t timeout_ms,
                                 const std::vector<EncodedTopic>& topics) {
  WirePieces wire;
  EncodeProduceRequestPieces(acks, timeout_ms, topics, &wire);
  size_t total = 0;
  for (absl::string_view piece : wire.pieces) total += piece.size();
  std::string out;
  out.reserve(total);
  for (absl::string_view piece : wire.pieces) out.append(piece.data(), piece.size());
  return out;
}

}  // namespace keel::client

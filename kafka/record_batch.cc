#include "kafka/record_batch.h"

#include "absl/strings/str_cat.h"
#include "kafka/wire.h"
#include "storage/crc32c.h"

namespace keel::kafka {
namespace {

constexpr size_t kMagicOffset = 16;
constexpr size_t kMaxTimestampOffset = 35;

absl::Status BatchError(size_t batch_start, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("record batch at byte ", batch_start, ": ", why));
}

void PutBigEndian(std::string& out, size_t pos, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    out[pos + bytes - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// Reads a varint-length-prefixed byte string of a record (-1 = null when allowed).
std::optional<std::string> RecordBytes(Reader& reader, bool nullable, absl::string_view what) {
  int32_t length = reader.VarInt();
  if (!reader.ok()) return std::nullopt;
  if (length == -1 && nullable) return std::nullopt;
  if (length < 0) {
    reader.Fail(absl::StrCat(what, ": invalid length ", length));
    return std::nullopt;
  }
  return std::string(reader.Raw(static_cast<size_t>(length)));
}

void WriteRecordBytes(Writer& writer, const std::optional<std::string>& bytes) {
  if (!bytes.has_value()) {
    writer.VarInt(-1);
    return;
  }
  writer.VarInt(static_cast<int32_t>(bytes->size()));
  writer.Raw(*bytes);
}

// Parses one record's body (after its length).
Record ReadRecord(Reader& reader) {
  Record record;
  record.attributes = reader.Int8();
  record.timestamp_delta = reader.VarLong();
  record.offset_delta = reader.VarInt();
  record.key = RecordBytes(reader, true, "record key");
  record.value = RecordBytes(reader, true, "record value");
  int32_t header_count = reader.VarInt();
  if (reader.ok() && (header_count < 0 || static_cast<size_t>(header_count) > reader.remaining())) {
    reader.Fail(absl::StrCat("record header count ", header_count, " with ", reader.remaining(),
                             " bytes left"));
  }
  for (int32_t i = 0; i < header_count && reader.ok(); ++i) {
    RecordHeader header;
    std::optional<std::string> key = RecordBytes(reader, false, "header key");
    header.key = key.value_or("");
    header.value = RecordBytes(reader, true, "header value");
    record.headers.push_back(std::move(header));
  }
  return record;
}

}  // namespace

uint32_t BatchCrc(std::string_view batch) {
  if (batch.size() < kBatchAttributesOffset) return 0;
  return storage::crc32c::Value(batch.data() + kBatchAttributesOffset,
                                batch.size() - kBatchAttributesOffset);
}

absl::StatusOr<std::vector<BatchView>> SplitBatches(std::string_view records,
                                                    const BatchLimits& limits) {
  std::vector<BatchView> batches;
  size_t pos = 0;
  while (pos < records.size()) {
    std::string_view rest = records.substr(pos);
    if (rest.size() < kBatchLengthEnd) {
      if (limits.allow_truncated_tail) break;
      return BatchError(pos, absl::StrCat("truncated: ", rest.size(), " bytes"));
    }
    Reader reader(rest);
    BatchView view;
    BatchHeader& h = view.header;
    h.base_offset = reader.Int64();
    h.batch_length = reader.Int32();
    if (rest.size() > kMagicOffset) {
      int8_t magic = static_cast<int8_t>(rest[kMagicOffset]);
      if (magic != kMagicV2) {
        return BatchError(pos, absl::StrCat("magic ", magic,
                                            " is not supported (only record batch v2, magic 2)"));
      }
    }
    if (h.batch_length < static_cast<int32_t>(kBatchHeaderBytes - kBatchLengthEnd)) {
      return BatchError(pos, absl::StrCat("batch length ", h.batch_length, " is too small"));
    }
    size_t total = kBatchLengthEnd + static_cast<size_t>(h.batch_length);
    if (total > rest.size()) {
      if (limits.allow_truncated_tail) break;
      return BatchError(pos, absl::StrCat("batch length ", h.batch_length, " but ",
                                          rest.size() - kBatchLengthEnd, " bytes left"));
    }
    h.partition_leader_epoch = reader.Int32();
    h.magic = reader.Int8();
    h.crc = reader.UInt32();
    h.attributes = reader.Int16();
    h.last_offset_delta = reader.Int32();
    h.base_timestamp = reader.Int64();
    h.max_timestamp = reader.Int64();
    h.producer_id = reader.Int64();
    h.producer_epoch = reader.Int16();
    h.base_sequence = reader.Int32();
    h.record_count = reader.Int32();
    if (!reader.ok()) return BatchError(pos, reader.status().message());
    view.bytes = rest.substr(0, total);
    view.records = view.bytes.substr(kBatchHeaderBytes);
    if (limits.verify_crc) {
      uint32_t crc = BatchCrc(view.bytes);
      if (crc != h.crc) {
        return BatchError(pos,
                          absl::StrCat("CRC mismatch (stored ", h.crc, ", computed ", crc, ")"));
      }
    }
    if (h.record_count < 0) {
      return BatchError(pos, absl::StrCat("negative record count ", h.record_count));
    }
    if (static_cast<int>(h.compression()) > static_cast<int>(Compression::kZstd)) {
      return BatchError(
          pos, absl::StrCat("unknown compression codec ", static_cast<int>(h.compression())));
    }
    batches.push_back(view);
    pos += total;
  }
  return batches;
}

absl::StatusOr<std::vector<Record>> DecodeRecords(const BatchView& batch,
                                                  const BatchLimits& limits) {
  const BatchHeader& h = batch.header;
  std::string decompressed;
  std::string_view data = batch.records;
  if (h.compression() != Compression::kNone) {
    absl::StatusOr<std::string> plain =
        Decompress(h.compression(), batch.records, limits.max_uncompressed_bytes);
    if (!plain.ok()) return plain.status();
    decompressed = std::move(*plain);
    data = decompressed;
  }
  // Every record takes at least 7 bytes, so a count above the bytes present is a lie.
  if (static_cast<size_t>(h.record_count) > data.size()) {
    return absl::InvalidArgumentError(absl::StrCat("record count ", h.record_count, " but only ",
                                                   data.size(), " bytes of records"));
  }
  std::vector<Record> records;
  records.reserve(static_cast<size_t>(h.record_count));
  Reader reader(data);
  for (int32_t i = 0; i < h.record_count; ++i) {
    int32_t length = reader.VarInt();
    if (reader.ok() && (length < 0 || static_cast<size_t>(length) > reader.remaining())) {
      reader.Fail(absl::StrCat("record ", i, " length ", length, " with ", reader.remaining(),
                               " bytes left"));
    }
    if (!reader.ok()) break;
    Reader body(reader.Raw(static_cast<size_t>(length)));
    records.push_back(ReadRecord(body));
    if (body.ok() && !body.AtEnd()) {
      body.Fail(absl::StrCat(body.remaining(), " bytes left inside the record"));
    }
    if (!body.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("record ", i, ": ", body.status().message()));
    }
  }
  if (!reader.ok()) return absl::InvalidArgumentError(std::string(reader.status().message()));
  if (!reader.AtEnd()) {
    return absl::InvalidArgumentError(
        absl::StrCat(reader.remaining(), " bytes after the batch's ", h.record_count, " records"));
  }
  // Compaction may remove a batch's last records but keeps its last_offset_delta, so the last
  // record may sit below it; never above.
  if (!records.empty() && records.back().offset_delta > h.last_offset_delta) {
    return absl::InvalidArgumentError(
        absl::StrCat("last offset delta ", h.last_offset_delta, " but a record has delta ",
                     records.back().offset_delta));
  }
  return records;
}

absl::StatusOr<std::vector<RecordBatch>> DecodeBatches(std::string_view records,
                                                       const BatchLimits& limits) {
  absl::StatusOr<std::vector<BatchView>> views = SplitBatches(records, limits);
  if (!views.ok()) return views.status();
  std::vector<RecordBatch> batches;
  batches.reserve(views->size());
  for (const BatchView& view : *views) {
    absl::StatusOr<std::vector<Record>> decoded = DecodeRecords(view, limits);
    if (!decoded.ok()) return decoded.status();
    batches.push_back(RecordBatch{view.header, std::move(*decoded)});
  }
  return batches;
}

absl::StatusOr<std::string> EncodeBatch(const RecordBatch& batch, Compression compression) {
  Writer plain;
  for (const Record& record : batch.records) {
    Writer body;
    body.Int8(record.attributes);
    body.VarLong(record.timestamp_delta);
    body.VarInt(record.offset_delta);
    WriteRecordBytes(body, record.key);
    WriteRecordBytes(body, record.value);
    body.VarInt(static_cast<int32_t>(record.headers.size()));
    for (const RecordHeader& header : record.headers) {
      WriteRecordBytes(body, header.key);
      WriteRecordBytes(body, header.value);
    }
    plain.VarInt(static_cast<int32_t>(body.size()));
    plain.Raw(body.data());
  }
  absl::StatusOr<std::string> payload = Compress(compression, plain.data());
  if (!payload.ok()) return payload.status();

  const BatchHeader& h = batch.header;
  Writer out;
  out.Int64(h.base_offset);
  out.Int32(0);  // batch_length, patched below
  out.Int32(h.partition_leader_epoch);
  out.Int8(kMagicV2);
  out.UInt32(0);  // crc, patched below
  out.Int16(
      static_cast<int16_t>((h.attributes & ~kCompressionMask) | static_cast<int16_t>(compression)));
  out.Int32(h.last_offset_delta);
  out.Int64(h.base_timestamp);
  out.Int64(h.max_timestamp);
  out.Int64(h.producer_id);
  out.Int16(h.producer_epoch);
  out.Int32(h.base_sequence);
  out.Int32(static_cast<int32_t>(batch.records.size()));
  out.Raw(*payload);
  out.PatchInt32(8, static_cast<int32_t>(out.size() - kBatchLengthEnd));
  out.PatchInt32(kBatchCrcOffset, static_cast<int32_t>(BatchCrc(out.data())));
  return out.Release();
}

absl::Status SetBaseOffset(std::string& batch, int64_t base_offset) {
  if (batch.size() < kBatchHeaderBytes) return absl::InvalidArgumentError("not a record batch");
  PutBigEndian(batch, 0, static_cast<uint64_t>(base_offset), 8);
  return absl::OkStatus();
}

absl::Status SetPartitionLeaderEpoch(std::string& batch, int32_t epoch) {
  if (batch.size() < kBatchHeaderBytes) return absl::InvalidArgumentError("not a record batch");
  PutBigEndian(batch, kBatchLengthEnd, static_cast<uint32_t>(epoch), 4);
  return absl::OkStatus();
}

absl::Status SetLogAppendTime(std::string& batch, int64_t log_append_time_ms) {
  if (batch.size() < kBatchHeaderBytes) return absl::InvalidArgumentError("not a record batch");
  uint16_t attributes =
      static_cast<uint16_t>((static_cast<uint8_t>(batch[kBatchAttributesOffset]) << 8) |
                            static_cast<uint8_t>(batch[kBatchAttributesOffset + 1]));
  attributes |= kTimestampTypeLogAppendTime;
  PutBigEndian(batch, kBatchAttributesOffset, attributes, 2);
  PutBigEndian(batch, kMaxTimestampOffset, static_cast<uint64_t>(log_append_time_ms), 8);
  PutBigEndian(batch, kBatchCrcOffset, BatchCrc(batch), 4);
  return absl::OkStatus();
}

}  // namespace keel::kafka

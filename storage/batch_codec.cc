#include "storage/batch_codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/crc32c.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void SetU32(std::string* out, size_t pos, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*out)[pos + i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
bool GetVarint(const char** p, const char* end, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
    uint8_t b = static_cast<uint8_t>(*(*p)++);
    *v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}
void PutString(std::string* out, const std::string& s) {
  PutVarint(out, s.size());
  out->append(s);
}
bool GetString(const char** p, const char* end, std::string* s) {
  uint64_t n;
  if (!GetVarint(p, end, &n) || n > static_cast<uint64_t>(end - *p)) return false;
  s->assign(*p, n);
  *p += n;
  return true;
}

}  // namespace

bool NeedsV2(const RecordBatch& batch) {
  if (!batch.dense()) return true;
  for (const Record& r : batch.records) {
    if (r.null_key || r.null_value) return true;
  }
  return false;
}

std::string EncodeBatch(const RecordBatch& batch) {
  const bool v2 = NeedsV2(batch);
  std::string out;
  PutU64(&out, static_cast<uint64_t>(batch.base_offset));
  PutU32(&out, 0);  // length, patched below
  PutU32(&out, 0);  // crc, patched below
  PutU32(&out, v2 ? format::kBatchMagicV2 : format::kBatchMagic);
  PutU32(&out, static_cast<uint32_t>(batch.leader_epoch));
  PutU32(&out, static_cast<uint32_t>(batch.span()));
  PutU32(&out, 0);  // attributes
  int64_t max_ts = batch.max_timestamp_ms;
  for (const Record& r : batch.records) max_ts = std::max(max_ts, r.timestamp_ms);
  PutU64(&out, static_cast<uint64_t>(max_ts));
  if (v2) PutVarint(&out, batch.records.size());
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const Record& r = batch.records[i];
    if (v2) {
      PutVarint(&out, static_cast<uint64_t>(batch.OffsetOf(i) - batch.base_offset));
      out.push_back(static_cast<char>((r.null_key ? format::kRecordNullKey : 0) |
                                      (r.null_value ? format::kRecordNullValue : 0)));
    }
    PutString(&out, r.key);
    PutString(&out, r.value);
    PutVarint(&out, r.headers.size());
    for (const Header& h : r.headers) {
      PutString(&out, h.key);
      PutString(&out, h.value);
    }
    PutU64(&out, static_cast<uint64_t>(r.timestamp_ms));
  }
  SetU32(&out, format::kOffsetLength, static_cast<uint32_t>(out.size()));
  SetU32(&out, format::kOffsetCrc,
         crc32c::Value(out.data() + format::kCrcStart, out.size() - format::kCrcStart));
  return out;
}

absl::StatusOr<BatchHeader> DecodeBatchHeader(const char* data, size_t size) {
  if (size < static_cast<size_t>(format::kBatchHeaderBytes)) {
    return absl::DataLossError("record batch header is truncated");
  }
  BatchHeader h;
  h.base_offset = static_cast<int64_t>(GetU64(data + format::kOffsetBaseOffset));
  h.length_bytes = GetU32(data + format::kOffsetLength);
  h.crc = GetU32(data + format::kOffsetCrc);
  h.magic = GetU32(data + format::kOffsetMagic);
  h.leader_epoch = static_cast<int32_t>(GetU32(data + format::kOffsetLeaderEpoch));
  h.record_count = GetU32(data + format::kOffsetRecordCount);
  h.max_timestamp_ms = static_cast<int64_t>(GetU64(data + format::kOffsetMaxTimestamp));
  if ((h.magic != format::kBatchMagic && h.magic != format::kBatchMagicV2) || h.length_bytes < format::kBatchHeaderBytes ||
      h.length_bytes > format::kMaxBatchBytes || h.record_count == 0) {
    return absl::DataLossError(
        absl::StrCat("corrupt record batch header at offset ", h.base_offset));
  }
  return h;
}

bool BatchIsValid(const char* data, size_t size) {
  auto h = DecodeBatchHeader(data, size);
  if (!h.ok() || h->length_bytes > size) return false;
  return crc32c::Value(data + format::kCrcStart, h->length_bytes - format::kCrcStart) == h->crc;
}

absl::StatusOr<RecordBatch> DecodeBatch(const char* data, size_t size) {
  auto h = DecodeBatchHeader(data, size);
  if (!h.ok()) return h.status();
  if (h->length_bytes > size) {
    return absl::DataLossError(
        absl::StrCat("record batch at offset ", h->base_offset, " is truncated"));
  }
  if (!BatchIsValid(data, size)) {
    return absl::DataLossError(absl::StrCat("CRC mismatch in record batch at offset ",
                                            h->base_offset, ": the log is corrupt"));
  }
  RecordBatch batch;
  batch.base_offset = h->base_offset;
  batch.leader_epoch = h->leader_epoch;
  batch.max_timestamp_ms = h->max_timestamp_ms;
  const char* p = data + format::kBatchHeaderBytes;
  const char* end = data + h->length_bytes;
  const bool v2 = h->magic == format::kBatchMagicV2;
  uint64_t record_count = h->record_count;
  if (v2 && (!GetVarint(&p, end, &record_count) || record_count > h->record_count)) {
    return absl::DataLossError(absl::StrCat("malformed record count in batch at ", h->base_offset));
  }
  int64_t previous_delta = -1;
  for (uint64_t i = 0; i < record_count; ++i) {
    Record r;
    if (v2) {
      uint64_t delta;
      if (!GetVarint(&p, end, &delta) || static_cast<int64_t>(delta) <= previous_delta ||
          delta >= h->record_count || p == end) {
        return absl::DataLossError(
            absl::StrCat("malformed offset delta in batch at ", h->base_offset));
      }
      previous_delta = static_cast<int64_t>(delta);
      batch.offset_deltas.push_back(previous_delta);
      const uint8_t flags = static_cast<uint8_t>(*p++);
      r.null_key = (flags & format::kRecordNullKey) != 0;
      r.null_value = (flags & format::kRecordNullValue) != 0;
    }
    uint64_t header_count;
    if (!GetString(&p, end, &r.key) || !GetString(&p, end, &r.value) ||
        !GetVarint(&p, end, &header_count) || header_count > static_cast<uint64_t>(end - p)) {
      return absl::DataLossError(absl::StrCat("malformed record in batch at ", h->base_offset));
    }
    for (uint64_t k = 0; k < header_count; ++k) {
      Header hd;
      if (!GetString(&p, end, &hd.key) || !GetString(&p, end, &hd.value)) {
        return absl::DataLossError(absl::StrCat("malformed header in batch at ", h->base_offset));
      }
      r.headers.push_back(std::move(hd));
    }
    if (end - p < 8) {
      return absl::DataLossError(absl::StrCat("malformed record in batch at ", h->base_offset));
    }
    r.timestamp_ms = static_cast<int64_t>(GetU64(p));
    p += 8;
    batch.records.push_back(std::move(r));
  }
  if (record_count != h->record_count) {
    // Strictly increasing deltas below the span: only fewer records than offsets leave gaps.
    batch.offset_count = h->record_count;
  } else {
    batch.offset_deltas.clear();  // dense: the same batch as a v1 one
  }
  return batch;
}

}  // namespace keel::storage

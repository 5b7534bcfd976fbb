#include "broker/kafka/batch_conversion.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/record_conversion.h"
#include "kafka/error_codes.h"
#include "kafka/record_batch.h"
#include "kafka/wire.h"

namespace keel::broker::kafka {
namespace {

// Kafka codes that common.proto does not name travel through the open proto3 enum by
// number (kafka/keel_errors.h translates them back unchanged).
keel::ErrorCode AsKeel(keel::kafka::ErrorCode code) { return static_cast<keel::ErrorCode>(code); }

}  // namespace

ValidationError KafkaRecordsToStorage(std::string_view records, const TopicPolicy& policy,
                                      bool log_append_time, int64_t now_ms,
                                      std::vector<storage::Record>* out,
                                      ProducedBatchInfo* info) {
  using keel::kafka::ErrorCode;
  if (static_cast<int64_t>(records.size()) > kMaxRecordListBytes) {
    return {AsKeel(ErrorCode::kRecordListTooLarge),
            absl::StrCat("The records are ", records.size(), " bytes, more than ",
                         kMaxRecordListBytes, " in one request.")};
  }
  keel::kafka::BatchLimits limits;
  limits.max_uncompressed_bytes = kMaxRecordListBytes;
  auto batches = keel::kafka::SplitBatches(records, limits);
  if (!batches.ok()) {
    return {keel::CORRUPT_MESSAGE, std::string(batches.status().message())};
  }
  if (batches->empty()) return {keel::CORRUPT_MESSAGE, "The request carries no record batch."};
  for (const keel::kafka::BatchView& view : *batches) {
    if (static_cast<int64_t>(view.bytes.size()) > policy.max_message_bytes) {
      return {keel::MESSAGE_TOO_LARGE,
              absl::StrCat("The batch is ", view.bytes.size(),
                           " bytes, larger than the topic's max.message.bytes ",
                           policy.max_message_bytes, ".")};
    }
    if (view.header.is_transactional() || view.header.is_control()) {
      return {keel::INVALID_REQUEST, "Transactional and control batches are not supported."};
    }
  }
  if (info != nullptr) {
    const keel::kafka::BatchHeader& h = (*batches)[0].header;
    info->producer_id = h.producer_id;
    info->producer_epoch = h.producer_epoch;
    info->base_sequence = h.base_sequence;
    info->record_count = h.record_count;
  }
  int64_t uncompressed_bytes = 0;
  for (const keel::kafka::BatchView& view : *batches) {
    auto decoded = keel::kafka::DecodeRecords(view, limits);
    if (!decoded.ok()) {
      if (absl::IsResourceExhausted(decoded.status())) {
        return {AsKeel(ErrorCode::kRecordListTooLarge), std::string(decoded.status().message())};
      }
      return {keel::CORRUPT_MESSAGE, std::string(decoded.status().message())};
    }
    out->reserve(out->size() + decoded->size());
    for (keel::kafka::Record& r : *decoded) {
      if (policy.compact && !r.key.has_value()) {
        return {AsKeel(ErrorCode::kInvalidRecord),
                "Compacted topic cannot accept message without key."};
      }
      storage::Record& s = out->emplace_back();
      s.null_key = !r.key.has_value();
      s.null_value = !r.value.has_value();
      if (r.key.has_value()) s.key = std::move(*r.key);
      if (r.value.has_value()) s.value = std::move(*r.value);
      const int64_t ts = view.header.base_timestamp + r.timestamp_delta;
      s.timestamp_ms = (log_append_time || ts < 0) ? now_ms : ts;
      s.headers.reserve(r.headers.size());
      for (keel::kafka::RecordHeader& h : r.headers) {
        s.headers.push_back({std::move(h.key), h.value.has_value() ? std::move(*h.value) : ""});
      }
      uncompressed_bytes += static_cast<int64_t>(s.key.size() + s.value.size());
    }
    if (uncompressed_bytes > kMaxRecordListBytes) {
      return {AsKeel(ErrorCode::kRecordListTooLarge),
              absl::StrCat("The records hold more than ", kMaxRecordListBytes,
                           " bytes once decompressed.")};
    }
  }
  return {};
}

void AppendKafkaBatch(storage::RecordBatch&& batch, bool log_append_time, std::string* out) {
  if (batch.span() <= 0) return;
  // Written in one pass straight from the stored records (no intermediate record structs,
  // no per-record buffers): the fetch path's main cost besides the CRC.
  using keel::kafka::VarIntSize;
  using keel::kafka::VarLongSize;
  const int64_t base_timestamp =
      batch.records.empty() ? batch.max_timestamp_ms : batch.records.front().timestamp_ms;
  int64_t max_timestamp = base_timestamp;
  for (const storage::Record& r : batch.records) max_timestamp = std::max(max_timestamp, r.timestamp_ms);
  const size_t start = out->size();
  keel::kafka::Writer w(std::move(*out));
  w.Int64(batch.base_offset);
  w.Int32(0);  // batch length, patched below
  w.Int32(batch.leader_epoch);
  w.Int8(keel::kafka::kMagicV2);
  w.UInt32(0);  // CRC, patched below
  w.Int16(log_append_time ? keel::kafka::kTimestampTypeLogAppendTime : 0);
  // lastOffsetDelta covers the whole range: after compaction it may exceed the record count
  // (offset gaps, as in Kafka's own cleaned batches), and the consumer resumes past it.
  w.Int32(static_cast<int32_t>(batch.span() - 1));
  w.Int64(base_timestamp);
  w.Int64(max_timestamp);
  w.Int64(-1);  // producer id
  w.Int16(-1);  // producer epoch
  w.Int32(-1);  // base sequence
  w.Int32(static_cast<int32_t>(batch.records.size()));
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const storage::Record& r = batch.records[i];
    const int32_t delta = static_cast<int32_t>(batch.OffsetOf(i) - batch.base_offset);
    const int64_t timestamp_delta = r.timestamp_ms - base_timestamp;
    const int32_t key_length = r.null_key ? -1 : static_cast<int32_t>(r.key.size());
    const int32_t value_length = r.null_value ? -1 : static_cast<int32_t>(r.value.size());
    int32_t header_count = 0;
    for (const storage::Header& h : r.headers) header_count += h.key != kProducerStateHeader;
    size_t size = 1 + VarLongSize(timestamp_delta) + VarIntSize(delta) +
                  VarIntSize(key_length) + r.key.size() + VarIntSize(value_length) +
                  r.value.size() + VarIntSize(header_count);
    for (const storage::Header& h : r.headers) {
      if (h.key == kProducerStateHeader) continue;
      size += VarIntSize(static_cast<int32_t>(h.key.size())) + h.key.size() +
              VarIntSize(static_cast<int32_t>(h.value.size())) + h.value.size();
    }
    w.VarInt(static_cast<int32_t>(size));
    w.Int8(0);  // record attributes
    w.VarLong(timestamp_delta);
    w.VarInt(delta);
    w.VarInt(key_length);
    w.Raw(r.key);
    w.VarInt(value_length);
    w.Raw(r.value);
    w.VarInt(header_count);
    for (const storage::Header& h : r.headers) {
      if (h.key == kProducerStateHeader) continue;
      w.VarInt(static_cast<int32_t>(h.key.size()));
      w.Raw(h.key);
      w.VarInt(static_cast<int32_t>(h.value.size()));
      w.Raw(h.value);
    }
  }
  const size_t length = w.size() - start - keel::kafka::kBatchLengthEnd;
  w.PatchInt32(start + 8, static_cast<int32_t>(length));
  const std::string_view whole = std::string_view(w.data()).substr(start);
  w.PatchInt32(start + keel::kafka::kBatchCrcOffset,
               static_cast<int32_t>(keel::kafka::BatchCrc(whole)));
  *out = w.Release();
}

}  // namespace keel::broker::kafka

#include "broker/kafka/batch_conversion.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "kafka/error_codes.h"
#include "kafka/record_batch.h"

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
      storage::Record& s = out->emplace_back();
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
  if (batch.records.empty()) return;
  keel::kafka::RecordBatch k;
  keel::kafka::BatchHeader& h = k.header;
  h.base_offset = batch.base_offset;
  h.partition_leader_epoch = batch.leader_epoch;
  h.last_offset_delta = static_cast<int32_t>(batch.records.size() - 1);
  h.base_timestamp = batch.records.front().timestamp_ms;
  h.max_timestamp = batch.records.front().timestamp_ms;
  if (log_append_time) h.attributes |= keel::kafka::kTimestampTypeLogAppendTime;
  k.records.reserve(batch.records.size());
  int32_t delta = 0;
  for (storage::Record& r : batch.records) {
    h.max_timestamp = std::max(h.max_timestamp, r.timestamp_ms);
    keel::kafka::Record& kr = k.records.emplace_back();
    kr.offset_delta = delta++;
    kr.timestamp_delta = r.timestamp_ms - h.base_timestamp;
    if (!r.key.empty()) kr.key = std::move(r.key);
    kr.value = std::move(r.value);
    kr.headers.reserve(r.headers.size());
    for (storage::Header& sh : r.headers) {
      kr.headers.push_back({std::move(sh.key), std::move(sh.value)});
    }
  }
  auto encoded = keel::kafka::EncodeBatch(k, keel::kafka::Compression::kNone);
  // Uncompressed encoding fails only for values no record can hold (over 2 GiB).
  if (encoded.ok()) out->append(*encoded);
}

}  // namespace keel::broker::kafka

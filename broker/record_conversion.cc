#include "broker/record_conversion.h"

#include <algorithm>

namespace keel::broker {
namespace {
// Offset delta, timestamp, lengths: what the log's batch codec spends per record, roughly.
constexpr int64_t kRecordOverheadBytes = 24;
constexpr int64_t kHeaderOverheadBytes = 8;
}  // namespace

std::vector<storage::Record> ToStorageRecords(
    const google::protobuf::RepeatedPtrField<keel::broker::Record>& records,
    int64_t append_time_ms) {
  std::vector<storage::Record> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    storage::Record s;
    s.key = r.key();
    s.value = r.value();
    s.null_key = !r.has_key();
    s.null_value = !r.has_value();
    s.timestamp_ms = r.timestamp_ms() == 0 ? append_time_ms : r.timestamp_ms();
    s.headers.reserve(r.headers_size());
    for (const auto& h : r.headers()) s.headers.push_back({h.key(), h.value()});
    out.push_back(std::move(s));
  }
  return out;
}

int64_t AppendWireBatch(const storage::RecordBatch& batch, int64_t from_offset,
                        int64_t below_offset, keel::broker::RecordBatch* out,
                        bool keep_reserved_headers) {
  int64_t bytes = 0;
  out->set_last_offset(std::min(batch.last_offset(), below_offset - 1));
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const storage::Record& r = batch.records[i];
    const int64_t this_offset = batch.OffsetOf(i);
    if (this_offset < from_offset || this_offset >= below_offset) continue;
    keel::broker::Record* w = out->add_records();
    if (!r.null_key) w->set_key(r.key);
    if (!r.null_value) w->set_value(r.value);
    w->set_timestamp_ms(r.timestamp_ms);
    w->set_offset(this_offset);
    for (const auto& h : r.headers) {
      if (!keep_reserved_headers && h.key == kProducerStateHeader) continue;
      auto* wh = w->add_headers();
      wh->set_key(h.key);
      wh->set_value(h.value);
    }
    bytes += RecordBytes(r);
  }
  return bytes;
}

int64_t RecordBytes(const keel::broker::Record& record) {
  int64_t bytes = kRecordOverheadBytes + static_cast<int64_t>(record.key().size()) +
                  static_cast<int64_t>(record.value().size());
  for (const auto& h : record.headers()) {
    bytes += kHeaderOverheadBytes + static_cast<int64_t>(h.key().size() + h.value().size());
  }
  return bytes;
}

int64_t RecordBytes(const storage::Record& record) {
  int64_t bytes = kRecordOverheadBytes + static_cast<int64_t>(record.key.size()) +
                  static_cast<int64_t>(record.value.size());
  for (const auto& h : record.headers) {
    bytes += kHeaderOverheadBytes + static_cast<int64_t>(h.key.size() + h.value.size());
  }
  return bytes;
}

}  // namespace keel::broker

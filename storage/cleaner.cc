#include "storage/cleaner.h"

#include <algorithm>
#include <limits>

namespace keel::storage {
namespace {

int64_t ApproxBytes(const Record& r) {
  int64_t bytes = 24 + static_cast<int64_t>(r.key.size() + r.value.size());
  for (const Header& h : r.headers) bytes += 8 + static_cast<int64_t>(h.key.size() + h.value.size());
  return bytes;
}

// The batch format counts a batch's offsets in a u32.
constexpr int64_t kMaxBatchSpan = std::numeric_limits<uint32_t>::max();

}  // namespace

void KeyMap::Add(const RecordBatch& batch) {
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const Record& r = batch.records[i];
    if (r.null_key) continue;
    int64_t& newest = newest_[r.key];
    newest = std::max(newest, batch.OffsetOf(i));
  }
}

int64_t KeyMap::NewestOffset(const std::string& key) const {
  auto it = newest_.find(key);
  return it == newest_.end() ? -1 : it->second;
}

std::vector<RecordBatch> CleanBatches(const std::vector<RecordBatch>& batches, const KeyMap& keys,
                                      const CleanRules& rules, CleanStats* stats) {
  const bool tombstones_expired =
      rules.segment_max_timestamp_ms < rules.now_ms - rules.delete_retention_ms;
  std::vector<RecordBatch> out;
  int64_t out_bytes = 0;
  for (const RecordBatch& in : batches) {
    RecordBatch kept;
    kept.base_offset = in.base_offset;
    kept.leader_epoch = in.leader_epoch;
    kept.max_timestamp_ms = in.max_timestamp_ms;
    kept.offset_count = in.span();
    int64_t kept_bytes = 0;
    for (size_t i = 0; i < in.records.size(); ++i) {
      const Record& r = in.records[i];
      const int64_t offset = in.OffsetOf(i);
      ++stats->records_in;
      if (r.null_key) {
        ++stats->null_keys_removed;
        continue;
      }
      if (keys.NewestOffset(r.key) > offset) continue;  // superseded
      if (r.null_value && tombstones_expired) {
        ++stats->tombstones_removed;
        continue;
      }
      ++stats->records_kept;
      kept.offset_deltas.push_back(offset - in.base_offset);
      kept.records.push_back(r);
      kept_bytes += ApproxBytes(r);
    }
    // Merge into the previous output batch when that keeps epochs exact and sizes sane.
    if (!out.empty()) {
      RecordBatch& prev = out.back();
      const int64_t span = in.next_offset() - prev.base_offset;
      if (prev.leader_epoch == kept.leader_epoch && prev.next_offset() == kept.base_offset &&
          span <= kMaxBatchSpan && out_bytes + kept_bytes <= rules.merge_batch_bytes) {
        const int64_t shift = kept.base_offset - prev.base_offset;
        for (size_t i = 0; i < kept.records.size(); ++i) {
          prev.offset_deltas.push_back(kept.offset_deltas[i] + shift);
          prev.records.push_back(std::move(kept.records[i]));
        }
        prev.offset_count = span;
        prev.max_timestamp_ms = std::max(prev.max_timestamp_ms, kept.max_timestamp_ms);
        out_bytes += kept_bytes;
        continue;
      }
    }
    out.push_back(std::move(kept));
    out_bytes = kept_bytes;
  }
  // A batch that lost nothing is written as it came (dense, v1 when it can be).
  for (RecordBatch& b : out) {
    if (static_cast<int64_t>(b.records.size()) == b.span()) {
      b.offset_deltas.clear();
      b.offset_count = 0;
    }
  }
  return out;
}

}  // namespace keel::storage

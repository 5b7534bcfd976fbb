#include "broker/replica_apply.h"

#include <algorithm>
#include <optional>

#include "common/logging.h"

namespace keel::broker {
namespace {

// The batch as the leader stores it: with its offset range and, if compacted, its gaps.
// Nullopt when the records' offsets do not fit the range (a broken leader).
std::optional<storage::RecordBatch> FromWire(const RecordBatch& wire) {
  storage::RecordBatch b;
  b.base_offset = wire.base_offset();
  b.leader_epoch = wire.leader_epoch();
  b.records.reserve(wire.records_size());
  const int64_t last = wire.has_last_offset() ? wire.last_offset()
                                              : wire.base_offset() + wire.records_size() - 1;
  if (last < b.base_offset) return std::nullopt;
  b.offset_count = last - b.base_offset + 1;
  for (const Record& r : wire.records()) {
    const int64_t delta = r.offset() - b.base_offset;
    if (delta < 0 || delta >= b.offset_count ||
        (!b.offset_deltas.empty() && delta <= b.offset_deltas.back())) {
      return std::nullopt;
    }
    b.offset_deltas.push_back(delta);
    storage::Record s;
    s.key = r.key();
    s.value = r.value();
    s.null_key = !r.has_key();
    s.null_value = !r.has_value();
    s.timestamp_ms = r.timestamp_ms();
    for (const auto& h : r.headers()) s.headers.push_back({h.key(), h.value()});
    b.max_timestamp_ms = std::max(b.max_timestamp_ms, s.timestamp_ms);
    b.records.push_back(std::move(s));
  }
  if (static_cast<int64_t>(b.records.size()) == b.offset_count) {
    b.offset_deltas.clear();  // dense
    b.offset_count = 0;
  }
  return b;
}

}  // namespace

bool ApplyReplicaFetch(Partition& p, const FetchPartitionData& data, int32_t fetch_epoch,
                       PartitionManager* partitions) {
  if (!p.IsFollowingAt(fetch_epoch)) return false;  // stale: the next request names the new one
  if (data.error() == keel::OFFSET_OUT_OF_RANGE &&
      p.log()->log_end_offset() < data.log_start_offset()) {
    KEEL_LOG_INFO("{}-{}: the leader starts at {}, past our end {}; starting over there",
                  p.topic(), p.partition(), data.log_start_offset(), p.log()->log_end_offset());
    if (absl::Status s = p.ResetTo(data.log_start_offset(), fetch_epoch); !s.ok()) {
      KEEL_LOG_ERROR("{}-{}: reset failed: {}", p.topic(), p.partition(), s.ToString());
    }
    (void)partitions->SaveEpochHistory(p);
    return true;
  }
  if (data.error() != keel::NONE) return false;  // epochs or leadership: wait for metadata
  if (data.has_diverging_epoch()) {
    // Truncate to the smaller of where the leader's epoch ends and where ours does.
    int64_t target = data.diverging_epoch().end_offset();
    if (data.diverging_epoch().epoch() >= 0) {
      auto [epoch, ours] = p.EndOffsetForEpoch(data.diverging_epoch().epoch());
      if (epoch == data.diverging_epoch().epoch()) target = std::min(target, ours);
    }
    target = std::min(target, p.log()->log_end_offset());
    KEEL_LOG_INFO("{}-{}: log diverges from the leader's at epoch {}; truncating from {} to {}",
                  p.topic(), p.partition(), data.diverging_epoch().epoch(),
                  p.log()->log_end_offset(), target);
    if (absl::Status s = p.TruncateTo(target, fetch_epoch); !s.ok()) {
      if (absl::IsFailedPrecondition(s)) return false;  // epoch moved on
      KEEL_LOG_ERROR("{}-{}: truncation failed: {}", p.topic(), p.partition(), s.ToString());
      return false;
    }
    (void)partitions->SaveEpochHistory(p);
    return true;
  }
  for (const RecordBatch& wire : data.batches()) {
    if (wire.records_size() == 0 && !wire.has_last_offset()) continue;
    if (wire.base_offset() != p.log()->log_end_offset()) break;  // refetch from our end
    std::optional<storage::RecordBatch> batch = FromWire(wire);
    if (!batch.has_value()) {
      KEEL_LOG_ERROR("{}-{}: the leader sent a batch at {} whose record offsets do not fit it",
                     p.topic(), p.partition(), wire.base_offset());
      return false;
    }
    auto newer_epoch = p.AppendAsFollower(std::move(*batch), fetch_epoch);
    if (absl::IsFailedPrecondition(newer_epoch.status())) return false;  // epoch moved on
    if (!newer_epoch.ok()) {
      KEEL_LOG_ERROR("{}-{}: follower append failed: {}", p.topic(), p.partition(),
                     newer_epoch.status().ToString());
      return false;
    }
    if (*newer_epoch) (void)partitions->SaveEpochHistory(p);
  }
  p.SetHighWatermarkFromLeader(data.high_watermark(), fetch_epoch);
  return true;
}

}  // namespace keel::broker

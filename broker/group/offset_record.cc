#include "broker/group/offset_record.h"

#include "absl/strings/str_cat.h"
#include "kafka/wire.h"

namespace keel::broker::group {

std::string EncodeOffsetKey(const std::string& group_id, const TopicPartition& tp) {
  keel::kafka::Writer w;
  w.Int16(kOffsetCommitKey);
  w.String(group_id);
  w.String(tp.topic);
  w.Int32(tp.partition);
  return w.Release();
}

std::string EncodeOffsetValue(const CommittedOffset& offset) {
  keel::kafka::Writer w;
  w.Int16(kOffsetValueVersion);
  w.Int64(offset.offset);
  w.Int32(offset.leader_epoch);
  w.NullableString(offset.metadata);
  return w.Release();
}

std::string EncodeGroupDeletedKey(const std::string& group_id) {
  keel::kafka::Writer w;
  w.Int16(kGroupDeletedKey);
  w.String(group_id);
  return w.Release();
}

std::string EncodeGroupDeletedValue() {
  keel::kafka::Writer w;
  w.Int16(kOffsetValueVersion);
  return w.Release();
}

absl::Status OffsetReplay::Apply(std::string_view key, std::string_view value) {
  keel::kafka::Reader k(key);
  const int16_t kind = k.Int16();
  std::string group_id = k.String();
  if (kind == kGroupDeletedKey) {
    if (!k.AtEnd()) return absl::DataLossError("malformed group-deleted key");
    offsets_.erase(group_id);
    return absl::OkStatus();
  }
  if (kind != kOffsetCommitKey) {
    return absl::DataLossError(absl::StrCat("unknown offsets record kind ", kind));
  }
  TopicPartition tp;
  tp.topic = k.String();
  tp.partition = k.Int32();
  if (!k.AtEnd()) return absl::DataLossError("malformed offset commit key");
  if (value.empty()) {  // tombstone
    auto it = offsets_.find(group_id);
    if (it != offsets_.end()) {
      it->second.erase(tp);
      if (it->second.empty()) offsets_.erase(it);
    }
    return absl::OkStatus();
  }
  keel::kafka::Reader v(value);
  const int16_t version = v.Int16();
  CommittedOffset o;
  o.offset = v.Int64();
  o.leader_epoch = v.Int32();
  o.metadata = v.NullableString();
  if (!v.AtEnd() || version != kOffsetValueVersion) {
    return absl::DataLossError(absl::StrCat("malformed offset commit value (version ", version,
                                            ")"));
  }
  offsets_[group_id][tp] = std::move(o);
  return absl::OkStatus();
}

}  // namespace keel::broker::group

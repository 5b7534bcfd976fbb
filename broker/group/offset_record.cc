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

std::string EncodeGroupMetadataKey(const std::string& group_id) {
  keel::kafka::Writer w;
  w.Int16(kGroupMetadataKey);
  w.String(group_id);
  return w.Release();
}

std::string EncodeGroupMetadataValue(const GroupSnapshot& snapshot) {
  keel::kafka::Writer w;
  w.Int16(kOffsetValueVersion);
  w.Int32(snapshot.generation_id);
  w.String(snapshot.protocol_type);
  w.String(snapshot.protocol_name);
  w.String(snapshot.leader_id);
  w.Int32(static_cast<int32_t>(snapshot.members.size()));
  for (const GroupSnapshot::Member& m : snapshot.members) {
    w.String(m.member_id);
    w.NullableString(m.group_instance_id);
    w.String(m.client_id);
    w.String(m.client_host);
    w.Int32(m.session_timeout_ms);
    w.Int32(m.rebalance_timeout_ms);
    w.Bytes(m.metadata);
    w.Bytes(m.assignment);
  }
  return w.Release();
}

absl::Status OffsetReplay::ApplyGroupMetadata(const std::string& group_id,
                                              std::string_view value) {
  if (value.empty()) {
    groups_.erase(group_id);
    return absl::OkStatus();
  }
  keel::kafka::Reader v(value);
  const int16_t version = v.Int16();
  GroupSnapshot s;
  s.group_id = group_id;
  s.generation_id = v.Int32();
  s.protocol_type = v.String();
  s.protocol_name = v.String();
  s.leader_id = v.String();
  const int32_t count = v.Int32();
  // Every member takes at least 28 bytes: a count beyond what is left is a lie.
  if (!v.ok() || count < 0 || static_cast<size_t>(count) > v.remaining() / 28) {
    return absl::DataLossError("malformed group metadata value");
  }
  for (int32_t i = 0; i < count && v.ok(); ++i) {
    GroupSnapshot::Member m;
    m.member_id = v.String();
    m.group_instance_id = v.NullableString();
    m.client_id = v.String();
    m.client_host = v.String();
    m.session_timeout_ms = v.Int32();
    m.rebalance_timeout_ms = v.Int32();
    m.metadata = v.Bytes();
    m.assignment = v.Bytes();
    s.members.push_back(std::move(m));
  }
  if (!v.AtEnd() || version != kOffsetValueVersion) {
    return absl::DataLossError(absl::StrCat("malformed group metadata value (version ", version,
                                            ")"));
  }
  auto it = groups_.find(group_id);
  if (it == groups_.end() || it->second.generation_id <= s.generation_id) {
    groups_[group_id] = std::move(s);
  }
  return absl::OkStatus();
}

absl::Status OffsetReplay::Apply(std::string_view key, std::string_view value) {
  keel::kafka::Reader k(key);
  const int16_t kind = k.Int16();
  std::string group_id = k.String();
  if (kind == kGroupDeletedKey) {
    if (!k.AtEnd()) return absl::DataLossError("malformed group-deleted key");
    offsets_.erase(group_id);
    groups_.erase(group_id);
    return absl::OkStatus();
  }
  if (kind == kGroupMetadataKey) {
    if (!k.AtEnd()) return absl::DataLossError("malformed group metadata key");
    return ApplyGroupMetadata(group_id, value);
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

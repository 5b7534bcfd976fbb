// The records the group coordinator writes to its __consumer_offsets partition, and their
// replay when a broker becomes a group's coordinator. The layout is ours, not Kafka's (a
// client never reads this topic); docs/formats/consumer-offsets.md specifies it.
//
// Replay is log order: the newest commit of a partition wins, an empty value (tombstone)
// removes it, and a group-deleted record removes every earlier commit of its group.
#ifndef KEEL_BROKER_GROUP_OFFSET_RECORD_H_
#define KEEL_BROKER_GROUP_OFFSET_RECORD_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "broker/group/offset_store.h"

namespace keel::broker::group {

// The key's first field.
inline constexpr int16_t kOffsetCommitKey = 1;
inline constexpr int16_t kGroupDeletedKey = 2;
// The value's first field.
inline constexpr int16_t kOffsetValueVersion = 0;

std::string EncodeOffsetKey(const std::string& group_id, const TopicPartition& tp);
std::string EncodeOffsetValue(const CommittedOffset& offset);
std::string EncodeGroupDeletedKey(const std::string& group_id);
std::string EncodeGroupDeletedValue();

// Committed offsets by group, as the log says.
using LoadedOffsets = std::map<std::string, std::map<TopicPartition, CommittedOffset>>;

class OffsetReplay {
 public:
  // Applies one record; a record that does not decode is an error (and changes nothing).
  absl::Status Apply(std::string_view key, std::string_view value);
  const LoadedOffsets& offsets() const { return offsets_; }
  LoadedOffsets Release() { return std::move(offsets_); }

 private:
  LoadedOffsets offsets_;
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_OFFSET_RECORD_H_

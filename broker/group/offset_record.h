// The records the group coordinator writes to its __consumer_offsets partition, and their
// replay when a broker becomes a group's coordinator. The layout is ours, not Kafka's (a
// client never reads this topic); docs/formats/consumer-offsets.md specifies it.
//
// Replay is log order: the newest commit of a partition wins, an empty value (tombstone)
// removes it, and a group-deleted record removes every earlier commit and the membership of
// its group. Of a group's membership records the one with the highest generation wins (two
// writes of one group may land out of order; generations only grow).
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
inline constexpr int16_t kGroupMetadataKey = 3;
// The value's first field.
inline constexpr int16_t kOffsetValueVersion = 0;

std::string EncodeOffsetKey(const std::string& group_id, const TopicPartition& tp);
std::string EncodeOffsetValue(const CommittedOffset& offset);
std::string EncodeGroupDeletedKey(const std::string& group_id);
std::string EncodeGroupDeletedValue();
std::string EncodeGroupMetadataKey(const std::string& group_id);
std::string EncodeGroupMetadataValue(const GroupSnapshot& snapshot);

// Committed offsets by group, as the log says.
using LoadedOffsets = std::map<std::string, std::map<TopicPartition, CommittedOffset>>;

class OffsetReplay {
 public:
  // Applies one record; a record that does not decode is an error (and changes nothing).
  absl::Status Apply(std::string_view key, std::string_view value);
  const LoadedOffsets& offsets() const { return offsets_; }
  const std::map<std::string, GroupSnapshot>& groups() const { return groups_; }

 private:
  absl::Status ApplyGroupMetadata(const std::string& group_id, std::string_view value);

  LoadedOffsets offsets_;
  std::map<std::string, GroupSnapshot> groups_;
};

}  // namespace keel::broker::group

#endif  // KEEL_BROKER_GROUP_OFFSET_RECORD_H_

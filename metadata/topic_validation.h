// Kafka's rules for topic names and the topic configs Keel understands. Pure functions; the
// errors carry Kafka's error code and a Kafka-like message.
#ifndef KEEL_METADATA_TOPIC_VALIDATION_H_
#define KEEL_METADATA_TOPIC_VALIDATION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metadata/api_error.h"
#include "metadata/metadata_image.h"

namespace keel::metadata {

inline constexpr size_t kMaxTopicNameLength = 249;

// INVALID_TOPIC_EXCEPTION unless the name has 1-249 characters from [a-zA-Z0-9._-] and is
// neither "." nor "..".
std::optional<ApiError> ValidateTopicName(std::string_view name);

// Two names collide when their collision keys are equal (metadata::CollisionKey: Kafka treats
// '.' and '_' as equal).
bool TopicNamesCollide(std::string_view a, std::string_view b);
// INVALID_TOPIC_EXCEPTION if `name` collides with one of `existing` but is not equal to it
// (an equal name is TOPIC_ALREADY_EXISTS, the caller's check).
std::optional<ApiError> CheckTopicCollision(std::string_view name,
                                            const std::vector<std::string>& existing);

// The topic configs Keel accepts, in name order.
const std::vector<std::string>& KnownTopicConfigs();
bool IsKnownTopicConfig(std::string_view name);

// cleanup.policy: a comma-separated list of "delete" (retention deletes old segments) and
// "compact" (the cleaner keeps the newest record per key; docs/compaction.md), as in Kafka.
struct CleanupPolicy {
  bool delete_old = false;
  bool compact = false;
};
// nullopt when the list holds anything else (or is empty).
std::optional<CleanupPolicy> ParseCleanupPolicy(std::string_view value);

// The smallest segment.bytes accepted. Kafka's floor is 14 (LegacyRecord.RECORD_OVERHEAD_V0);
// Keel's is that of the broker flag --log_segment_bytes: a segment of a few batches at least,
// so a typo does not make a file per record.
inline constexpr int64_t kMinSegmentBytes = 1024;

// INVALID_CONFIG for an unknown key or a bad value. Rules: min.insync.replicas int in
// [1, replication_factor]; retention.ms, retention.bytes long >= -1; segment.bytes int >=
// kMinSegmentBytes;
// segment.ms long >= 1; flush.ms long >= 0; flush.messages long >= 1; max.message.bytes
// int >= 0; cleanup.policy a list of "delete" / "compact"; delete.retention.ms long >= 0;
// min.cleanable.dirty.ratio a number in [0, 1]; unclean.leader.election.enable "true" /
// "false".
std::optional<ApiError> ValidateTopicConfig(std::string_view name, std::string_view value,
                                            int replication_factor);
std::optional<ApiError> ValidateTopicConfigs(const std::map<std::string, std::string>& configs,
                                             int replication_factor);

}  // namespace keel::metadata

#endif  // KEEL_METADATA_TOPIC_VALIDATION_H_

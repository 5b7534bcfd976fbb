// Kafka's rules for topic names and the topic configs Keel understands. Pure functions; the
// errors carry Kafka's error code and a Kafka-like message.
#ifndef KEEL_CONTROLLER_LOGIC_TOPIC_VALIDATION_H_
#define KEEL_CONTROLLER_LOGIC_TOPIC_VALIDATION_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/logic/api_error.h"
#include "metadata/metadata_image.h"

namespace keel::controller {

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

// INVALID_CONFIG for an unknown key or a bad value. Rules: min.insync.replicas int in
// [1, replication_factor]; retention.ms, retention.bytes long >= -1; segment.bytes int >= 14;
// segment.ms long >= 1; flush.ms long >= 0; flush.messages long >= 1; max.message.bytes
// int >= 0; cleanup.policy "delete"; unclean.leader.election.enable "true" / "false".
std::optional<ApiError> ValidateTopicConfig(std::string_view name, std::string_view value,
                                            int replication_factor);
std::optional<ApiError> ValidateTopicConfigs(const std::map<std::string, std::string>& configs,
                                             int replication_factor);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_LOGIC_TOPIC_VALIDATION_H_

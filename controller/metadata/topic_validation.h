// Kafka's rules for topic names and the topic configs Keel understands.
#ifndef KEEL_CONTROLLER_METADATA_TOPIC_VALIDATION_H_
#define KEEL_CONTROLLER_METADATA_TOPIC_VALIDATION_H_

#include <map>
#include <optional>
#include <string>

#include "controller/metadata/api_error.h"

namespace keel::controller {

// 1-249 characters from [a-zA-Z0-9._-], and not "." or "..".
std::optional<ApiError> ValidateTopicName(const std::string& name);
// Kafka treats '.' and '_' as equal when checking for collisions (metric names).
std::string CollisionKey(const std::string& name);
// Known keys with valid values; min.insync.replicas must not exceed the replication factor.
std::optional<ApiError> ValidateTopicConfigs(const std::map<std::string, std::string>& configs,
                                             int replication_factor);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_METADATA_TOPIC_VALIDATION_H_

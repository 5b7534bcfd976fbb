#include "metadata/topic_validation.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace keel::metadata {
namespace {

enum class Kind { kInt, kLong, kBool, kCleanupPolicy, kTimestampType, kRatio };

struct ConfigSpec {
  const char* name;
  Kind kind;
  int64_t min;  // for kInt / kLong
};

// Sorted by name.
constexpr ConfigSpec kSpecs[] = {
    {"cleanup.policy", Kind::kCleanupPolicy, 0},
    {"delete.retention.ms", Kind::kLong, 0},
    {"flush.messages", Kind::kLong, 1},
    {"flush.ms", Kind::kLong, 0},
    {"max.message.bytes", Kind::kInt, 0},
    {"message.timestamp.type", Kind::kTimestampType, 0},
    {"min.cleanable.dirty.ratio", Kind::kRatio, 0},
    {"min.insync.replicas", Kind::kInt, 1},
    {"retention.bytes", Kind::kLong, -1},
    {"retention.ms", Kind::kLong, -1},
    {"segment.bytes", Kind::kInt, kMinSegmentBytes},
    {"segment.ms", Kind::kLong, 1},
    {"unclean.leader.election.enable", Kind::kBool, 0},
};

// Debian's Abseil has its own string_view type.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

const ConfigSpec* FindSpec(std::string_view name) {
  for (const ConfigSpec& spec : kSpecs) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

ApiError BadValue(std::string_view name, std::string_view value, std::string_view why) {
  return ApiError{INVALID_CONFIG, absl::StrCat("Invalid value ", Absl(value), " for configuration ",
                                               Absl(name), ": ", Absl(why))};
}

}  // namespace

std::optional<ApiError> ValidateTopicName(std::string_view name) {
  if (name.empty()) {
    return ApiError{INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty."};
  }
  if (name == "." || name == "..") {
    return ApiError{INVALID_TOPIC_EXCEPTION, "Topic name cannot be \".\" or \"..\"."};
  }
  if (name.size() > kMaxTopicNameLength) {
    return ApiError{
        INVALID_TOPIC_EXCEPTION,
        absl::StrCat("Topic name is illegal, it can't be longer than ", kMaxTopicNameLength,
                     " characters, topic name: ", Absl(name.substr(0, 32)), "...")};
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return ApiError{INVALID_TOPIC_EXCEPTION,
                      absl::StrCat("Topic name \"", Absl(name),
                                   "\" is illegal, it contains a character other than ASCII "
                                   "alphanumerics, '.', '_' and '-'")};
    }
  }
  return std::nullopt;
}

bool TopicNamesCollide(std::string_view a, std::string_view b) {
  return metadata::CollisionKey(a) == metadata::CollisionKey(b);
}

std::optional<ApiError> CheckTopicCollision(std::string_view name,
                                            const std::vector<std::string>& existing) {
  for (const std::string& other : existing) {
    if (other != name && TopicNamesCollide(name, other)) {
      return ApiError{
          INVALID_TOPIC_EXCEPTION,
          absl::StrCat("Topic '", Absl(name), "' collides with existing topic: ", other)};
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& KnownTopicConfigs() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const ConfigSpec& spec : kSpecs) v->push_back(spec.name);
    return v;
  }();
  return *names;
}

bool IsKnownTopicConfig(std::string_view name) { return FindSpec(name) != nullptr; }

std::optional<CleanupPolicy> ParseCleanupPolicy(std::string_view value) {
  CleanupPolicy policy;
  for (absl::string_view item : absl::StrSplit(Absl(value), ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item == "delete") {
      policy.delete_old = true;
    } else if (item == "compact") {
      policy.compact = true;
    } else {
      return std::nullopt;
    }
  }
  return policy;
}

std::optional<ApiError> ValidateTopicConfig(std::string_view name, std::string_view value,
                                            int replication_factor) {
  const ConfigSpec* spec = FindSpec(name);
  if (spec == nullptr) {
    return ApiError{INVALID_CONFIG, absl::StrCat("Unknown topic config name: ", Absl(name))};
  }
  switch (spec->kind) {
    case Kind::kCleanupPolicy:
      if (!ParseCleanupPolicy(value).has_value()) {
        return BadValue(name, value, "List must hold only [delete, compact]");
      }
      return std::nullopt;
    case Kind::kRatio: {
      double ratio = 0;
      if (!absl::SimpleAtod(Absl(value), &ratio) || !(ratio >= 0 && ratio <= 1)) {
        return BadValue(name, value, "Value must be a number in [0, 1]");
      }
      return std::nullopt;
    }
    case Kind::kTimestampType:  // which time a record keeps (the Kafka listener applies it)
      if (value != "CreateTime" && value != "LogAppendTime") {
        return BadValue(name, value, "String must be one of: CreateTime, LogAppendTime");
      }
      return std::nullopt;
    case Kind::kBool:
      if (value != "true" && value != "false") {
        return BadValue(name, value, "Expected value to be either true or false");
      }
      return std::nullopt;
    case Kind::kInt:
    case Kind::kLong:
      break;
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(Absl(value), &n) ||
      (spec->kind == Kind::kInt &&
       (n > std::numeric_limits<int32_t>::max() || n < std::numeric_limits<int32_t>::min()))) {
    return BadValue(
        name, value,
        spec->kind == Kind::kInt ? "Not a number of type INT" : "Not a number of type LONG");
  }
  if (n < spec->min)
    return BadValue(name, value, absl::StrCat("Value must be at least ", spec->min));
  if (name == "min.insync.replicas" && n > replication_factor) {
    return BadValue(
        name, value,
        absl::StrCat("Value must not exceed the replication factor ", replication_factor));
  }
  return std::nullopt;
}

std::optional<ApiError> ValidateTopicConfigs(const std::map<std::string, std::string>& configs,
                                             int replication_factor) {
  for (const auto& [name, value] : configs) {
    if (auto error = ValidateTopicConfig(name, value, replication_factor)) return error;
  }
  return std::nullopt;
}

}  // namespace keel::metadata

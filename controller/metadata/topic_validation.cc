#include "controller/metadata/topic_validation.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace keel::controller {

std::optional<ApiError> ValidateTopicName(const std::string& name) {
  if (name.empty()) return ApiError{INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty."};
  if (name == "." || name == "..") {
    return ApiError{INVALID_TOPIC_EXCEPTION, "Topic name cannot be \".\" or \"..\"."};
  }
  if (name.size() > 249) {
    return ApiError{INVALID_TOPIC_EXCEPTION,
                    absl::StrCat("Topic name is illegal, it can't be longer than 249 characters, "
                                 "topic name: ", name.substr(0, 32), "...")};
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return ApiError{INVALID_TOPIC_EXCEPTION,
                      absl::StrCat("Topic name '", name,
                                   "' is illegal, it contains a character other than ASCII "
                                   "alphanumerics, '.', '_' and '-'")};
    }
  }
  return std::nullopt;
}

std::string CollisionKey(const std::string& name) {
  std::string key = name;
  for (char& c : key) {
    if (c == '.') c = '_';
  }
  return key;
}

std::optional<ApiError> ValidateTopicConfigs(const std::map<std::string, std::string>& configs,
                                             int replication_factor) {
  for (const auto& [key, value] : configs) {
    auto bad = [&](const std::string& why) {
      return ApiError{INVALID_CONFIG,
                      absl::StrCat("Invalid value '", value, "' for configuration ", key, ": ", why)};
    };
    int64_t n = 0;
    if (key == "min.insync.replicas") {
      if (!absl::SimpleAtoi(value, &n) || n < 1) return bad("must be an integer >= 1");
      if (n > replication_factor) {
        return bad(absl::StrCat("exceeds the replication factor ", replication_factor));
      }
    } else if (key == "retention.ms" || key == "retention.bytes") {
      if (!absl::SimpleAtoi(value, &n) || n < -1) return bad("must be an integer >= -1");
    } else if (key == "segment.bytes") {
      if (!absl::SimpleAtoi(value, &n) || n < 14) return bad("must be an integer >= 14");
    } else if (key == "segment.ms" || key == "flush.ms") {
      if (!absl::SimpleAtoi(value, &n) || n < 0) return bad("must be an integer >= 0");
    } else if (key == "flush.messages") {
      if (!absl::SimpleAtoi(value, &n) || n < 1) return bad("must be an integer >= 1");
    } else if (key == "max.message.bytes") {
      if (!absl::SimpleAtoi(value, &n) || n < 0) return bad("must be an integer >= 0");
    } else if (key == "cleanup.policy") {
      if (value != "delete") return bad("only 'delete' is supported");
    } else if (key == "unclean.leader.election.enable") {
      if (value != "true" && value != "false") return bad("must be true or false");
    } else {
      return ApiError{INVALID_CONFIG, absl::StrCat("Unknown topic config name: ", key)};
    }
  }
  return std::nullopt;
}

}  // namespace keel::controller

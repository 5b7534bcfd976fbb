#include "client/producer_config.h"

#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace keel::client {

absl::StatusOr<Properties> ParseProperties(const std::vector<std::string>& entries) {
  Properties out;
  for (const std::string& entry : entries) {
    size_t eq = entry.find('=');
    std::string key(absl::StripAsciiWhitespace(entry.substr(0, eq)));
    if (eq == std::string::npos || key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("property '", entry, "' is not of the form key=value"));
    }
    out[key] = std::string(absl::StripAsciiWhitespace(entry.substr(eq + 1)));
  }
  return out;
}

absl::StatusOr<broker::Acks> ParseAcks(const std::string& text) {
  if (text == "all" || text == "-1") return broker::ACKS_ALL;
  if (text == "1" || text == "leader") return broker::ACKS_LEADER;
  if (text == "0" || text == "none") return broker::ACKS_NONE;
  return absl::InvalidArgumentError(
      absl::StrCat("acks must be all, -1, 1 or 0 (leader, none), not '", text, "'"));
}

absl::StatusOr<ProducerConfig> ProducerConfig::FromProperties(const Properties& properties) {
  ProducerConfig c;
  auto int64_field = [](int64_t* field) {
    return [field](const std::string& key, const std::string& value) -> absl::Status {
      if (!absl::SimpleAtoi(value, field)) {
        return absl::InvalidArgumentError(
            absl::StrCat(key, " must be an integer, not '", value, "'"));
      }
      return absl::OkStatus();
    };
  };
  auto int32_field = [](int32_t* field) {
    return [field](const std::string& key, const std::string& value) -> absl::Status {
      if (!absl::SimpleAtoi(value, field)) {
        return absl::InvalidArgumentError(
            absl::StrCat(key, " must be an integer, not '", value, "'"));
      }
      return absl::OkStatus();
    };
  };
  using Setter = std::function<absl::Status(const std::string&, const std::string&)>;
  const std::map<std::string, Setter> setters = {
      {"bootstrap.controllers",
       [&](const std::string&, const std::string& v) {
         c.bootstrap_controllers = v;
         return absl::OkStatus();
       }},
      {"bootstrap.servers",
       [&](const std::string&, const std::string& v) {
         c.bootstrap_servers = v;
         return absl::OkStatus();
       }},
      {"batch.size", int64_field(&c.batch_size_bytes)},
      {"linger.ms", int64_field(&c.linger_ms)},
      {"acks",
       [&](const std::string&, const std::string& v) -> absl::Status {
         auto acks = ParseAcks(v);
         if (!acks.ok()) return acks.status();
         c.acks = *acks;
         return absl::OkStatus();
       }},
      {"retries", int32_field(&c.retries)},
      {"retry.backoff.ms", int64_field(&c.retry_backoff_ms)},
      {"max.in.flight.requests.per.connection",
       int32_field(&c.max_in_flight_requests_per_connection)},
      {"delivery.timeout.ms", int64_field(&c.delivery_timeout_ms)},
      {"request.timeout.ms", int64_field(&c.request_timeout_ms)},
      {"buffer.memory", int64_field(&c.buffer_memory_bytes)},
      {"max.block.ms", int64_field(&c.max_block_ms)},
      {"max.request.size", int64_field(&c.max_request_size_bytes)},
      {"metadata.max.age.ms", int64_field(&c.metadata_max_age_ms)},
  };
  for (const auto& [key, value] : properties) {
    auto it = setters.find(key);
    if (it == setters.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown producer property '", key, "'"));
    }
    if (absl::Status s = it->second(key, value); !s.ok()) return s;
  }
  if (absl::Status s = c.Validate(); !s.ok()) return s;
  return c;
}

absl::Status ProducerConfig::Validate() const {
  auto positive = [](const char* name, int64_t v) -> absl::Status {
    if (v <= 0) return absl::InvalidArgumentError(absl::StrCat(name, " must be > 0, not ", v));
    return absl::OkStatus();
  };
  for (absl::Status s : {positive("batch.size", batch_size_bytes),
                         positive("max.in.flight.requests.per.connection",
                                  max_in_flight_requests_per_connection),
                         positive("request.timeout.ms", request_timeout_ms),
                         positive("buffer.memory", buffer_memory_bytes),
                         positive("max.request.size", max_request_size_bytes)}) {
    if (!s.ok()) return s;
  }
  if (linger_ms < 0 || retries < 0 || retry_backoff_ms < 0 || max_block_ms < 0) {
    return absl::InvalidArgumentError(
        "linger.ms, retries, retry.backoff.ms and max.block.ms must not be negative");
  }
  if (delivery_timeout_ms < linger_ms + request_timeout_ms) {
    return absl::InvalidArgumentError(absl::StrCat(
        "delivery.timeout.ms (", delivery_timeout_ms,
        ") must be at least linger.ms + request.timeout.ms (", linger_ms + request_timeout_ms,
        ")"));
  }
  return absl::OkStatus();
}

}  // namespace keel::client

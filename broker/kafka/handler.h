// Handler: one Kafka API served by the listener (Redpanda's handler-per-API shape). Each
// declares its key and the versions it serves (within the codec's, kafka/api_keys.h); the
// dispatcher checks the version and decodes the request header, and the handler decodes its
// body, does the work and encodes the response body.
//
// Adding an API (the group APIs of the consumer-group issue) is one more class registered in
// handlers/handlers.cc: ApiVersions advertises whatever the table holds.
//
// Thread safety: Handle runs concurrently on every connection's thread.
#ifndef KEEL_BROKER_KAFKA_HANDLER_H_
#define KEEL_BROKER_KAFKA_HANDLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace keel::broker::kafka {

struct RequestContext {
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::string client_id;
  std::string peer;  // host:port of the client
  // True once the listener stops or the connection goes away (long polls watch it).
  std::function<bool()> closing;
  // The response frame's size placeholder and header: a handler appends its body to a copy
  // (so a large response is encoded once, in place).
  std::string response_prefix;
};

struct HandlerResult {
  // Not OK: the request could not be decoded; the connection is closed (one log line).
  absl::Status status;
  // The response frame: context.response_prefix followed by the body, its size not yet
  // patched; nullopt: nothing is sent (acks=0).
  std::optional<std::string> frame;
  // The first error code the response carries (0: none), for the error-count metric.
  int16_t error_code = 0;

  static HandlerResult Malformed(absl::Status s) { return {std::move(s), std::nullopt, 0}; }
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual int16_t api_key() const = 0;
  virtual std::string_view name() const = 0;  // "Produce": the metrics' api label
  virtual int16_t min_version() const = 0;
  virtual int16_t max_version() const = 0;
  // `body` is the request after its header.
  virtual HandlerResult Handle(const RequestContext& context, std::string_view body) = 0;
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_HANDLER_H_

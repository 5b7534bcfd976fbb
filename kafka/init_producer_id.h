// InitProducerId (key 22), v0-5: a producer id and epoch for an idempotent (or, with a
// transactional id, transactional) producer. v3+ lets a producer bump its own epoch.
#ifndef KEEL_KAFKA_INIT_PRODUCER_ID_H_
#define KEEL_KAFKA_INIT_PRODUCER_ID_H_

#include <cstdint>
#include <optional>
#include <string>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

struct InitProducerIdRequest {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  static constexpr bool kIsRequest = true;

  std::optional<std::string> transactional_id;  // null for idempotence only
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;     // v3+
  int16_t producer_epoch = -1;  // v3+

  void Io(FieldIo& io);
  bool operator==(const InitProducerIdRequest&) const = default;
};

struct InitProducerIdResponse {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  static constexpr bool kIsRequest = false;

  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = 0;

  void Io(FieldIo& io);
  bool operator==(const InitProducerIdResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_INIT_PRODUCER_ID_H_

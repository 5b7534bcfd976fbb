// SASL: SaslHandshake (key 17, v0-1, never flexible) picks a mechanism; SaslAuthenticate
// (key 36, v0-2) carries its tokens inside Kafka frames (v1+ handshakes).
#ifndef KEEL_KAFKA_SASL_H_
#define KEEL_KAFKA_SASL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

struct SaslHandshakeRequest {
  static constexpr ApiKey kApiKey = ApiKey::kSaslHandshake;
  static constexpr bool kIsRequest = true;

  std::string mechanism;

  void Io(FieldIo& io);
  bool operator==(const SaslHandshakeRequest&) const = default;
};

struct SaslHandshakeResponse {
  static constexpr ApiKey kApiKey = ApiKey::kSaslHandshake;
  static constexpr bool kIsRequest = false;

  int16_t error_code = 0;
  std::vector<std::string> mechanisms;

  void Io(FieldIo& io);
  bool operator==(const SaslHandshakeResponse&) const = default;
};

struct SaslAuthenticateRequest {
  static constexpr ApiKey kApiKey = ApiKey::kSaslAuthenticate;
  static constexpr bool kIsRequest = true;

  std::string auth_bytes;

  void Io(FieldIo& io);
  bool operator==(const SaslAuthenticateRequest&) const = default;
};

struct SaslAuthenticateResponse {
  static constexpr ApiKey kApiKey = ApiKey::kSaslAuthenticate;
  static constexpr bool kIsRequest = false;

  int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::string auth_bytes;
  int64_t session_lifetime_ms = 0;  // v1+

  void Io(FieldIo& io);
  bool operator==(const SaslAuthenticateResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_SASL_H_

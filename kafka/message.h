// Encode and decode any message struct of this library (kafka/messages.h lists them). Each
// struct names its API (kApiKey) and has Io(FieldIo&) (see field_io.h); these templates add
// the version check, the flexible/classic choice and the "no bytes left over" rule.
//
// Errors: a version outside the codec's range is kUnimplemented (a listener answers
// UNSUPPORTED_VERSION); malformed bytes are kInvalidArgument naming the API and the byte
// offset; a value the wire form cannot hold (a STRING over 32767 bytes) is kInvalidArgument
// on encode.
#ifndef KEEL_KAFKA_MESSAGE_H_
#define KEEL_KAFKA_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "kafka/api_keys.h"
#include "kafka/field_io.h"
#include "kafka/header.h"

namespace keel::kafka {

absl::Status UnsupportedVersionError(ApiKey key, int16_t version);

template <class M>
absl::StatusOr<M> Decode(std::string_view body, int16_t version) {
  if (!IsSupported(M::kApiKey, version)) return UnsupportedVersionError(M::kApiKey, version);
  Decoder decoder(body, version, IsFlexible(M::kApiKey, version));
  M message;
  message.Io(decoder);
  const char* kind = M::kIsRequest ? " request v" : " response v";
  if (!decoder.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(ApiName(M::kApiKey), kind, version, ": ",
                                                   decoder.reader().status().message()));
  }
  if (!decoder.reader().AtEnd()) {
    return absl::InvalidArgumentError(absl::StrCat(ApiName(M::kApiKey), kind, version, ": ",
                                                   decoder.reader().remaining(),
                                                   " bytes left after the message"));
  }
  return message;
}

// Appends the encoded body to `out` (which may already hold a frame's size and header).
template <class M>
absl::Status EncodeTo(const M& message, int16_t version, std::string& out) {
  if (!IsSupported(M::kApiKey, version)) return UnsupportedVersionError(M::kApiKey, version);
  Encoder encoder(version, IsFlexible(M::kApiKey, version), std::move(out));
  // Io() takes a mutable struct because decoding shares it; the Encoder only reads.
  const_cast<M&>(message).Io(encoder);
  out = encoder.writer().Release();
  if (!encoder.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ApiName(M::kApiKey), " v", version, ": ", encoder.status().message()));
  }
  return absl::OkStatus();
}

template <class M>
absl::StatusOr<std::string> Encode(const M& message, int16_t version) {
  std::string out;
  absl::Status status = EncodeTo(message, version, out);
  if (!status.ok()) return status;
  return out;
}

// A whole response frame: size prefix, response header, body.
template <class Response>
absl::StatusOr<std::string> EncodeResponseFrame(const Response& response, int16_t version,
                                                int32_t correlation_id) {
  static_assert(!Response::kIsRequest);
  std::string frame = StartResponseFrame(Response::kApiKey, version, correlation_id);
  absl::Status status = EncodeTo(response, version, frame);
  if (!status.ok()) return status;
  FinishFrame(frame);
  return frame;
}

// A whole request frame: size prefix, request header, body (clients and tests).
template <class Request>
absl::StatusOr<std::string> EncodeRequestFrame(const Request& request, int16_t version,
                                               int32_t correlation_id,
                                               std::optional<std::string> client_id) {
  static_assert(Request::kIsRequest);
  RequestHeader header{static_cast<int16_t>(Request::kApiKey), version, correlation_id,
                       std::move(client_id)};
  std::string frame = StartRequestFrame(header);
  absl::Status status = EncodeTo(request, version, frame);
  if (!status.ok()) return status;
  FinishFrame(frame);
  return frame;
}

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_MESSAGE_H_

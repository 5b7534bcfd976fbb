// Confluent's embedded formats: how a record's key and value travel inside the JSON body.
//   binary: a base64 string (standard alphabet, with padding) or null;
//   json:   any JSON value, stored as its compact text; null means no key / an empty value.
// And the media types that name them: application/vnd.kafka.{binary,json}.v2+json.
#ifndef KEEL_BROKER_REST_EMBEDDED_FORMAT_H_
#define KEEL_BROKER_REST_EMBEDDED_FORMAT_H_

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace keel::rest {

enum class EmbeddedFormat { kBinary, kJson };

inline constexpr char kV2JsonType[] = "application/vnd.kafka.v2+json";
inline constexpr char kV2BinaryType[] = "application/vnd.kafka.binary.v2+json";
inline constexpr char kV2EmbeddedJsonType[] = "application/vnd.kafka.json.v2+json";
inline constexpr char kJsonType[] = "application/json";

// "binary" / "json".
const char* FormatName(EmbeddedFormat format);
std::optional<EmbeddedFormat> FormatFromName(absl::string_view name);

// The media type without parameters (";charset=..."), lower case, trimmed.
std::string MediaType(absl::string_view content_type);

// The embedded format a produce request's Content-Type names; nullopt for any other type
// (the caller answers 415).
std::optional<EmbeddedFormat> FormatFromContentType(absl::string_view content_type);

// A key or value from the request as record bytes; nullopt for JSON null. InvalidArgument
// for a binary field that is not a base64 string.
absl::StatusOr<std::optional<std::string>> DecodeField(EmbeddedFormat format,
                                                       const nlohmann::json& field);

// Record bytes as a JSON field of a response: null for a null key or value; base64 for
// binary (an empty value is ""); for json the parsed value (InvalidArgument when the bytes
// are not JSON; empty bytes, which no JSON text is, are null as Confluent's proxy reads them).
absl::StatusOr<nlohmann::json> EncodeField(EmbeddedFormat format, const std::string& bytes,
                                           bool is_null);

// Strict base64 (RFC 4648 standard alphabet; padding optional): anything else is an error,
// so a client's mistake is reported instead of silently storing other bytes.
std::optional<std::string> DecodeBase64(absl::string_view text);
std::string EncodeBase64(absl::string_view bytes);

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_EMBEDDED_FORMAT_H_

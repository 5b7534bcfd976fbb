#include "broker/rest/embedded_format.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace keel::rest {

const char* FormatName(EmbeddedFormat format) {
  return format == EmbeddedFormat::kBinary ? "binary" : "json";
}

std::optional<EmbeddedFormat> FormatFromName(absl::string_view name) {
  if (name == "binary") return EmbeddedFormat::kBinary;
  if (name == "json") return EmbeddedFormat::kJson;
  return std::nullopt;
}

std::string MediaType(absl::string_view content_type) {
  absl::string_view type = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
}

std::optional<EmbeddedFormat> FormatFromContentType(absl::string_view content_type) {
  const std::string type = MediaType(content_type);
  if (type == kV2BinaryType) return EmbeddedFormat::kBinary;
  if (type == kV2EmbeddedJsonType) return EmbeddedFormat::kJson;
  return std::nullopt;
}

std::optional<std::string> DecodeBase64(absl::string_view text) {
  // absl::Base64Unescape skips whitespace and tolerates some sloppiness; check the alphabet
  // and the padding ourselves first.
  size_t end = text.size();
  int padding = 0;
  while (end > 0 && text[end - 1] == '=' && padding < 2) {
    --end;
    ++padding;
  }
  for (size_t i = 0; i < end; ++i) {
    const char c = text[i];
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') {
      return std::nullopt;
    }
  }
  if (end % 4 == 1 || (padding > 0 && text.size() % 4 != 0)) return std::nullopt;
  std::string out;
  if (!absl::Base64Unescape(text, &out)) return std::nullopt;
  return out;
}

std::string EncodeBase64(absl::string_view bytes) { return absl::Base64Escape(bytes); }

absl::StatusOr<std::optional<std::string>> DecodeField(EmbeddedFormat format,
                                                       const nlohmann::json& field) {
  if (field.is_null()) return std::optional<std::string>();
  if (format == EmbeddedFormat::kJson) return std::optional<std::string>(field.dump());
  if (!field.is_string()) {
    return absl::InvalidArgumentError("a binary key or value must be a base64 string or null");
  }
  std::optional<std::string> bytes = DecodeBase64(field.get_ref<const std::string&>());
  if (!bytes.has_value()) {
    return absl::InvalidArgumentError("a binary key or value is not valid base64");
  }
  return bytes;
}

absl::StatusOr<nlohmann::json> EncodeField(EmbeddedFormat format, const std::string& bytes,
                                           bool is_null) {
  if (is_null) return nlohmann::json(nullptr);
  if (format == EmbeddedFormat::kBinary) return nlohmann::json(EncodeBase64(bytes));
  if (bytes.empty()) return nlohmann::json(nullptr);
  nlohmann::json value = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a record of ", bytes.size(), " bytes is not JSON (consume it as binary)"));
  }
  return value;
}

}  // namespace keel::rest

#include "kafka/header.h"

#include "absl/strings/str_cat.h"
#include "kafka/field_io.h"
#include "kafka/wire.h"

namespace keel::kafka {

int16_t RequestHeaderVersion(ApiKey key, int16_t version) {
  return IsFlexible(key, version) ? 2 : 1;
}

int16_t ResponseHeaderVersion(ApiKey key, int16_t version) {
  if (key == ApiKey::kApiVersions) return 0;  // KIP-511
  return IsFlexible(key, version) ? 1 : 0;
}

absl::StatusOr<int32_t> ReadFrameSize(std::string_view four_bytes) {
  Reader reader(four_bytes);
  int32_t size = reader.Int32();
  if (!reader.ok()) return reader.status();
  if (size < 0) return absl::InvalidArgumentError(absl::StrCat("negative frame size ", size));
  return size;
}

absl::StatusOr<ParsedRequest> ParseRequest(std::string_view frame) {
  Reader reader(frame);
  ParsedRequest parsed;
  RequestHeader& h = parsed.header;
  h.api_key = reader.Int16();
  h.api_version = reader.Int16();
  h.correlation_id = reader.Int32();
  h.client_id = reader.NullableString();  // classic form even in header v2
  if (reader.ok() && RequestHeaderVersion(h.key(), h.api_version) >= 2) {
    Decoder tags(frame.substr(reader.position()), h.api_version, /*flexible=*/true);
    tags.TaggedFields();
    if (!tags.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("request header: ", tags.reader().status().message()));
    reader.Skip(tags.reader().position());
  }
  if (!reader.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("request header: ", reader.status().message()));
  }
  parsed.body = frame.substr(reader.position());
  return parsed;
}

absl::StatusOr<ParsedResponse> ParseResponse(std::string_view frame, ApiKey key, int16_t version) {
  Reader reader(frame);
  ParsedResponse parsed;
  parsed.correlation_id = reader.Int32();
  if (reader.ok() && ResponseHeaderVersion(key, version) >= 1) {
    Decoder tags(frame.substr(reader.position()), version, /*flexible=*/true);
    tags.TaggedFields();
    if (!tags.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("response header: ", tags.reader().status().message()));
    reader.Skip(tags.reader().position());
  }
  if (!reader.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("response header: ", reader.status().message()));
  }
  parsed.body = frame.substr(reader.position());
  return parsed;
}

std::string StartRequestFrame(const RequestHeader& header) {
  Writer writer;
  writer.Int32(0);  // size, patched by FinishFrame
  writer.Int16(header.api_key);
  writer.Int16(header.api_version);
  writer.Int32(header.correlation_id);
  writer.NullableString(header.client_id);
  if (RequestHeaderVersion(header.key(), header.api_version) >= 2) writer.UnsignedVarInt(0);
  return writer.Release();
}

std::string StartResponseFrame(ApiKey key, int16_t version, int32_t correlation_id) {
  Writer writer;
  writer.Int32(0);
  writer.Int32(correlation_id);
  if (ResponseHeaderVersion(key, version) >= 1) writer.UnsignedVarInt(0);
  return writer.Release();
}

void FinishFrame(std::string& frame) {
  Writer writer(std::move(frame));
  writer.PatchInt32(0, static_cast<int32_t>(writer.size() - kFrameSizeBytes));
  frame = writer.Release();
}

}  // namespace keel::kafka

#include "kafka/field_io.h"

#include "absl/strings/str_cat.h"

namespace keel::kafka {
namespace {

constexpr size_t kMaxStringBytes = 0x7fff;  // STRING's INT16 length

}  // namespace

// ---- Decoder ----

void Decoder::String(std::string& v) {
  v = flexible() ? reader_.CompactString() : reader_.String();
}

void Decoder::String(std::optional<std::string>& v, bool nullable) {
  if (!nullable) {
    v = flexible() ? reader_.CompactString() : reader_.String();
    return;
  }
  v = flexible() ? reader_.CompactNullableString() : reader_.NullableString();
}

void Decoder::Bytes(std::string& v) { v = flexible() ? reader_.CompactBytes() : reader_.Bytes(); }

void Decoder::Bytes(std::optional<std::string>& v, bool nullable) {
  if (!nullable) {
    v = flexible() ? reader_.CompactBytes() : reader_.Bytes();
    return;
  }
  v = flexible() ? reader_.CompactNullableBytes() : reader_.NullableBytes();
}

int32_t Decoder::ArrayBegin(int64_t /*size*/, bool nullable) {
  int32_t n = flexible() ? reader_.CompactArrayLength() : reader_.ArrayLength();
  if (n < 0 && reader_.ok() && !nullable) {
    reader_.Fail("ARRAY: null for a non-nullable array");
  }
  return reader_.ok() ? n : -1;
}

void Decoder::TaggedSection(std::initializer_list<TaggedField> known) {
  uint32_t count = reader_.UnsignedVarInt();
  if (count > reader_.remaining()) {  // each tag takes at least two bytes
    reader_.Fail(
        absl::StrCat("TAGGED_FIELDS: ", count, " fields but ", reader_.remaining(), " bytes left"));
    return;
  }
  int64_t previous_tag = -1;
  for (uint32_t i = 0; i < count && reader_.ok(); ++i) {
    uint32_t tag = reader_.UnsignedVarInt();
    uint32_t size = reader_.UnsignedVarInt();
    std::string_view body = reader_.Raw(size);
    if (!reader_.ok()) return;
    if (static_cast<int64_t>(tag) <= previous_tag) {
      reader_.Fail(absl::StrCat("TAGGED_FIELDS: tag ", tag, " out of order"));
      return;
    }
    previous_tag = tag;
    for (const TaggedField& field : known) {
      if (field.tag != tag) continue;
      Decoder sub(body, version(), flexible());
      field.io(sub);
      if (!sub.ok()) {
        reader_.Fail(absl::StrCat("tagged field ", tag, ": ", sub.reader().status().message()));
      } else if (!sub.reader().AtEnd()) {
        reader_.Fail(
            absl::StrCat("tagged field ", tag, ": ", sub.reader().remaining(), " bytes left over"));
      }
    }
    // Unknown tags are skipped: newer peers may add them (KIP-482).
  }
}

// ---- Encoder ----

void Encoder::Fail(absl::string_view what) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(std::string(what));
}

void Encoder::String(std::string& v) {
  if (flexible()) {
    writer_.CompactString(v);
    return;
  }
  if (v.size() > kMaxStringBytes) {
    Fail(absl::StrCat("STRING of ", v.size(), " bytes exceeds 32767"));
    return;
  }
  writer_.String(v);
}

void Encoder::String(std::optional<std::string>& v, bool nullable) {
  if (!v.has_value()) {
    if (nullable) {
      flexible() ? writer_.CompactNullableString(std::nullopt)
                 : writer_.NullableString(std::nullopt);
      return;
    }
    std::string empty;  // a non-nullable version: null reads as ""
    String(empty);
    return;
  }
  String(*v);
}

void Encoder::Bytes(std::string& v) { flexible() ? writer_.CompactBytes(v) : writer_.Bytes(v); }

void Encoder::Bytes(std::optional<std::string>& v, bool nullable) {
  if (!v.has_value()) {
    if (nullable) {
      flexible() ? writer_.CompactNullableBytes(std::nullopt) : writer_.NullableBytes(std::nullopt);
      return;
    }
    std::string empty;
    Bytes(empty);
    return;
  }
  Bytes(*v);
}

int32_t Encoder::ArrayBegin(int64_t size, bool nullable) {
  if (size > 0x7fffffff) {
    Fail("ARRAY too long");
    return -1;
  }
  if (size < 0 && !nullable) size = 0;
  int32_t n = static_cast<int32_t>(size);
  flexible() ? writer_.CompactArrayLength(n) : writer_.ArrayLength(n);
  return n;
}

void Encoder::TaggedSection(std::initializer_list<TaggedField> known) {
  uint32_t count = 0;
  for (const TaggedField& field : known) count += field.present ? 1 : 0;
  writer_.UnsignedVarInt(count);
  for (const TaggedField& field : known) {
    if (!field.present) continue;
    Encoder sub(version(), flexible());
    field.io(sub);
    if (!sub.ok()) {
      Fail(sub.status().message());
      return;
    }
    writer_.UnsignedVarInt(field.tag);
    writer_.UnsignedVarInt(static_cast<uint32_t>(sub.writer().size()));
    writer_.Raw(sub.writer().data());
  }
}

}  // namespace keel::kafka

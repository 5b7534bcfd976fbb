#include "kafka/wire.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace keel::kafka {
namespace {

constexpr char kHex[] = "0123456789abcdef";

uint32_t ZigZag32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
uint64_t ZigZag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

}  // namespace

bool Uuid::IsZero() const {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

std::string Uuid::ToString() const {
  std::string out;
  out.reserve(32);
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

// ---- Reader ----

void Reader::Fail(absl::string_view what) {
  if (status_.ok()) {
    status_ = absl::InvalidArgumentError(absl::StrCat(what, " at byte ", pos_));
  }
}

bool Reader::Need(size_t n, absl::string_view what) {
  if (!status_.ok()) return false;
  if (data_.size() - pos_ < n) {
    Fail(absl::StrCat(what, ": needs ", n, " bytes, ", data_.size() - pos_, " left"));
    return false;
  }
  return true;
}

namespace {
template <class T>
T BigEndian(const char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return static_cast<T>(v);
}
}  // namespace

#define KEEL_READ_FIXED(Name, T)             \
  T Reader::Name() {                         \
    if (!Need(sizeof(T), #Name)) return T{}; \
    T v = BigEndian<T>(data_.data() + pos_); \
    pos_ += sizeof(T);                       \
    return v;                                \
  }
KEEL_READ_FIXED(Int8, int8_t)
KEEL_READ_FIXED(Int16, int16_t)
KEEL_READ_FIXED(Int32, int32_t)
KEEL_READ_FIXED(Int64, int64_t)
KEEL_READ_FIXED(UInt16, uint16_t)
KEEL_READ_FIXED(UInt32, uint32_t)
#undef KEEL_READ_FIXED

bool Reader::Bool() { return Int8() != 0; }

double Reader::Float64() {
  uint64_t bits = static_cast<uint64_t>(Int64());
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

uint32_t Reader::UnsignedVarInt() {
  uint32_t v = 0;
  for (int i = 0; i < 5; ++i) {
    if (!Need(1, "UNSIGNED_VARINT")) return 0;
    uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    if (i == 4 && (b & 0xf0) != 0) {
      Fail("UNSIGNED_VARINT: more than 32 bits");
      return 0;
    }
    v |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return v;
  }
  Fail("UNSIGNED_VARINT: longer than 5 bytes");
  return 0;
}

int32_t Reader::VarInt() {
  uint32_t raw = UnsignedVarInt();
  return static_cast<int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

int64_t Reader::VarLong() {
  uint64_t raw = 0;
  for (int i = 0; i < 10; ++i) {
    if (!Need(1, "VARLONG")) return 0;
    uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    if (i == 9 && (b & 0xfe) != 0) {
      Fail("VARLONG: more than 64 bits");
      return 0;
    }
    raw |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  }
  Fail("VARLONG: longer than 10 bytes");
  return 0;
}

Uuid Reader::ReadUuid() {
  Uuid id;
  std::string_view raw = Raw(16);
  if (raw.size() == 16) std::memcpy(id.bytes.data(), raw.data(), 16);
  return id;
}

std::string_view Reader::Raw(size_t n) {
  if (!Need(n, "bytes")) return {};
  std::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

std::optional<std::string_view> Reader::Body(int64_t length, bool nullable,
                                             absl::string_view what) {
  if (!ok()) return std::nullopt;
  if (length == -1 && nullable) return std::nullopt;
  if (length < 0) {
    Fail(absl::StrCat(what, ": invalid length ", length));
    return std::nullopt;
  }
  if (static_cast<uint64_t>(length) > data_.size() - pos_) {
    Fail(absl::StrCat(what, ": length ", length, " but ", data_.size() - pos_, " bytes left"));
    return std::nullopt;
  }
  std::string_view v = data_.substr(pos_, static_cast<size_t>(length));
  pos_ += static_cast<size_t>(length);
  return v;
}

namespace {
std::string Copy(std::optional<std::string_view> v) {
  return v.has_value() ? std::string(*v) : std::string();
}
std::optional<std::string> CopyNullable(std::optional<std::string_view> v) {
  if (!v.has_value()) return std::nullopt;
  return std::string(*v);
}
// Compact lengths are stored + 1, so 0 is null and the wire value 1 is an empty body.
int64_t CompactLength(uint32_t raw) { return static_cast<int64_t>(raw) - 1; }
}  // namespace

std::string Reader::String() { return Copy(Body(Int16(), false, "STRING")); }
std::string Reader::CompactString() {
  return Copy(Body(CompactLength(UnsignedVarInt()), false, "COMPACT_STRING"));
}
std::optional<std::string> Reader::NullableString() {
  return CopyNullable(Body(Int16(), true, "NULLABLE_STRING"));
}
std::optional<std::string> Reader::CompactNullableString() {
  return CopyNullable(Body(CompactLength(UnsignedVarInt()), true, "COMPACT_NULLABLE_STRING"));
}
std::string Reader::Bytes() { return Copy(Body(Int32(), false, "BYTES")); }
std::string Reader::CompactBytes() {
  return Copy(Body(CompactLength(UnsignedVarInt()), false, "COMPACT_BYTES"));
}
std::optional<std::string> Reader::NullableBytes() { return CopyNullable(NullableBytesView()); }
std::optional<std::string> Reader::CompactNullableBytes() {
  return CopyNullable(CompactNullableBytesView());
}
std::optional<std::string_view> Reader::NullableBytesView() {
  return Body(Int32(), true, "NULLABLE_BYTES");
}
std::optional<std::string_view> Reader::CompactNullableBytesView() {
  return Body(CompactLength(UnsignedVarInt()), true, "COMPACT_NULLABLE_BYTES");
}

int32_t Reader::ArrayLength() {
  int32_t n = Int32();
  if (!ok()) return -1;
  if (n < -1) {
    Fail(absl::StrCat("ARRAY: invalid length ", n));
    return -1;
  }
  if (n > 0 && static_cast<size_t>(n) > data_.size() - pos_) {
    Fail(absl::StrCat("ARRAY: ", n, " elements but ", data_.size() - pos_, " bytes left"));
    return -1;
  }
  return n;
}

int32_t Reader::CompactArrayLength() {
  int64_t n = CompactLength(UnsignedVarInt());
  if (!ok()) return -1;
  if (n > 0 && static_cast<uint64_t>(n) > data_.size() - pos_) {
    Fail(absl::StrCat("COMPACT_ARRAY: ", n, " elements but ", data_.size() - pos_, " bytes left"));
    return -1;
  }
  return static_cast<int32_t>(n);
}

// ---- Writer ----

namespace {
template <class T>
void AppendBigEndian(std::string& out, T v) {
  char buf[sizeof(T)];
  uint64_t u = static_cast<uint64_t>(v);
  for (size_t i = 0; i < sizeof(T); ++i) {
    buf[sizeof(T) - 1 - i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  out.append(buf, sizeof(T));
}
void AppendVarint64(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
}  // namespace

void Writer::Int8(int8_t v) { out_.push_back(static_cast<char>(v)); }
void Writer::Int16(int16_t v) { AppendBigEndian(out_, v); }
void Writer::Int32(int32_t v) { AppendBigEndian(out_, v); }
void Writer::Int64(int64_t v) { AppendBigEndian(out_, v); }
void Writer::UInt16(uint16_t v) { AppendBigEndian(out_, v); }
void Writer::UInt32(uint32_t v) { AppendBigEndian(out_, v); }
void Writer::Float64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  AppendBigEndian(out_, bits);
}
void Writer::VarInt(int32_t v) { AppendVarint64(out_, ZigZag32(v)); }
void Writer::VarLong(int64_t v) { AppendVarint64(out_, ZigZag64(v)); }
void Writer::UnsignedVarInt(uint32_t v) { AppendVarint64(out_, v); }
void Writer::WriteUuid(const Uuid& v) {
  out_.append(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size());
}

void Writer::String(std::string_view v) {
  Int16(static_cast<int16_t>(v.size()));
  out_.append(v);
}
void Writer::CompactString(std::string_view v) {
  UnsignedVarInt(static_cast<uint32_t>(v.size() + 1));
  out_.append(v);
}
void Writer::NullableString(const std::optional<std::string>& v) {
  if (!v.has_value()) {
    Int16(-1);
    return;
  }
  String(*v);
}
void Writer::CompactNullableString(const std::optional<std::string>& v) {
  if (!v.has_value()) {
    UnsignedVarInt(0);
    return;
  }
  CompactString(*v);
}
void Writer::Bytes(std::string_view v) {
  Int32(static_cast<int32_t>(v.size()));
  out_.append(v);
}
void Writer::CompactBytes(std::string_view v) {
  UnsignedVarInt(static_cast<uint32_t>(v.size() + 1));
  out_.append(v);
}
void Writer::NullableBytes(const std::optional<std::string_view>& v) {
  if (!v.has_value()) {
    Int32(-1);
    return;
  }
  Bytes(*v);
}
void Writer::CompactNullableBytes(const std::optional<std::string_view>& v) {
  if (!v.has_value()) {
    UnsignedVarInt(0);
    return;
  }
  CompactBytes(*v);
}
void Writer::ArrayLength(int32_t n) { Int32(n < 0 ? -1 : n); }
void Writer::CompactArrayLength(int32_t n) {
  UnsignedVarInt(n < 0 ? 0 : static_cast<uint32_t>(n) + 1);
}

void Writer::PatchInt32(size_t pos, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  for (int i = 3; i >= 0; --i) {
    out_[pos + static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
}

size_t UnsignedVarIntSize(uint32_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
size_t VarIntSize(int32_t v) { return UnsignedVarIntSize(ZigZag32(v)); }
size_t VarLongSize(int64_t v) {
  uint64_t u = ZigZag64(v);
  size_t n = 1;
  while (u >= 0x80) {
    u >>= 7;
    ++n;
  }
  return n;
}

}  // namespace keel::kafka

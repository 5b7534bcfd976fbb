// Kafka's primitive wire types (the "Protocol Primitive Types" of the protocol guide): a
// bounds-checked Reader over a byte buffer and a Writer that appends to a std::string.
//
// Every integer is big-endian. VARINT / VARLONG are zig-zag encoded; UNSIGNED_VARINT is a
// plain LEB128 of at most 5 bytes. The COMPACT_* forms store length + 1 as an UNSIGNED_VARINT
// (0 meaning null); the classic forms store an INT16 (strings) or INT32 (bytes, arrays)
// length with -1 meaning null.
//
// The Reader is sticky, like a stream: the first failure (a length larger than the bytes
// left, a negative length where null is not allowed, an over-long varint) is kept in
// status(), and every later read returns a zero value without touching the buffer. A caller
// can read a whole structure and check status() once. No read allocates more than the input
// it has already seen to be present. Not thread-safe; a Reader does not own its bytes.
#ifndef KEEL_KAFKA_WIRE_H_
#define KEEL_KAFKA_WIRE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace keel::kafka {

// Kafka's UUID: 16 raw bytes (topic ids). All zero is Kafka's "no id" (Uuid.ZERO_UUID).
struct Uuid {
  std::array<uint8_t, 16> bytes{};
  bool IsZero() const;
  std::string ToString() const;  // 32 lower-case hex digits
  bool operator==(const Uuid&) const = default;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok() ? data_.size() - pos_ : 0; }
  bool AtEnd() const { return ok() && pos_ == data_.size(); }
  // Records the first error (later ones are dropped); `what` names the field or rule.
  void Fail(absl::string_view what);

  bool Bool();  // any non-zero byte is true, as Kafka reads it
  int8_t Int8();
  int16_t Int16();
  int32_t Int32();
  int64_t Int64();
  uint16_t UInt16();
  uint32_t UInt32();
  double Float64();
  int32_t VarInt();
  int64_t VarLong();
  uint32_t UnsignedVarInt();
  Uuid ReadUuid();

  // `n` raw bytes, a view into the input (valid while the input is).
  std::string_view Raw(size_t n);
  void Skip(size_t n) { Raw(n); }

  // STRING / COMPACT_STRING: null is an error. NULLABLE forms return nullopt for null.
  std::string String();
  std::string CompactString();
  std::optional<std::string> NullableString();
  std::optional<std::string> CompactNullableString();
  // BYTES / COMPACT_BYTES and their nullable forms.
  std::string Bytes();
  std::string CompactBytes();
  std::optional<std::string> NullableBytes();
  std::optional<std::string> CompactNullableBytes();
  // As above but viewing the input instead of copying (records fields can be large).
  std::optional<std::string_view> NullableBytesView();
  std::optional<std::string_view> CompactNullableBytesView();

  // ARRAY / COMPACT_ARRAY element counts; -1 means null. A count larger than the bytes
  // left is refused (every element takes at least one byte), so a caller may reserve it.
  int32_t ArrayLength();
  int32_t CompactArrayLength();

 private:
  bool Need(size_t n, absl::string_view what);
  // Reads a length-prefixed string/bytes body once the length is known (-1 = null).
  std::optional<std::string_view> Body(int64_t length, bool nullable, absl::string_view what);

  std::string_view data_;
  size_t pos_ = 0;
  absl::Status status_;
};

// Appends Kafka primitives to an owned buffer. Writing never fails; values that do not fit
// their wire form (a STRING over 32767 bytes) are the encoder's to refuse (see field_io.h).
class Writer {
 public:
  Writer() = default;
  explicit Writer(std::string initial) : out_(std::move(initial)) {}

  const std::string& data() const { return out_; }
  std::string Release() { return std::move(out_); }
  size_t size() const { return out_.size(); }

  void Bool(bool v) { Int8(v ? 1 : 0); }
  void Int8(int8_t v);
  void Int16(int16_t v);
  void Int32(int32_t v);
  void Int64(int64_t v);
  void UInt16(uint16_t v);
  void UInt32(uint32_t v);
  void Float64(double v);
  void VarInt(int32_t v);
  void VarLong(int64_t v);
  void UnsignedVarInt(uint32_t v);
  void WriteUuid(const Uuid& v);
  void Raw(std::string_view bytes) { out_.append(bytes); }

  void String(std::string_view v);         // INT16 length
  void CompactString(std::string_view v);  // UNSIGNED_VARINT length + 1
  void NullableString(const std::optional<std::string>& v);
  void CompactNullableString(const std::optional<std::string>& v);
  void Bytes(std::string_view v);  // INT32 length
  void CompactBytes(std::string_view v);
  void NullableBytes(const std::optional<std::string_view>& v);
  void CompactNullableBytes(const std::optional<std::string_view>& v);
  void ArrayLength(int32_t n);         // -1 for null
  void CompactArrayLength(int32_t n);  // -1 for null

  // Overwrites 4 bytes at `pos` (a size or CRC written after the fact).
  void PatchInt32(size_t pos, int32_t v);

 private:
  std::string out_;
};

// Size in bytes of the varint forms, for callers that precompute lengths.
size_t UnsignedVarIntSize(uint32_t v);
size_t VarIntSize(int32_t v);
size_t VarLongSize(int64_t v);

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_WIRE_H_

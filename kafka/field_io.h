// One description per message drives both directions of the codec. Each message struct has
//   void Io(FieldIo& io);
// that visits its fields in wire order, with the version rules written as plain `if`s:
//   io.Int32(throttle_time_ms);             // every version
//   if (io.version() >= 7) io.Int32(leader_epoch);
// A Decoder fills the struct from bytes, an Encoder writes it, and the tests' Randomizer
// fills every field present in a version with random values. Because one function serves
// all three, encode and decode cannot disagree on field order; the hand-built byte vectors
// in the tests check the description itself against the spec.
//
// FieldIo picks the classic or compact form of strings, bytes and arrays from flexible(), and
// TaggedFields() writes or skips a KIP-482 tagged-field section (only in flexible versions).
// Fields absent from a version keep their C++ default, which each struct sets to Kafka's
// default for that field (e.g. leader_epoch = -1).
#ifndef KEEL_KAFKA_FIELD_IO_H_
#define KEEL_KAFKA_FIELD_IO_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kafka/wire.h"

namespace keel::kafka {

class FieldIo;

// A known tagged field: its tag, whether the encoder should write it (usually "differs from
// its default"), and how to visit its value.
struct TaggedField {
  uint32_t tag;
  bool present;
  std::function<void(FieldIo&)> io;
};

class FieldIo {
 public:
  enum class Mode { kDecode, kEncode, kFill };

  FieldIo(Mode mode, int16_t version, bool flexible)
      : mode_(mode), version_(version), flexible_(flexible) {}
  virtual ~FieldIo() = default;

  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  // Decoding and filling create values; encoding only reads them.
  bool fills() const { return mode_ != Mode::kEncode; }
  virtual bool ok() const = 0;

  virtual void Bool(bool& v) = 0;
  virtual void Int8(int8_t& v) = 0;
  virtual void Int16(int16_t& v) = 0;
  virtual void Int32(int32_t& v) = 0;
  virtual void Int64(int64_t& v) = 0;
  virtual void Float64(double& v) = 0;
  virtual void Uuid(kafka::Uuid& v) = 0;
  // STRING or COMPACT_STRING; never null on the wire.
  virtual void String(std::string& v) = 0;
  // Nullable when `nullable` (fields that became nullable in some version pass a version
  // test); when not nullable, null is written as "" and decoded values are never null.
  virtual void String(std::optional<std::string>& v, bool nullable = true) = 0;
  virtual void Bytes(std::string& v) = 0;
  virtual void Bytes(std::optional<std::string>& v, bool nullable = true) = 0;

  // Arrays of structs with their own Io(FieldIo&).
  template <class T>
  void Array(std::vector<T>& v) {
    ArrayWith(v, [](FieldIo& io, T& e) { e.Io(io); });
  }
  template <class T>
  void Array(std::optional<std::vector<T>>& v, bool nullable = true) {
    ArrayWith(v, nullable, [](FieldIo& io, T& e) { e.Io(io); });
  }
  // Arrays of primitives.
  void Array(std::vector<int32_t>& v) {
    ArrayWith(v, [](FieldIo& io, int32_t& e) { io.Int32(e); });
  }
  void Array(std::vector<int64_t>& v) {
    ArrayWith(v, [](FieldIo& io, int64_t& e) { io.Int64(e); });
  }
  void Array(std::vector<std::string>& v) {
    ArrayWith(v, [](FieldIo& io, std::string& e) { io.String(e); });
  }
  void Array(std::optional<std::vector<std::string>>& v, bool nullable = true) {
    ArrayWith(v, nullable, [](FieldIo& io, std::string& e) { io.String(e); });
  }

  template <class T, class F>
  void ArrayWith(std::vector<T>& v, F each) {
    int32_t n = ArrayBegin(static_cast<int64_t>(v.size()), /*nullable=*/false);
    Elements(v, n, each);
  }
  template <class T, class F>
  void ArrayWith(std::optional<std::vector<T>>& v, bool nullable, F each) {
    int64_t size = v.has_value() ? static_cast<int64_t>(v->size()) : (nullable ? -1 : 0);
    int32_t n = ArrayBegin(size, nullable);
    if (n < 0) {
      if (fills()) v.reset();
      return;
    }
    if (fills()) v.emplace();
    if (!v.has_value()) {  // encoding a non-nullable null as an empty array
      return;
    }
    Elements(*v, n, each);
  }

  // The tagged-field section of the current structure (nothing before flexible versions).
  // Decoding visits the known tags and skips the rest; encoding writes the present ones.
  void TaggedFields(std::initializer_list<TaggedField> known = {}) {
    if (flexible_) TaggedSection(known);
  }

 protected:
  // Writes or reads an array length; returns the element count to visit, or -1 for null
  // (or after an error).
  virtual int32_t ArrayBegin(int64_t size, bool nullable) = 0;
  virtual void TaggedSection(std::initializer_list<TaggedField> known) = 0;

 private:
  template <class T, class F>
  void Elements(std::vector<T>& v, int32_t n, F& each) {
    if (n < 0) {
      if (fills()) v.clear();
      return;
    }
    if (!fills()) {
      for (T& e : v) each(*this, e);
      return;
    }
    v.clear();
    v.reserve(std::min<int32_t>(n, 1024));  // grown as elements arrive, not on trust
    for (int32_t i = 0; i < n && ok(); ++i) {
      v.emplace_back();
      each(*this, v.back());
    }
  }

  Mode mode_;
  int16_t version_;
  bool flexible_;
};

// Reads a message body from bytes.
class Decoder final : public FieldIo {
 public:
  Decoder(std::string_view data, int16_t version, bool flexible)
      : FieldIo(Mode::kDecode, version, flexible), reader_(data) {}

  bool ok() const override { return reader_.ok(); }
  Reader& reader() { return reader_; }

  void Bool(bool& v) override { v = reader_.Bool(); }
  void Int8(int8_t& v) override { v = reader_.Int8(); }
  void Int16(int16_t& v) override { v = reader_.Int16(); }
  void Int32(int32_t& v) override { v = reader_.Int32(); }
  void Int64(int64_t& v) override { v = reader_.Int64(); }
  void Float64(double& v) override { v = reader_.Float64(); }
  void Uuid(kafka::Uuid& v) override { v = reader_.ReadUuid(); }
  void String(std::string& v) override;
  void String(std::optional<std::string>& v, bool nullable) override;
  void Bytes(std::string& v) override;
  void Bytes(std::optional<std::string>& v, bool nullable) override;

 protected:
  int32_t ArrayBegin(int64_t size, bool nullable) override;
  void TaggedSection(std::initializer_list<TaggedField> known) override;

 private:
  Reader reader_;
};

// Writes a message body. Fails (status()) only for values the wire form cannot hold.
class Encoder final : public FieldIo {
 public:
  // `prefix` (e.g. a frame's size and header) is kept in front of what is written.
  Encoder(int16_t version, bool flexible, std::string prefix = {})
      : FieldIo(Mode::kEncode, version, flexible), writer_(std::move(prefix)) {}

  bool ok() const override { return status_.ok(); }
  const absl::Status& status() const { return status_; }
  Writer& writer() { return writer_; }

  void Bool(bool& v) override { writer_.Bool(v); }
  void Int8(int8_t& v) override { writer_.Int8(v); }
  void Int16(int16_t& v) override { writer_.Int16(v); }
  void Int32(int32_t& v) override { writer_.Int32(v); }
  void Int64(int64_t& v) override { writer_.Int64(v); }
  void Float64(double& v) override { writer_.Float64(v); }
  void Uuid(kafka::Uuid& v) override { writer_.WriteUuid(v); }
  void String(std::string& v) override;
  void String(std::optional<std::string>& v, bool nullable) override;
  void Bytes(std::string& v) override;
  void Bytes(std::optional<std::string>& v, bool nullable) override;

 protected:
  int32_t ArrayBegin(int64_t size, bool nullable) override;
  void TaggedSection(std::initializer_list<TaggedField> known) override;

 private:
  void Fail(absl::string_view what);

  Writer writer_;
  absl::Status status_;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_FIELD_IO_H_

// Test-only FieldIo that fills every field a version carries with random values (nulls
// included where the version allows them, and known tagged fields half of the time). Run a
// message's Io() through it to get a struct that must survive encode + decode unchanged.
#ifndef KEEL_KAFKA_RANDOMIZER_H_
#define KEEL_KAFKA_RANDOMIZER_H_

#include <cstdint>
#include <random>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

class Randomizer final : public FieldIo {
 public:
  Randomizer(std::mt19937_64& rng, int16_t version, bool flexible)
      : FieldIo(Mode::kFill, version, flexible), rng_(rng) {}

  bool ok() const override { return true; }

  void Bool(bool& v) override { v = Below(2) == 1; }
  void Int8(int8_t& v) override { v = static_cast<int8_t>(Number()); }
  void Int16(int16_t& v) override { v = static_cast<int16_t>(Number()); }
  void Int32(int32_t& v) override { v = static_cast<int32_t>(Number()); }
  void Int64(int64_t& v) override { v = Number(); }
  void Float64(double& v) override { v = static_cast<double>(Number()) / 8; }
  void Uuid(kafka::Uuid& v) override;
  void String(std::string& v) override { v = Text(); }
  void String(std::optional<std::string>& v, bool nullable) override;
  void Bytes(std::string& v) override { v = Binary(); }
  void Bytes(std::optional<std::string>& v, bool nullable) override;

 protected:
  int32_t ArrayBegin(int64_t size, bool nullable) override;
  void TaggedSection(std::initializer_list<TaggedField> known) override;

 private:
  uint64_t Below(uint64_t n) { return rng_() % n; }
  // Small numbers, -1, extremes and anything, so varint and sign paths all run.
  int64_t Number();
  std::string Text();
  std::string Binary();

  std::mt19937_64& rng_;
};

// A message of type M at `version` with random contents.
template <class M>
M RandomMessage(std::mt19937_64& rng, int16_t version) {
  Randomizer randomizer(rng, version, IsFlexible(M::kApiKey, version));
  M message;
  message.Io(randomizer);
  return message;
}

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_RANDOMIZER_H_

#include "kafka/randomizer.h"

#include <limits>

namespace keel::kafka {

void Randomizer::Uuid(kafka::Uuid& v) {
  if (Below(4) == 0) {
    v = kafka::Uuid{};
    return;
  }
  for (uint8_t& b : v.bytes) b = static_cast<uint8_t>(rng_());
}

void Randomizer::String(std::optional<std::string>& v, bool nullable) {
  if (nullable && Below(4) == 0) {
    v.reset();
    return;
  }
  v = Text();
}

void Randomizer::Bytes(std::optional<std::string>& v, bool nullable) {
  if (nullable && Below(4) == 0) {
    v.reset();
    return;
  }
  v = Binary();
}

int32_t Randomizer::ArrayBegin(int64_t /*size*/, bool nullable) {
  if (nullable && Below(5) == 0) return -1;
  return static_cast<int32_t>(Below(3));
}

void Randomizer::TaggedSection(std::initializer_list<TaggedField> known) {
  for (const TaggedField& field : known) {
    if (Below(2) == 0) field.io(*this);
  }
}

int64_t Randomizer::Number() {
  switch (Below(6)) {
    case 0:
      return 0;
    case 1:
      return -1;
    case 2:
      return static_cast<int64_t>(Below(300));
    case 3:
      return std::numeric_limits<int64_t>::max();
    case 4:
      return std::numeric_limits<int64_t>::min();
    default:
      return static_cast<int64_t>(rng_());
  }
}

std::string Randomizer::Text() {
  std::string s(Below(8), 'a');
  for (char& c : s) c = static_cast<char>('a' + Below(26));
  return s;
}

std::string Randomizer::Binary() {
  std::string s(Below(12), '\0');
  for (char& c : s) c = static_cast<char>(rng_());
  return s;
}

}  // namespace keel::kafka

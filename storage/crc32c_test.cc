#include "storage/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace keel::storage {
namespace {

TEST(Crc32c, MatchesStandardCheckValue) {
  EXPECT_EQ(crc32c::Value("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c::Value("", 0), 0u);
  // RFC 3720 (iSCSI) B.4 test vector: 32 bytes of zeros.
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros.data(), zeros.size()), 0x8A9136AAu);
}

TEST(Crc32c, ExtendEqualsOneShotAtEverySplit) {
  std::string data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  const uint32_t whole = crc32c::Value(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t head = crc32c::Value(data.data(), split);
    EXPECT_EQ(crc32c::Extend(head, data.data() + split, data.size() - split), whole) << split;
  }
}

TEST(Crc32c, HardwareAndPortableAgreeAtEveryLengthAndAlignment) {
  if (!crc32c::internal::HasHardware()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t start = 0; start < 9; ++start) {
    for (size_t n = 0; start + n <= data.size(); n += 1 + n / 8) {
      const char* p = data.data() + start;
      EXPECT_EQ(crc32c::internal::ExtendHardware(0x12345678u, p, n),
                crc32c::internal::ExtendPortable(0x12345678u, p, n))
          << start << " " << n;
    }
  }
  EXPECT_EQ(crc32c::internal::ExtendHardware(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c::internal::ExtendPortable(0, "123456789", 9), 0xE3069283u);
}

}  // namespace
}  // namespace keel::storage

#include "kafka/wire.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace keel::kafka {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(WireTest, FixedWidthIntegersAreBigEndian) {
  Writer w;
  w.Int8(-2);
  w.Int16(0x0102);
  w.Int32(-2);
  w.Int64(0x0102030405060708);
  w.UInt16(0xfffe);
  w.UInt32(0xfffffffe);
  EXPECT_EQ(w.data(), Bytes({0xfe, 1, 2, 0xff, 0xff, 0xff, 0xfe, 1,    2,    3,   4,
                             5,    6, 7, 8,    0xff, 0xfe, 0xff, 0xff, 0xff, 0xfe}));
  Reader r(w.data());
  EXPECT_EQ(r.Int8(), -2);
  EXPECT_EQ(r.Int16(), 0x0102);
  EXPECT_EQ(r.Int32(), -2);
  EXPECT_EQ(r.Int64(), 0x0102030405060708);
  EXPECT_EQ(r.UInt16(), 0xfffe);
  EXPECT_EQ(r.UInt32(), 0xfffffffeu);
  EXPECT_TRUE(r.AtEnd());
}

TEST(WireTest, VarintsMatchTheProtocolGuide) {
  // Zig-zag: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3; 150 unsigned -> 0x96 0x01.
  Writer w;
  w.VarInt(0);
  w.VarInt(-1);
  w.VarInt(1);
  w.VarInt(-2);
  w.UnsignedVarInt(150);
  w.VarInt(std::numeric_limits<int32_t>::min());
  EXPECT_EQ(w.data().substr(0, 6), Bytes({0, 1, 2, 3, 0x96, 0x01}));
  Reader r(w.data());
  EXPECT_EQ(r.VarInt(), 0);
  EXPECT_EQ(r.VarInt(), -1);
  EXPECT_EQ(r.VarInt(), 1);
  EXPECT_EQ(r.VarInt(), -2);
  EXPECT_EQ(r.UnsignedVarInt(), 150u);
  EXPECT_EQ(r.VarInt(), std::numeric_limits<int32_t>::min());
  EXPECT_TRUE(r.AtEnd());
}

TEST(WireTest, VarlongExtremesRoundTrip) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1} << 40, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    Writer w;
    w.VarLong(v);
    EXPECT_EQ(w.size(), VarLongSize(v));
    Reader r(w.data());
    EXPECT_EQ(r.VarLong(), v);
    EXPECT_TRUE(r.AtEnd());
  }
}

TEST(WireTest, OverlongVarintsAreErrors) {
  const std::string five_bytes = Bytes({0xff, 0xff, 0xff, 0xff, 0x7f});
  Reader five(five_bytes);  // 35 bits
  five.UnsignedVarInt();
  EXPECT_FALSE(five.ok());
  const std::string six_bytes = Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  Reader six(six_bytes);
  six.UnsignedVarInt();
  EXPECT_FALSE(six.ok());
  const std::string eleven_bytes = std::string(10, '\x80') + '\x01';
  Reader eleven(eleven_bytes);
  eleven.VarLong();
  EXPECT_FALSE(eleven.ok());
  const std::string unterminated_bytes = Bytes({0x80});
  Reader unterminated(unterminated_bytes);
  unterminated.VarInt();
  EXPECT_FALSE(unterminated.ok());
}

TEST(WireTest, StringsClassicAndCompact) {
  Writer w;
  w.String("ab");
  w.CompactString("ab");
  w.NullableString(std::nullopt);
  w.CompactNullableString(std::nullopt);
  w.CompactNullableString(std::string());
  EXPECT_EQ(w.data(), Bytes({0, 2, 'a', 'b', 3, 'a', 'b', 0xff, 0xff, 0, 1}));
  Reader r(w.data());
  EXPECT_EQ(r.String(), "ab");
  EXPECT_EQ(r.CompactString(), "ab");
  EXPECT_EQ(r.NullableString(), std::nullopt);
  EXPECT_EQ(r.CompactNullableString(), std::nullopt);
  EXPECT_EQ(r.CompactNullableString(), std::optional<std::string>(""));
  EXPECT_TRUE(r.AtEnd());
}

TEST(WireTest, NullWhereNotAllowedIsAnError) {
  const std::string classic_bytes = Bytes({0xff, 0xff});
  Reader classic(classic_bytes);
  classic.String();
  EXPECT_FALSE(classic.ok());
  const std::string compact_bytes = Bytes({0});
  Reader compact(compact_bytes);
  compact.CompactString();
  EXPECT_FALSE(compact.ok());
  const std::string bytes_bytes = Bytes({0xff, 0xff, 0xff, 0xfe});
  Reader bytes(bytes_bytes);  // -2
  bytes.NullableBytes();
  EXPECT_FALSE(bytes.ok());
}

TEST(WireTest, LengthsLargerThanTheInputAreErrorsNotAllocations) {
  const std::string huge_bytes_bytes = Bytes({0x7f, 0xff, 0xff, 0xff, 'x'});
  Reader huge_bytes(huge_bytes_bytes);
  EXPECT_EQ(huge_bytes.Bytes(), "");
  EXPECT_FALSE(huge_bytes.ok());
  EXPECT_NE(huge_bytes.status().message().find("bytes left"), std::string::npos);
  const std::string huge_array_bytes = Bytes({0x7f, 0xff, 0xff, 0xff, 0, 0});
  Reader huge_array(huge_array_bytes);
  EXPECT_EQ(huge_array.ArrayLength(), -1);
  EXPECT_FALSE(huge_array.ok());
  const std::string huge_compact_bytes = Bytes({0xff, 0xff, 0xff, 0xff, 0x0f});
  Reader huge_compact(huge_compact_bytes);
  EXPECT_EQ(huge_compact.CompactArrayLength(), -1);
  EXPECT_FALSE(huge_compact.ok());
  const std::string negative_bytes = Bytes({0xff, 0xff, 0xff, 0xfe});
  Reader negative(negative_bytes);
  negative.ArrayLength();
  EXPECT_FALSE(negative.ok());
}

TEST(WireTest, ErrorsAreStickyAndReadsAfterThemReturnZero) {
  const std::string r_bytes = Bytes({0, 1});
  Reader r(r_bytes);
  EXPECT_EQ(r.Int32(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Int8(), 0);  // the two bytes are still there, but the reader stopped
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_NE(r.status().message().find("at byte 0"), std::string::npos);
}

TEST(WireTest, UuidAndFloat64) {
  Uuid id;
  for (int i = 0; i < 16; ++i) id.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  Writer w;
  w.WriteUuid(id);
  w.Float64(1.5);
  Reader r(w.data());
  EXPECT_EQ(r.ReadUuid(), id);
  EXPECT_EQ(r.Float64(), 1.5);
  EXPECT_EQ(id.ToString(), "000102030405060708090a0b0c0d0e0f");
  EXPECT_TRUE(Uuid{}.IsZero());
}

}  // namespace
}  // namespace keel::kafka

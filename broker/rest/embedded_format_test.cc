#include "broker/rest/embedded_format.h"

#include <gtest/gtest.h>

namespace keel::rest {
namespace {

TEST(EmbeddedFormatTest, ContentTypesNameTheFormat) {
  EXPECT_EQ(FormatFromContentType("application/vnd.kafka.binary.v2+json"), EmbeddedFormat::kBinary);
  EXPECT_EQ(FormatFromContentType("Application/Vnd.Kafka.JSON.v2+json; charset=utf-8"),
            EmbeddedFormat::kJson);
  EXPECT_EQ(FormatFromContentType("application/json"), std::nullopt);
  EXPECT_EQ(FormatFromContentType("application/vnd.kafka.avro.v2+json"), std::nullopt);
  EXPECT_EQ(FormatFromContentType(""), std::nullopt);
}

TEST(EmbeddedFormatTest, Base64IsStrict) {
  EXPECT_EQ(DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(DecodeBase64("aGVsbG8"), "hello");  // padding optional
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_EQ(DecodeBase64("AAEC/w=="), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(DecodeBase64("aGVs bG8="), std::nullopt);  // whitespace
  EXPECT_EQ(DecodeBase64("aGVsbG8*"), std::nullopt);   // alphabet
  EXPECT_EQ(DecodeBase64("a"), std::nullopt);          // impossible length
  EXPECT_EQ(DecodeBase64("aGVsbA=a"), std::nullopt);   // padding in the middle
  EXPECT_EQ(DecodeBase64("aGVsbG8=="), std::nullopt);  // too much padding
  EXPECT_EQ(EncodeBase64("hello"), "aGVsbG8=");
}

TEST(EmbeddedFormatTest, FieldsDecodeByFormat) {
  auto binary = DecodeField(EmbeddedFormat::kBinary, nlohmann::json("aGk="));
  ASSERT_TRUE(binary.ok());
  EXPECT_EQ(**binary, "hi");
  auto null_key = DecodeField(EmbeddedFormat::kBinary, nlohmann::json(nullptr));
  ASSERT_TRUE(null_key.ok());
  EXPECT_FALSE(null_key->has_value());
  EXPECT_FALSE(DecodeField(EmbeddedFormat::kBinary, nlohmann::json(12)).ok());
  EXPECT_FALSE(DecodeField(EmbeddedFormat::kBinary, nlohmann::json("!!")).ok());
  auto json = DecodeField(EmbeddedFormat::kJson, nlohmann::json::parse(R"({"a": [1, "x"]})"));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(**json, R"({"a":[1,"x"]})");
}

TEST(EmbeddedFormatTest, FieldsEncodeByFormat) {
  EXPECT_EQ(*EncodeField(EmbeddedFormat::kBinary, "hi", false), nlohmann::json("aGk="));
  // Null and empty stay apart: a tombstone is null, an empty value "".
  EXPECT_EQ(*EncodeField(EmbeddedFormat::kBinary, "", true), nlohmann::json(nullptr));
  EXPECT_EQ(*EncodeField(EmbeddedFormat::kBinary, "", false), nlohmann::json(""));
  EXPECT_EQ(*EncodeField(EmbeddedFormat::kJson, "", true), nlohmann::json(nullptr));
  EXPECT_EQ(*EncodeField(EmbeddedFormat::kJson, R"({"a":1})", false),
            nlohmann::json::parse(R"({"a":1})"));
  EXPECT_FALSE(EncodeField(EmbeddedFormat::kJson, "not json", false).ok());
}

}  // namespace
}  // namespace keel::rest

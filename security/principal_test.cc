#include "security/principal.h"

#include <gtest/gtest.h>

namespace keel::security {
namespace {

std::string MapOrError(const PrincipalMapper& mapper, const std::string& dn,
                       const std::string& cn) {
  auto p = mapper.Map(dn, cn);
  return p.ok() ? p->ToString() : "error: " + std::string(p.status().message());
}

TEST(PrincipalMapperTest, DefaultIsUserCn) {
  auto mapper = PrincipalMapper::Parse("");
  ASSERT_TRUE(mapper.ok());
  EXPECT_EQ(MapOrError(*mapper, "CN=broker-1,O=Keel", "broker-1"), "User:broker-1");
  EXPECT_FALSE(mapper->Map("O=Keel", "").ok());  // no CN: no principal
}

TEST(PrincipalMapperTest, RulesInOrderWithGroupsAndCase) {
  auto mapper = PrincipalMapper::Parse(
      "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L,\n"
      "RULE:^CN=(.*?),OU=(.*?),O=.*$/$1@$2/U, DEFAULT");
  ASSERT_TRUE(mapper.ok()) << mapper.status();
  EXPECT_EQ(MapOrError(*mapper, "CN=Kafka-Admin,OU=ServiceUsers,O=Example", "Kafka-Admin"),
            "User:kafka-admin");
  EXPECT_EQ(MapOrError(*mapper, "CN=alice,OU=eng,O=Example", "alice"), "User:ALICE@ENG");
  EXPECT_EQ(MapOrError(*mapper, "CN=bob,O=Example", "bob"), "User:bob");  // DEFAULT
}

TEST(PrincipalMapperTest, EscapedSlashAndNoMatch) {
  auto mapper = PrincipalMapper::Parse("RULE:^CN=([^,]*),O=a\\/b$/svc-$1/");
  ASSERT_TRUE(mapper.ok()) << mapper.status();
  EXPECT_EQ(MapOrError(*mapper, "CN=x,O=a/b", "x"), "User:svc-x");
  // No DEFAULT: a subject no rule matches has no principal.
  EXPECT_EQ(MapOrError(*mapper, "CN=x,O=other", "x"),
            "error: no ssl.principal.mapping.rules rule matches CN=x,O=other");
}

TEST(PrincipalMapperTest, MalformedRulesAreErrors) {
  EXPECT_FALSE(PrincipalMapper::Parse("RULE:^CN=(.*)$").ok());       // no replacement
  EXPECT_FALSE(PrincipalMapper::Parse("RULE:^CN=((.*)$/$1/").ok());  // bad regex
  EXPECT_FALSE(PrincipalMapper::Parse("CN").ok());
  EXPECT_FALSE(PrincipalMapper::Parse("RULE:a/b/X").ok());  // unknown case flag
}

}  // namespace
}  // namespace keel::security

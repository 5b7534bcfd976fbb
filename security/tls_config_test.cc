#include "security/tls_config.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "security/testing/test_certs.h"

namespace keel::security {
namespace {

using testing::TestCa;
using testing::TestKeyPair;
using testing::WriteTestFile;

class TlsConfigTest : public ::testing::Test {
 protected:
  TlsConfigTest() : ca_("test-ca"), dir_(::testing::TempDir()) {
    WriteTestFile(dir_ + "/ca.pem", ca_.certificate_pem());
  }

  // Writes `pair` as name.crt / name.key and returns a config using them.
  TlsConfig Write(const std::string& name, const TestKeyPair& pair) {
    WriteTestFile(dir_ + "/" + name + ".crt", pair.certificate_pem);
    WriteTestFile(dir_ + "/" + name + ".key", pair.key_pem);
    TlsConfig config;
    config.certificate_location = dir_ + "/" + name + ".crt";
    config.key_location = dir_ + "/" + name + ".key";
    config.ca_location = dir_ + "/ca.pem";
    return config;
  }

  std::string Error(const TlsConfig& config) {
    auto m = CheckTlsFiles(config, storage::Env::Default(), std::time(nullptr));
    return m.ok() ? "ok" : std::string(m.status().message());
  }

  TestCa ca_;
  std::string dir_;
};

TEST_F(TlsConfigTest, ValidFilesPass) {
  TlsConfig config = Write("good", ca_.Issue("broker-1"));
  auto m = CheckTlsFiles(config, storage::Env::Default(), std::time(nullptr));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->subject, "CN=broker-1,O=Keel Test");
  EXPECT_GT(m->not_after_unix_s, std::time(nullptr));
}

TEST_F(TlsConfigTest, ExpiredCertificateIsAClearError) {
  TlsConfig config = Write("expired", ca_.Issue("broker-1", -7200, -60));
  std::string error = Error(config);
  EXPECT_NE(error.find("expired.crt: certificate CN=broker-1,O=Keel Test expired"),
            std::string::npos)
      << error;
}

TEST_F(TlsConfigTest, NotYetValidCertificateIsAnError) {
  TlsConfig config = Write("future", ca_.Issue("broker-1", 3600, 7200));
  EXPECT_NE(Error(config).find("is not valid until"), std::string::npos) << Error(config);
}

TEST_F(TlsConfigTest, KeyOfAnotherCertificateIsAnError) {
  TestKeyPair a = ca_.Issue("broker-1");
  TestKeyPair b = ca_.Issue("broker-2");
  TlsConfig config = Write("mismatch", TestKeyPair{a.certificate_pem, b.key_pem});
  std::string error = Error(config);
  EXPECT_NE(error.find("mismatch.key: private key does not match certificate CN=broker-1"),
            std::string::npos)
      << error;
}

TEST_F(TlsConfigTest, UnreadableOrGarbageFilesAreErrors) {
  TlsConfig config = Write("good", ca_.Issue("broker-1"));
  TlsConfig missing = config;
  missing.key_location = dir_ + "/no-such.key";
  EXPECT_NE(Error(missing).find("ssl.key.location " + dir_ + "/no-such.key cannot be read"),
            std::string::npos)
      << Error(missing);

  WriteTestFile(dir_ + "/garbage.crt", "hello");
  TlsConfig garbage = config;
  garbage.certificate_location = dir_ + "/garbage.crt";
  EXPECT_NE(Error(garbage).find("garbage.crt: not a PEM certificate"), std::string::npos)
      << Error(garbage);

  TlsConfig incomplete = config;
  incomplete.ca_location.clear();
  EXPECT_NE(Error(incomplete).find("needs all of"), std::string::npos);
}

TEST_F(TlsConfigTest, CertificateOfAnotherCaIsAnError) {
  TestCa other("other-ca");
  TlsConfig config = Write("foreign", other.Issue("broker-1"));
  EXPECT_NE(Error(config).find("does not verify against"), std::string::npos) << Error(config);
}

TEST(ClientAuthTest, ParsesKafkaValues) {
  EXPECT_EQ(*ParseClientAuth("required"), ClientAuth::kRequired);
  EXPECT_EQ(*ParseClientAuth("requested"), ClientAuth::kRequested);
  EXPECT_EQ(*ParseClientAuth("none"), ClientAuth::kNone);
  EXPECT_FALSE(ParseClientAuth("yes").ok());
}

}  // namespace
}  // namespace keel::security

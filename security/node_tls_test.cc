#include "security/node_tls.h"

#include <gtest/gtest.h>

#include "security/testing/test_certs.h"

namespace keel::security {
namespace {

class NodeTlsTest : public ::testing::Test {
 protected:
  NodeTlsTest() : ca_("node-tls-ca"), dir_(::testing::TempDir() + "/node_tls") {
    storage::Env::Default()->CreateDirs(dir_).IgnoreError();
    testing::TestKeyPair pair = ca_.Issue("controller-1");
    testing::WriteTestFile(dir_ + "/ca.pem", ca_.certificate_pem());
    testing::WriteTestFile(dir_ + "/c1.crt", pair.certificate_pem);
    testing::WriteTestFile(dir_ + "/c1.key", pair.key_pem);
    settings_.certificate_location = dir_ + "/c1.crt";
    settings_.key_location = dir_ + "/c1.key";
    settings_.ca_location = dir_ + "/ca.pem";
  }

  std::string Error(const NodeTlsSettings& settings) {
    auto tls = OpenNodeTls(settings, dir_ + "/staged");
    return tls.ok() ? "ok" : std::string(tls.status().message());
  }

  testing::TestCa ca_;
  std::string dir_;
  NodeTlsSettings settings_;
};

TEST_F(NodeTlsTest, PlaintextWithoutACertificate) {
  auto tls = OpenNodeTls(NodeTlsSettings{}, dir_ + "/staged");
  ASSERT_TRUE(tls.ok());
  EXPECT_FALSE(tls->enabled());
  EXPECT_EQ(tls->authorizer, nullptr);
}

TEST_F(NodeTlsTest, TlsWithAuthorizerUnlessClientAuthIsNone) {
  auto tls = OpenNodeTls(settings_, dir_ + "/staged");
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->enabled());
  EXPECT_NE(tls->authorizer, nullptr);
  EXPECT_NE(tls->listener_context, nullptr);
  // The staged copy is private.
  EXPECT_TRUE(storage::Env::Default()->FileExists(dir_ + "/staged/key.pem"));

  NodeTlsSettings none = settings_;
  none.client_auth = "none";
  auto plain_peers = OpenNodeTls(none, dir_ + "/staged");
  ASSERT_TRUE(plain_peers.ok());
  EXPECT_EQ(plain_peers->authorizer, nullptr);
}

TEST_F(NodeTlsTest, BadSettingsAreStartUpErrors) {
  NodeTlsSettings s = settings_;
  s.client_auth = "always";
  EXPECT_NE(Error(s).find("ssl.client.auth must be required, requested or none"),
            std::string::npos);
  s = settings_;
  s.principal_mapping_rules = "RULE:oops";
  EXPECT_NE(Error(s).find("ssl.principal.mapping.rules"), std::string::npos);
  s = settings_;
  s.broker_principal = "User:broker";
  EXPECT_NE(Error(s).find("must contain {id}"), std::string::npos);
  s = NodeTlsSettings{};
  s.key_location = settings_.key_location;
  EXPECT_NE(Error(s).find("without ssl.certificate.location"), std::string::npos);
}

}  // namespace
}  // namespace keel::security

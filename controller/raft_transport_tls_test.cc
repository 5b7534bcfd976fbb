// RaftTransport over mutual TLS: only voters' certificates may send Raft messages, each only
// in its own name; plaintext and foreign-CA peers never get past the handshake; a renewed
// certificate takes effect on Reload while the existing connections keep working.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include <grpc/grpc_security_constants.h>

#include "controller/raft_transport.h"
#include "security/grpc_credentials.h"
#include "security/testing/test_certs.h"

namespace keel::controller {
namespace {

using security::testing::TestCa;
using security::testing::TestKeyPair;
using security::testing::WriteTestFile;

class RaftTransportTlsTest : public ::testing::Test {
 protected:
  RaftTransportTlsTest() : ca_("keel-test-ca"), dir_(::testing::TempDir()) {
    WriteTestFile(dir_ + "/ca.pem", ca_.certificate_pem());
    auto mapper = security::PrincipalMapper::Parse("DEFAULT");
    security::ClusterPeerOptions options{*mapper};
    authorizer_ = std::make_unique<security::ClusterPeerAuthorizer>(options);
  }

  security::TlsConfig Files(const std::string& name, const TestKeyPair& pair,
                            const std::string& ca_pem = "") {
    security::TlsConfig config;
    config.certificate_location = dir_ + "/" + name + ".crt";
    config.key_location = dir_ + "/" + name + ".key";
    config.ca_location = dir_ + "/ca.pem";
    if (!ca_pem.empty()) {
      config.ca_location = dir_ + "/" + name + "-ca.pem";
      WriteTestFile(config.ca_location, ca_pem);
    }
    WriteTestFile(config.certificate_location, pair.certificate_pem);
    WriteTestFile(config.key_location, pair.key_pem);
    return config;
  }

  std::shared_ptr<grpc::ChannelCredentials> Client(const std::string& name,
                                                   const TestKeyPair& pair) {
    security::TlsConfig f = Files(name, pair);
    auto creds = security::ClientCredentialsFromFiles(f.ca_location, f.certificate_location,
                                                      f.key_location);
    EXPECT_TRUE(creds.ok()) << creds.status();
    return *creds;
  }

  // Starts node 2 of voters {1, 2} with `client_auth`, its transport requiring voters' certs.
  void StartReceiver(security::ClientAuth client_auth = security::ClientAuth::kRequired) {
    security::TlsConfig config = Files("controller-2", ca_.Issue("controller-2"));
    config.client_auth = client_auth;
    auto creds = security::ReloadableTlsCredentials::Open(config, dir_ + "/staged-2");
    ASSERT_TRUE(creds.ok()) << creds.status();
    server_creds_ = std::move(*creds);
    RaftTransportOptions options;
    options.authorizer = authorizer_.get();
    receiver_ = std::make_unique<RaftTransport>(2, VoterMap{{1, "unused:1"}, {2, "unused:2"}},
                                                options);
    receiver_->SetHandler([this](raft::Message m) {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(std::move(m));
    });
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", server_creds_->ServerCredentials(), &port_);
    builder.RegisterService(receiver_->service());
    server_ = builder.BuildAndStart();
    ASSERT_GT(port_, 0);
  }

  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }

  // One Send call from `from` to node 2 over a fresh connection with `creds` (a channel of
  // its own subchannel pool: gRPC would otherwise reuse a connection another channel opened).
  grpc::Status SendOnce(const std::shared_ptr<grpc::ChannelCredentials>& creds, uint64_t from,
                        std::string* server_cert = nullptr) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return SendOn(grpc::CreateCustomChannel(Address(), creds, args), from, server_cert);
  }

  grpc::Status SendOn(const std::shared_ptr<grpc::Channel>& channel, uint64_t from,
                      std::string* server_cert = nullptr) {
    auto stub = raft::RaftService::NewStub(channel);
    raft::MessageBatch batch;
    raft::Message* m = batch.add_messages();
    m->set_type(raft::MSG_HEARTBEAT);
    m->set_from(from);
    m->set_to(2);
    m->set_term(1);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    raft::SendResponse response;
    grpc::Status status = stub->Send(&context, batch, &response);
    if (server_cert != nullptr && context.auth_context() != nullptr) {
      auto pems = context.auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
      if (!pems.empty()) server_cert->assign(pems[0].data(), pems[0].size());
    }
    return status;
  }

  size_t Received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_.size();
  }

  TestCa ca_;
  std::string dir_;
  std::unique_ptr<security::ClusterPeerAuthorizer> authorizer_;
  std::unique_ptr<security::ReloadableTlsCredentials> server_creds_;
  std::unique_ptr<RaftTransport> receiver_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<raft::Message> received_;  // guarded by mu_
};

TEST_F(RaftTransportTlsTest, VoterPeerDeliversOverMutualTls) {
  StartReceiver();
  security::TlsConfig config = Files("controller-1", ca_.Issue("controller-1"));
  auto creds = security::ReloadableTlsCredentials::Open(config, dir_ + "/staged-1");
  ASSERT_TRUE(creds.ok()) << creds.status();
  RaftTransportOptions options;
  options.channel_credentials = (*creds)->ChannelCredentials();
  RaftTransport sender(1, VoterMap{{1, "unused:1"}, {2, Address()}}, options);
  raft::Message m;
  m.set_type(raft::MSG_HEARTBEAT);
  m.set_from(1);
  m.set_to(2);
  m.set_term(7);
  sender.Send({m});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Received() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(Received(), 1u);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(received_[0].term(), 7u);
}

TEST_F(RaftTransportTlsTest, PlaintextClientIsRefused) {
  StartReceiver();
  grpc::Status status = SendOnce(grpc::InsecureChannelCredentials(), 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(Received(), 0u);
}

TEST_F(RaftTransportTlsTest, CertificateFromAnotherCaIsRefused) {
  StartReceiver();
  TestCa other("other-ca");
  // Trusts our CA (so the client accepts the server) but presents a foreign certificate
  // with a voter's name.
  TestKeyPair foreign = other.Issue("controller-1");
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_.certificate_pem();
  options.pem_cert_chain = foreign.certificate_pem;
  options.pem_private_key = foreign.key_pem;
  grpc::Status status = SendOnce(grpc::SslCredentials(options), 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(Received(), 0u);
}

TEST_F(RaftTransportTlsTest, OnlyAVotersOwnCertificateMaySendInItsName) {
  StartReceiver();
  auto voter1 = Client("controller-1", ca_.Issue("controller-1"));
  EXPECT_TRUE(SendOnce(voter1, 1).ok());
  EXPECT_EQ(Received(), 1u);

  // A voter cannot speak for another voter.
  auto impostor = SendOnce(voter1, 2);
  EXPECT_EQ(impostor.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(impostor.error_message().find("User:controller-1 may not send Raft messages; only "
                                          "User:controller-2 may"),
            std::string::npos)
      << impostor.error_message();

  // A valid certificate of the same CA that is no voter's.
  auto node3 = Client("controller-3", ca_.Issue("controller-3"));
  EXPECT_EQ(SendOnce(node3, 3).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SendOnce(node3, 1).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto broker = Client("broker-1", ca_.Issue("broker-1"));
  EXPECT_EQ(SendOnce(broker, 1).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Received(), 1u);
}

TEST_F(RaftTransportTlsTest, NoClientCertificateIsUnauthenticatedWhenOnlyRequested) {
  StartReceiver(security::ClientAuth::kRequested);
  auto creds = security::ClientCredentialsFromFiles(dir_ + "/ca.pem", "", "");
  ASSERT_TRUE(creds.ok());
  grpc::Status status = SendOnce(*creds, 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_EQ(Received(), 0u);
}

TEST_F(RaftTransportTlsTest, RenewedCertificateIsServedAfterReloadWhileOldChannelsWork) {
  StartReceiver();
  auto voter1 = Client("controller-1", ca_.Issue("controller-1"));
  auto old_channel = grpc::CreateChannel(Address(), voter1);
  std::string first_cert;
  ASSERT_TRUE(SendOn(old_channel, 1, &first_cert).ok());
  ASSERT_FALSE(first_cert.empty());

  // Renew on disk. Without Reload nothing changes (the watcher reads the staged copy).
  TestKeyPair renewed = ca_.Issue("controller-2");
  Files("controller-2", renewed);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::string before_reload;
  ASSERT_TRUE(SendOnce(voter1, 1, &before_reload).ok());
  EXPECT_EQ(before_reload, first_cert);

  ASSERT_TRUE(server_creds_->Reload().ok());
  std::string after_reload;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    after_reload.clear();
    ASSERT_TRUE(SendOnce(voter1, 1, &after_reload).ok());
    if (after_reload == renewed.certificate_pem) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(after_reload, renewed.certificate_pem);
  // The connection made before the renewal still carries calls.
  EXPECT_TRUE(SendOn(old_channel, 1).ok());
}

TEST_F(RaftTransportTlsTest, ReloadRefusesAnExpiredRenewalAndKeepsServing) {
  StartReceiver();
  auto voter1 = Client("controller-1", ca_.Issue("controller-1"));
  std::string served;
  ASSERT_TRUE(SendOnce(voter1, 1, &served).ok());
  Files("controller-2", ca_.Issue("controller-2", -7200, -10));  // expired renewal
  auto reloaded = server_creds_->Reload();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.status().message().find("expired"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::string still;
  ASSERT_TRUE(SendOnce(voter1, 1, &still).ok());
  EXPECT_EQ(still, served);
}

}  // namespace
}  // namespace keel::controller

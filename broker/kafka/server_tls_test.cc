// The Kafka listener's SSL security protocol over real loopback sockets: framing and large
// responses through TLS, a plaintext client and a foreign-CA certificate refused while TLS
// clients keep working, and a reloaded certificate served to new connections only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <csignal>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker/kafka/server.h"
#include "security/testing/test_certs.h"
#include "security/tls_server_context.h"

namespace keel::broker::kafka {
namespace {

using security::testing::TestCa;
using security::testing::TestKeyPair;

std::string Frame(const std::string& body) {
  const uint32_t n = static_cast<uint32_t>(body.size());
  return std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)} +
         body;
}

class EchoProcessor : public RequestProcessor {
 public:
  Outcome Process(std::string_view frame, const std::string&,
                  const std::function<bool()>&) override {
    if (frame.rfind("big", 0) == 0) return {absl::OkStatus(), Frame(std::string(4 << 20, 'b'))};
    return {absl::OkStatus(), Frame(std::string(frame))};
  }
};

security::TlsMaterial Material(const TestKeyPair& pair, const std::string& ca_pem) {
  security::TlsMaterial m;
  m.certificate_pem = pair.certificate_pem;
  m.key_pem = pair.key_pem;
  m.ca_pem = ca_pem;
  return m;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval timeout{5, 0};  // no test read waits longer
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// A TLS client: trusts `ca_pem`, presents `identity` (if any).
class TlsClient {
 public:
  TlsClient(int port, const std::string& ca_pem, const TestKeyPair* identity) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (identity != nullptr) {
      BIO* cb = BIO_new_mem_buf(identity->certificate_pem.data(),
                                static_cast<int>(identity->certificate_pem.size()));
      X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      BIO_free(cb);
      BIO* kb = BIO_new_mem_buf(identity->key_pem.data(),
                                static_cast<int>(identity->key_pem.size()));
      EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      BIO_free(kb);
      SSL_CTX_use_certificate(ctx_, cert);
      SSL_CTX_use_PrivateKey(ctx_, key);
      X509_free(cert);
      EVP_PKEY_free(key);
    }
    fd_ = Connect(port);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    handshake_ok_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    close(fd_);
  }

  bool handshake_ok() const { return handshake_ok_; }

  // Sends `body` as a frame and returns the response body; "" if the connection failed.
  std::string RoundTrip(const std::string& body) {
    const std::string frame = Frame(body);
    if (SSL_write(ssl_, frame.data(), static_cast<int>(frame.size())) <= 0) return "";
    std::string size = Read(4);
    if (size.size() < 4) return "";
    const uint32_t n = (static_cast<uint8_t>(size[0]) << 24) |
                       (static_cast<uint8_t>(size[1]) << 16) |
                       (static_cast<uint8_t>(size[2]) << 8) | static_cast<uint8_t>(size[3]);
    return Read(n);
  }

  // The server's certificate as PEM.
  std::string PeerCertificate() {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (cert == nullptr) return "";
    BIO* out = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(out, cert);
    X509_free(cert);
    char* data = nullptr;
    long size = BIO_get_mem_data(out, &data);
    std::string pem(data, static_cast<size_t>(size));
    BIO_free(out);
    return pem;
  }

 private:
  std::string Read(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      const int r = SSL_read(ssl_, out.data() + got, static_cast<int>(n - got));
      if (r <= 0) return out.substr(0, got);
      got += static_cast<size_t>(r);
    }
    return out;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
};

class ServerTlsTest : public ::testing::Test {
 protected:
  ServerTlsTest() : ca_("kafka-tls-ca"), server_pair_(ca_.Issue("broker-1")) {
    std::signal(SIGPIPE, SIG_IGN);  // as keel-broker does
    auto mapper = security::PrincipalMapper::Parse("DEFAULT");
    auto context = security::TlsServerContext::Create(
        Material(server_pair_, ca_.certificate_pem()), security::ClientAuth::kRequired,
        *mapper);
    EXPECT_TRUE(context.ok()) << context.status();
    context_ = *context;
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tls = context_;
    options.tls_handshake_timeout_ms = 2000;
    auto server = Server::Start(options, &processor_);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  TestCa ca_;
  TestKeyPair server_pair_;
  EchoProcessor processor_;
  std::shared_ptr<security::TlsServerContext> context_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTlsTest, FramesAndLargeResponsesOverMutualTls) {
  TestKeyPair client = ca_.Issue("admin");
  TlsClient c(server_->port(), ca_.certificate_pem(), &client);
  ASSERT_TRUE(c.handshake_ok());
  EXPECT_EQ(c.RoundTrip("hello, kafka"), "hello, kafka");
  EXPECT_EQ(c.RoundTrip("big response, please"), std::string(4 << 20, 'b'));
  EXPECT_EQ(c.RoundTrip("again, after the big one"), "again, after the big one");
}

TEST_F(ServerTlsTest, PlaintextAndForeignCertificatesAreRefusedOthersUnaffected) {
  TestKeyPair client = ca_.Issue("admin");
  TlsClient good(server_->port(), ca_.certificate_pem(), &client);
  ASSERT_TRUE(good.handshake_ok());

  // A plaintext Kafka request gets no answer: the connection closes.
  int plain = Connect(server_->port());
  const std::string frame = Frame("plaintext request");
  ASSERT_EQ(send(plain, frame.data(), frame.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(frame.size()));
  char byte;
  EXPECT_LE(recv(plain, &byte, 1, 0), 0);
  close(plain);

  // No client certificate (ssl.client.auth=required), and one from another CA.
  TlsClient anonymous(server_->port(), ca_.certificate_pem(), nullptr);
  EXPECT_EQ(anonymous.RoundTrip("anonymous request"), "");
  TestCa other("other-ca");
  TestKeyPair foreign = other.Issue("admin");
  TlsClient mallory(server_->port(), ca_.certificate_pem(), &foreign);
  EXPECT_EQ(mallory.RoundTrip("mallory request"), "");

  EXPECT_EQ(good.RoundTrip("still here"), "still here");
}

TEST_F(ServerTlsTest, ReloadServesTheNewCertificateToNewConnections) {
  TestKeyPair client = ca_.Issue("admin");
  TlsClient before(server_->port(), ca_.certificate_pem(), &client);
  ASSERT_TRUE(before.handshake_ok());
  EXPECT_EQ(before.PeerCertificate(), server_pair_.certificate_pem);

  TestKeyPair renewed = ca_.Issue("broker-1");
  ASSERT_TRUE(context_->Reload(Material(renewed, ca_.certificate_pem())).ok());
  TlsClient after(server_->port(), ca_.certificate_pem(), &client);
  ASSERT_TRUE(after.handshake_ok());
  EXPECT_EQ(after.PeerCertificate(), renewed.certificate_pem);
  EXPECT_EQ(after.RoundTrip("new connection"), "new connection");
  EXPECT_EQ(before.RoundTrip("old connection"), "old connection");  // the earlier session is untouched
}

}  // namespace
}  // namespace keel::broker::kafka

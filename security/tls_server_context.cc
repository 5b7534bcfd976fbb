#include "security/tls_server_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace keel::security {
namespace {

std::string SslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

// Adds every certificate of `pem` through `add`; returns how many.
template <typename Add>
int ForEachCertificate(const std::string& pem, Add add) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    add(cert, count++);  // takes ownership
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BIO_free(bio);
  return count;
}

absl::StatusOr<std::shared_ptr<SSL_CTX>> BuildContext(const TlsMaterial& m,
                                                      ClientAuth client_auth) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + SslError());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // A client that closes its socket without close_notify (as most Kafka clients do) reads as
  // an orderly end of the connection, not an error.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  absl::Status status;
  ForEachCertificate(m.certificate_pem, [&](X509* cert, int index) {
    // The first is the leaf; the rest are its chain.
    if (index == 0) {
      if (SSL_CTX_use_certificate(ctx.get(), cert) != 1) {
        status = absl::InvalidArgumentError("certificate: " + SslError());
      }
      X509_free(cert);
    } else if (SSL_CTX_add_extra_chain_cert(ctx.get(), cert) != 1) {
      X509_free(cert);
    }
  });
  if (!status.ok()) return status;
  BIO* key_bio = BIO_new_mem_buf(m.key_pem.data(), static_cast<int>(m.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  if (key == nullptr || SSL_CTX_use_PrivateKey(ctx.get(), key) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError("private key: " + SslError());
  }
  EVP_PKEY_free(key);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  ForEachCertificate(m.ca_pem, [&](X509* ca, int) {
    X509_STORE_add_cert(store, ca);
    SSL_CTX_add_client_CA(ctx.get(), ca);  // names the CAs a client may choose a cert from
    X509_free(ca);
  });
  int mode = SSL_VERIFY_NONE;
  if (client_auth == ClientAuth::kRequested) mode = SSL_VERIFY_PEER;
  if (client_auth == ClientAuth::kRequired) {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  return ctx;
}

}  // namespace

absl::StatusOr<std::shared_ptr<TlsServerContext>> TlsServerContext::Create(
    const TlsMaterial& material, ClientAuth client_auth, PrincipalMapper mapper) {
  std::shared_ptr<TlsServerContext> context(
      new TlsServerContext(client_auth, std::move(mapper)));
  if (absl::Status s = context->Reload(material); !s.ok()) return s;
  return context;
}

absl::Status TlsServerContext::Reload(const TlsMaterial& material) {
  absl::StatusOr<std::shared_ptr<SSL_CTX>> ctx = BuildContext(material, client_auth_);
  if (!ctx.ok()) return ctx.status();
  std::lock_guard<std::mutex> lock(mu_);
  ctx_ = std::move(*ctx);
  return absl::OkStatus();
}

SSL* TlsServerContext::NewSsl() const {
  std::shared_ptr<SSL_CTX> ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ctx = ctx_;
  }
  // The SSL holds its own reference to the SSL_CTX, so a later Reload does not pull it away.
  return SSL_new(ctx.get());
}

absl::StatusOr<Principal> TlsServerContext::PeerPrincipal(SSL* ssl) const {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return Principal::Anonymous();
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(out, cert);
  X509_free(cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(out);
  auto subject = SubjectOfPem(pem);
  if (!subject.ok()) return subject.status();
  return mapper_.Map(subject->dn, subject->cn);
}

}  // namespace keel::security

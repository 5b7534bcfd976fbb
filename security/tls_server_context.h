// An OpenSSL server context for a listener that does its own socket I/O (the Kafka
// listener's SSL security protocol), built from checked TlsMaterial and swapped whole on
// Reload: a connection keeps the context it was accepted with; new connections get the new
// one. Client certificates per ssl.client.auth, verified against ssl.ca.location.
//
// Thread safety: all methods are thread-safe.
#ifndef KEEL_SECURITY_TLS_SERVER_CONTEXT_H_
#define KEEL_SECURITY_TLS_SERVER_CONTEXT_H_

#include <openssl/ssl.h>

#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "security/principal.h"
#include "security/tls_config.h"

namespace keel::security {

class TlsServerContext {
 public:
  static absl::StatusOr<std::shared_ptr<TlsServerContext>> Create(const TlsMaterial& material,
                                                                  ClientAuth client_auth,
                                                                  PrincipalMapper mapper);

  // Replaces the certificate, key and CA for new connections.
  absl::Status Reload(const TlsMaterial& material);

  // A new server-side SSL for one connection (the caller SSL_free's it); null on failure.
  SSL* NewSsl() const;

  // The principal of a handshaken connection: its verified client certificate mapped, or
  // ANONYMOUS without one.
  absl::StatusOr<Principal> PeerPrincipal(SSL* ssl) const;

 private:
  TlsServerContext(ClientAuth client_auth, PrincipalMapper mapper)
      : client_auth_(client_auth), mapper_(std::move(mapper)) {}

  const ClientAuth client_auth_;
  const PrincipalMapper mapper_;
  mutable std::mutex mu_;
  std::shared_ptr<SSL_CTX> ctx_;  // guarded by mu_
};

}  // namespace keel::security

#endif  // KEEL_SECURITY_TLS_SERVER_CONTEXT_H_

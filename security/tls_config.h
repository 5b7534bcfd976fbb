// TLS settings of one listener or client, named after Kafka's (ssl.certificate.location,
// ssl.key.location, ssl.ca.location as PEM files; ssl.client.auth), and their start-up check.
//
// CheckTlsFiles reads the three files and checks with OpenSSL what would otherwise surface as
// an opaque handshake failure on the first connection, or not at all: each file readable and
// PEM; the certificate valid now (not expired, not yet valid); the key matching the
// certificate; the certificate issued by a CA in ssl.ca.location. The error names the file
// and the reason, so a process exits at start with a line an operator can act on.
#ifndef KEEL_SECURITY_TLS_CONFIG_H_
#define KEEL_SECURITY_TLS_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/env.h"

namespace keel::security {

// Kafka's ssl.client.auth: whether a server asks for and demands a client certificate.
enum class ClientAuth { kNone, kRequested, kRequired };

absl::StatusOr<ClientAuth> ParseClientAuth(absl::string_view text);  // required|requested|none
const char* ClientAuthName(ClientAuth auth);

struct TlsConfig {
  std::string certificate_location;  // PEM: this node's certificate (chain, leaf first)
  std::string key_location;          // PEM: its private key
  std::string ca_location;           // PEM: CA certificates peers' certificates must chain to
  ClientAuth client_auth = ClientAuth::kRequired;

  // TLS is on when a certificate is configured; all three files are then required.
  bool enabled() const { return !certificate_location.empty(); }
};

// The three files' contents, as checked.
struct TlsMaterial {
  std::string certificate_pem;
  std::string key_pem;
  std::string ca_pem;
  std::string subject;      // RFC 2253 DN of the certificate
  int64_t not_after_unix_s;  // expiry of the certificate
};

// Checks `config` as above at wall-clock time `now_unix_s` and returns the files' contents.
// InvalidArgument for a config missing a file name; FailedPrecondition naming the file for
// anything wrong with the files.
absl::StatusOr<TlsMaterial> CheckTlsFiles(const TlsConfig& config, storage::Env* env,
                                          int64_t now_unix_s);

// The subject of the first certificate in `pem`: RFC 2253 DN and CN ("" when it has none).
struct CertificateSubject {
  std::string dn;
  std::string cn;
};
absl::StatusOr<CertificateSubject> SubjectOfPem(absl::string_view pem);

}  // namespace keel::security

#endif  // KEEL_SECURITY_TLS_CONFIG_H_

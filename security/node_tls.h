// A server process's TLS, from its ssl.* settings: the reloadable credentials for its gRPC
// server and outgoing channels, and the authorizer for intra-cluster calls.
//
// Shared by keel-controller and keel-broker so both read the same settings the same way
// (docs/security.md). Without ssl.certificate.location everything stays plaintext and
// `credentials`/`authorizer` are null.
#ifndef KEEL_SECURITY_NODE_TLS_H_
#define KEEL_SECURITY_NODE_TLS_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "security/grpc_credentials.h"
#include "security/peer_auth.h"
#include "security/tls_server_context.h"

namespace keel::security {

// The ssl.* flags as given (the same names on both binaries).
struct NodeTlsSettings {
  std::string certificate_location;
  std::string key_location;
  std::string ca_location;
  std::string client_auth = "required";
  std::string principal_mapping_rules = "DEFAULT";
  std::string controller_principal = "User:controller-{id}";
  std::string broker_principal = "User:broker-{id}";
};

struct NodeTls {
  std::unique_ptr<ReloadableTlsCredentials> credentials;  // null: plaintext
  // Null when plaintext or ssl.client.auth=none (peers present no certificate to check).
  std::unique_ptr<ClusterPeerAuthorizer> authorizer;
  // The same certificate for a listener doing its own TLS (the Kafka listener's SSL).
  std::shared_ptr<TlsServerContext> listener_context;

  bool enabled() const { return credentials != nullptr; }
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;
  std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() const;
  // Re-reads the files (SIGHUP) and logs the outcome; a no-op when plaintext.
  void ReloadAndLog() const;
};

// Checks the settings and files; the error is the start-up message. `staging_dir` holds the
// staged copy the credentials watch (grpc_credentials.h).
absl::StatusOr<NodeTls> OpenNodeTls(const NodeTlsSettings& settings,
                                    const std::string& staging_dir);

}  // namespace keel::security

#endif  // KEEL_SECURITY_NODE_TLS_H_

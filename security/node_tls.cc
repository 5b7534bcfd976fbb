#include "security/node_tls.h"

#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace keel::security {
namespace {

std::string FormatUnix(int64_t unix_s) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_s),
                          absl::UTCTimeZone());
}

}  // namespace

std::shared_ptr<grpc::ServerCredentials> NodeTls::ServerCredentials() const {
  return credentials != nullptr ? credentials->ServerCredentials()
                                : grpc::InsecureServerCredentials();
}

std::shared_ptr<grpc::ChannelCredentials> NodeTls::ChannelCredentials() const {
  return credentials != nullptr ? credentials->ChannelCredentials()
                                : grpc::InsecureChannelCredentials();
}

void NodeTls::ReloadAndLog() const {
  if (credentials == nullptr) {
    KEEL_LOG_INFO("SIGHUP: TLS is not configured; nothing to reload");
    return;
  }
  absl::StatusOr<TlsMaterial> m = credentials->Reload();
  if (!m.ok()) {
    KEEL_LOG_ERROR("SIGHUP: TLS files not reloaded, the previous certificate stays in use: {}",
                   std::string(m.status().message()));
    return;
  }
  if (listener_context != nullptr) {
    if (absl::Status s = listener_context->Reload(*m); !s.ok()) {
      KEEL_LOG_ERROR("SIGHUP: the Kafka listener keeps its previous certificate: {}",
                     std::string(s.message()));
    }
  }
  KEEL_LOG_INFO("SIGHUP: TLS certificate {} (valid until {}) in use for new connections",
                m->subject, FormatUnix(m->not_after_unix_s));
}

absl::StatusOr<NodeTls> OpenNodeTls(const NodeTlsSettings& settings,
                                    const std::string& staging_dir) {
  NodeTls tls;
  if (settings.certificate_location.empty()) {
    if (!settings.key_location.empty() || !settings.ca_location.empty()) {
      return absl::InvalidArgumentError(
          "ssl.key.location / ssl.ca.location given without ssl.certificate.location");
    }
    return tls;
  }
  absl::StatusOr<ClientAuth> client_auth = ParseClientAuth(settings.client_auth);
  if (!client_auth.ok()) return client_auth.status();
  absl::StatusOr<PrincipalMapper> mapper = PrincipalMapper::Parse(settings.principal_mapping_rules);
  if (!mapper.ok()) return mapper.status();
  for (const std::string* format : {&settings.controller_principal, &settings.broker_principal}) {
    if (format->find("{id}") == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("principal format '", *format, "' must contain {id}"));
    }
  }
  TlsConfig config{settings.certificate_location, settings.key_location, settings.ca_location,
                   *client_auth};
  auto credentials = ReloadableTlsCredentials::Open(config, staging_dir);
  if (!credentials.ok()) return credentials.status();
  tls.credentials = std::move(*credentials);
  absl::StatusOr<TlsMaterial> material = CheckTlsFiles(config, storage::Env::Default(),
                                                       static_cast<int64_t>(std::time(nullptr)));
  if (!material.ok()) return material.status();
  auto listener_context = TlsServerContext::Create(*material, *client_auth, *mapper);
  if (!listener_context.ok()) return listener_context.status();
  tls.listener_context = std::move(*listener_context);
  if (*client_auth != ClientAuth::kNone) {
    tls.authorizer = std::make_unique<ClusterPeerAuthorizer>(ClusterPeerOptions{
        *mapper, settings.controller_principal, settings.broker_principal});
  } else {
    KEEL_LOG_WARN("ssl.client.auth=none: Raft messages and broker registrations are not "
                  "authenticated (docs/security.md)");
  }
  return tls;
}

}  // namespace keel::security

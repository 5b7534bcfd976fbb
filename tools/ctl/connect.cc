#include "tools/ctl/connect.h"

#include <algorithm>
#include <cstdio>

#include "client/channels.h"
#include "security/grpc_credentials.h"

namespace keel::keelctl {

std::shared_ptr<client::AdminClient> AdminFor(const GlobalOptions& g) {
  client::AdminClientOptions options;
  options.controllers = client::SplitAddresses(g.controllers);
  options.default_timeout_ms = g.timeout_ms;
  options.request_timeout_ms = std::min<int64_t>(5000, g.timeout_ms);
  return std::make_shared<client::AdminClient>(options);
}

std::shared_ptr<client::MetadataCache> MetadataFor(const GlobalOptions& g) {
  std::shared_ptr<client::AdminClient> admin;
  if (!client::SplitAddresses(g.controllers).empty()) admin = AdminFor(g);
  return std::make_shared<client::MetadataCache>(admin, client::SplitAddresses(g.brokers));
}

absl::Status ConfigureTls(const GlobalOptions& g) {
  if (g.tls_ca.empty()) {
    if (!g.tls_cert.empty() || !g.tls_key.empty()) {
      return absl::InvalidArgumentError("--tls-cert/--tls-key need --tls-ca ($KEEL_TLS_CA)");
    }
    return absl::OkStatus();
  }
  auto credentials = security::ClientCredentialsFromFiles(g.tls_ca, g.tls_cert, g.tls_key);
  if (!credentials.ok()) return credentials.status();
  client::SetDefaultChannelCredentials(*credentials);
  return absl::OkStatus();
}

int ReportError(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(), std::string(status.message()).c_str());
  return 1;
}

}  // namespace keel::keelctl

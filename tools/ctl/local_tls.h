// `keelctl cluster up --tls`: a throwaway CA and per-node certificates made with the openssl
// CLI under DIR/tls/ (docs/security.md). Every certificate is valid 30 days for 127.0.0.1 and
// localhost (SAN), for both server and client use, with the subject CN=<node name>, so the
// default principal mapping gives User:controller-N / User:broker-N, the principals the
// controllers expect of their peers. An admin certificate (CN=admin) is keelctl's.
//
// Files are made once and reused by later `up` runs on the same DIR (private keys 0600).
#ifndef KEEL_TOOLS_CTL_LOCAL_TLS_H_
#define KEEL_TOOLS_CTL_LOCAL_TLS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace keel::keelctl {

struct LocalTlsFiles {
  std::string ca_file;     // DIR/tls/ca.crt
  std::string admin_cert;  // DIR/tls/admin.crt
  std::string admin_key;   // DIR/tls/admin.key
};

// DIR/tls/<name>.crt and .key.
std::string LocalTlsCert(const std::string& dir, const std::string& name);
std::string LocalTlsKey(const std::string& dir, const std::string& name);

// Makes (or reuses) the CA, a certificate per name in `node_names` and the admin's. The error
// names the openssl step that failed and its output.
absl::StatusOr<LocalTlsFiles> MakeLocalTls(const std::string& dir,
                                           const std::vector<std::string>& node_names);

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_LOCAL_TLS_H_

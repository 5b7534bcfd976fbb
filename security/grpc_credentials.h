// gRPC credentials from a TlsConfig, re-read on demand (SIGHUP) without a restart.
//
// gRPC 1.51 offers two certificate providers: StaticDataCertificateProvider (fixed for the
// life of the credentials) and FileWatcherCertificateProvider (re-reads files every
// refresh_interval_sec). Neither can be told "reload now", and watching the operator's files
// directly would pick up a half-written or invalid renewal on its own schedule. So the
// watcher is pointed at a private *staged* copy in `staging_dir` (mode 0700): Reload() re-reads
// the operator's files, checks them exactly as at start (CheckTlsFiles: readable, not
// expired, key matches, chains to the CA) and only then replaces the staged copy atomically;
// the watcher notices within `refresh_interval_s` (1 s) and new handshakes use the new
// certificate. A renewal that fails the check is refused with the reason and the old
// certificate stays in use. Established connections keep their session.
//
// One provider serves both the server credentials and this node's client channels (Raft
// peers, broker to controller, broker to broker), so one SIGHUP renews both sides.
//
// Thread safety: Reload() may be called from any thread (calls are serialized); the
// credentials are safe to share.
#ifndef KEEL_SECURITY_GRPC_CREDENTIALS_H_
#define KEEL_SECURITY_GRPC_CREDENTIALS_H_

#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>

#include "absl/status/statusor.h"
#include "security/tls_config.h"
#include "storage/env.h"

namespace keel::security {

class ReloadableTlsCredentials {
 public:
  // Checks the files (a clear error if not usable), stages them under `staging_dir` and
  // starts watching the staged copy.
  static absl::StatusOr<std::unique_ptr<ReloadableTlsCredentials>> Open(
      TlsConfig config, std::string staging_dir, storage::Env* env = storage::Env::Default(),
      unsigned refresh_interval_s = 1);

  // Re-reads and checks the configured files; on success the new certificate takes effect
  // within refresh_interval_s. Returns the new certificate's subject and expiry for the log.
  absl::StatusOr<TlsMaterial> Reload();

  // Server side: presents this node's certificate; asks for / demands a client certificate
  // chained to the CA per ssl.client.auth.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;
  // Client side: verifies the server's certificate against the CA and its name against the
  // address dialled (SAN), and presents this node's certificate.
  std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() const;

  const TlsConfig& config() const { return config_; }

 private:
  ReloadableTlsCredentials(TlsConfig config, std::string staging_dir, storage::Env* env)
      : config_(std::move(config)), staging_dir_(std::move(staging_dir)), env_(env) {}
  absl::StatusOr<TlsMaterial> CheckAndStage();

  const TlsConfig config_;
  const std::string staging_dir_;
  storage::Env* const env_;
  std::mutex reload_mu_;  // serializes CheckAndStage
  std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> provider_;
};

// Client credentials for a short-lived tool (keelctl): fixed PEM files, no reload. `cert` and
// `key` may be empty (no client certificate: TLS without mTLS).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentialsFromFiles(
    const std::string& ca_location, const std::string& certificate_location,
    const std::string& key_location, storage::Env* env = storage::Env::Default());

}  // namespace keel::security

#endif  // KEEL_SECURITY_GRPC_CREDENTIALS_H_

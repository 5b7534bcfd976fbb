#include "security/grpc_credentials.h"

#include <sys/stat.h>

#include <ctime>

#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/str_cat.h"

namespace keel::security {
namespace {

constexpr char kStagedCert[] = "/certificate.pem";
constexpr char kStagedKey[] = "/key.pem";
constexpr char kStagedCa[] = "/ca.pem";

grpc_ssl_client_certificate_request_type RequestType(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kRequired:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    case ClientAuth::kRequested:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    case ClientAuth::kNone:
      return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
  return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReloadableTlsCredentials>> ReloadableTlsCredentials::Open(
    TlsConfig config, std::string staging_dir, storage::Env* env, unsigned refresh_interval_s) {
  std::unique_ptr<ReloadableTlsCredentials> c(
      new ReloadableTlsCredentials(std::move(config), std::move(staging_dir), env));
  if (absl::Status s = env->CreateDirs(c->staging_dir_); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", c->staging_dir_, ": ", s.message()));
  }
  // The staged key is a copy of a private key: only this user may read it. (A permission
  // change, not file I/O; Env has no call for it.)
  if (chmod(c->staging_dir_.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError("cannot chmod 0700 " + c->staging_dir_);
  }
  absl::StatusOr<TlsMaterial> material = c->CheckAndStage();
  if (!material.ok()) return material.status();
  // The watcher reads the staged files at construction, so the credentials work at once.
  c->provider_ = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      c->staging_dir_ + kStagedKey, c->staging_dir_ + kStagedCert, c->staging_dir_ + kStagedCa,
      refresh_interval_s);
  return c;
}

absl::StatusOr<TlsMaterial> ReloadableTlsCredentials::CheckAndStage() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  absl::StatusOr<TlsMaterial> m = CheckTlsFiles(config_, env_, std::time(nullptr));
  if (!m.ok()) return m.status();
  // Each file is replaced atomically. The watcher re-reads a pair whose files changed while
  // it read them, so it never pairs the new key with the old certificate for long; the CA
  // goes first so that peers' renewed certificates from a new CA verify as soon as ours do.
  for (const auto& [name, data] :
       {std::pair<const char*, const std::string*>{kStagedCa, &m->ca_pem},
        {kStagedKey, &m->key_pem},
        {kStagedCert, &m->certificate_pem}}) {
    if (absl::Status s = storage::WriteFileAtomically(env_, staging_dir_ + name, *data);
        !s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot stage TLS files in ", staging_dir_, ": ", s.message()));
    }
  }
  return m;
}

absl::StatusOr<TlsMaterial> ReloadableTlsCredentials::Reload() { return CheckAndStage(); }

std::shared_ptr<grpc::ServerCredentials> ReloadableTlsCredentials::ServerCredentials() const {
  grpc::experimental::TlsServerCredentialsOptions options(provider_);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(RequestType(config_.client_auth));
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ReloadableTlsCredentials::ChannelCredentials() const {
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider_);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  return grpc::experimental::TlsCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentialsFromFiles(
    const std::string& ca_location, const std::string& certificate_location,
    const std::string& key_location, storage::Env* env) {
  grpc::SslCredentialsOptions options;
  auto read = [env](const std::string& path, const char* what) -> absl::StatusOr<std::string> {
    auto data = storage::ReadWholeFile(env, path);
    if (!data.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, " ", path, " cannot be read: ", data.status().message()));
    }
    return data;
  };
  auto ca = read(ca_location, "TLS CA file");
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (certificate_location.empty() != key_location.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both its file and its key");
  }
  if (!certificate_location.empty()) {
    TlsConfig config{certificate_location, key_location, ca_location, ClientAuth::kRequired};
    // The same check as a server's: an expired or mismatched client certificate is named.
    auto m = CheckTlsFiles(config, env, std::time(nullptr));
    if (!m.ok()) return m.status();
    options.pem_cert_chain = m->certificate_pem;
    options.pem_private_key = m->key_pem;
  }
  return grpc::SslCredentials(options);
}

}  // namespace keel::security

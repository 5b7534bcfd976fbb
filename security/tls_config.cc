#include "security/tls_config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace keel::security {
namespace {

struct OpenSslFree {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
using Bio = std::unique_ptr<BIO, OpenSslFree>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using StorePtr = std::unique_ptr<X509_STORE, OpenSslFree>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslFree>;

// OpenSSL's queued error reason, cleared, for a message.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data found";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

Bio MemBio(absl::string_view data) {
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

X509Ptr FirstCertificate(absl::string_view pem) {
  Bio bio = MemBio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string NameToString(X509_NAME* name, unsigned long flags) {
  Bio out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), name, 0, flags);
  char* data = nullptr;
  long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, size > 0 ? static_cast<size_t>(size) : 0);
}

absl::StatusOr<std::string> ReadPem(storage::Env* env, const std::string& path,
                                    absl::string_view what) {
  auto contents = storage::ReadWholeFile(env, path);
  if (!contents.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " ", path, " cannot be read: ", contents.status().message()));
  }
  return std::move(*contents);
}

int64_t AsnTimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

absl::StatusOr<ClientAuth> ParseClientAuth(absl::string_view text) {
  if (text == "required") return ClientAuth::kRequired;
  if (text == "requested") return ClientAuth::kRequested;
  if (text == "none") return ClientAuth::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("ssl.client.auth must be required, requested or none, not '", text, "'"));
}

const char* ClientAuthName(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kRequired: return "required";
    case ClientAuth::kRequested: return "requested";
    case ClientAuth::kNone: return "none";
  }
  return "?";
}

absl::StatusOr<CertificateSubject> SubjectOfPem(absl::string_view pem) {
  X509Ptr cert = FirstCertificate(pem);
  if (cert == nullptr) {
    return absl::InvalidArgumentError("not a PEM certificate: " + OpenSslError());
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  CertificateSubject subject;
  subject.dn = NameToString(name, XN_FLAG_RFC2253);
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length >= 0) subject.cn.assign(reinterpret_cast<char*>(utf8), length);
    OPENSSL_free(utf8);
  }
  return subject;
}

absl::StatusOr<TlsMaterial> CheckTlsFiles(const TlsConfig& config, storage::Env* env,
                                          int64_t now_unix_s) {
  if (config.certificate_location.empty() || config.key_location.empty() ||
      config.ca_location.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs all of ssl.certificate.location, ssl.key.location and ssl.ca.location");
  }
  TlsMaterial m;
  auto cert_pem = ReadPem(env, config.certificate_location, "ssl.certificate.location");
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadPem(env, config.key_location, "ssl.key.location");
  if (!key_pem.ok()) return key_pem.status();
  auto ca_pem = ReadPem(env, config.ca_location, "ssl.ca.location");
  if (!ca_pem.ok()) return ca_pem.status();
  m.certificate_pem = std::move(*cert_pem);
  m.key_pem = std::move(*key_pem);
  m.ca_pem = std::move(*ca_pem);
  ERR_clear_error();

  auto fail = [](const std::string& path, absl::string_view reason) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", reason));
  };
  X509Ptr cert = FirstCertificate(m.certificate_pem);
  if (cert == nullptr) {
    return fail(config.certificate_location, "not a PEM certificate: " + OpenSslError());
  }
  Bio key_bio = MemBio(m.key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return fail(config.key_location,
                "not an unencrypted PEM private key: " + OpenSslError());
  }
  auto subject = SubjectOfPem(m.certificate_pem);
  if (!subject.ok()) return fail(config.certificate_location, subject.status().message());
  m.subject = subject->dn;
  m.not_after_unix_s = AsnTimeToUnix(X509_get0_notAfter(cert.get()));
  const int64_t not_before = AsnTimeToUnix(X509_get0_notBefore(cert.get()));
  if (m.not_after_unix_s <= now_unix_s) {
    return fail(config.certificate_location,
                absl::StrCat("certificate ", m.subject, " expired at unix time ",
                             m.not_after_unix_s, " (", now_unix_s - m.not_after_unix_s,
                             " s ago)"));
  }
  if (not_before > now_unix_s) {
    return fail(config.certificate_location,
                absl::StrCat("certificate ", m.subject, " is not valid until unix time ",
                             not_before));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return fail(config.key_location,
                absl::StrCat("private key does not match certificate ", m.subject, " in ",
                             config.certificate_location));
  }

  // Chain to the CA, at `now_unix_s` (the same clock as the checks above).
  StorePtr store(X509_STORE_new());
  Bio ca_bio = MemBio(m.ca_pem);
  int cas = 0;
  while (X509* ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), ca);
    X509_free(ca);
    ++cas;
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (cas == 0) return fail(config.ca_location, "no PEM certificate in the CA file");
  STACK_OF(X509)* chain = sk_X509_new_null();
  Bio chain_bio = MemBio(m.certificate_pem);
  X509_free(PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr));  // the leaf
  while (X509* intermediate = PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(chain, intermediate);
  }
  ERR_clear_error();
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), chain);
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(now_unix_s));
  const bool verified = X509_verify_cert(ctx.get()) == 1;
  const int error = X509_STORE_CTX_get_error(ctx.get());
  sk_X509_pop_free(chain, X509_free);
  ERR_clear_error();
  if (!verified) {
    return fail(config.certificate_location,
                absl::StrCat("certificate ", m.subject, " does not verify against ",
                             config.ca_location, ": ", X509_verify_cert_error_string(error)));
  }
  return m;
}

}  // namespace keel::security

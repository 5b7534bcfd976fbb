#include "security/peer_auth.h"

#include <grpc/grpc_security_constants.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/logging.h"
#include "security/tls_config.h"

namespace keel::security {

absl::StatusOr<Principal> PeerPrincipal(const grpc::AuthContext& auth,
                                        const PrincipalMapper& mapper) {
  std::vector<grpc::string_ref> pems = auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (!auth.IsPeerAuthenticated() || pems.empty()) return Principal::Anonymous();
  auto subject = SubjectOfPem(absl::string_view(pems[0].data(), pems[0].size()));
  if (!subject.ok()) return absl::UnauthenticatedError(subject.status().message());
  return mapper.Map(subject->dn, subject->cn);
}

std::string FormatPrincipal(const std::string& format, int64_t id) {
  return absl::StrReplaceAll(format, {{"{id}", absl::StrCat(id)}});
}

grpc::Status ClusterPeerAuthorizer::Authorize(const grpc::ServerContext& context,
                                              const std::string& expected,
                                              const char* call) const {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  absl::StatusOr<Principal> principal =
      auth != nullptr ? PeerPrincipal(*auth, options_.mapper) : Principal::Anonymous();
  if (!principal.ok()) {
    KEEL_LOG_WARN("denied {} from {}: {}", call, context.peer(), std::string(principal.status().message()));
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        std::string(principal.status().message()));
  }
  if (*principal == Principal::Anonymous()) {
    KEEL_LOG_WARN("denied {} from {}: no client certificate", call, context.peer());
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat(call, " needs a client certificate (", expected, ")"));
  }
  if (principal->ToString() != expected) {
    KEEL_LOG_WARN("denied {} from {} as {}: only {} may", call, context.peer(),
                  principal->ToString(), expected);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat(principal->ToString(), " may not ", call, "; only ",
                                     expected, " may"));
  }
  return grpc::Status::OK;
}

grpc::Status ClusterPeerAuthorizer::AuthorizeVoter(const grpc::ServerContext& context,
                                                   int64_t voter_id,
                                                   const std::set<int64_t>& voters,
                                                   const char* call) const {
  if (!voters.count(voter_id)) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("node ", voter_id, " is not a voter"));
  }
  return Authorize(context, FormatPrincipal(options_.controller_principal, voter_id), call);
}

grpc::Status ClusterPeerAuthorizer::AuthorizeBroker(const grpc::ServerContext& context,
                                                    int64_t broker_id, const char* call) const {
  return Authorize(context, FormatPrincipal(options_.broker_principal, broker_id), call);
}

}  // namespace keel::security

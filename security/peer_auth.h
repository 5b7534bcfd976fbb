// Who is calling a gRPC service, and whether they may make an intra-cluster call.
//
// PeerPrincipal reads the verified client certificate gRPC put in the call's AuthContext
// (x509_pem_cert) and maps its subject with the PrincipalMapper. No certificate: ANONYMOUS
// (the caller is UNAUTHENTICATED wherever a principal is needed).
//
// ClusterPeerAuthorizer guards the calls only cluster members make: Raft messages (from a
// voter's certificate, principal "User:controller-{id}" by default) and broker registration,
// heartbeats, AlterPartition and controlled shutdown (from "User:broker-{id}" for that very
// broker id). Answers: UNAUTHENTICATED without a client certificate, PERMISSION_DENIED for a
// certificate whose principal is not the expected one. Denials are logged with the principal
// and the call (the audit line the ACL work will reuse).
//
// Thread safety: immutable after construction.
#ifndef KEEL_SECURITY_PEER_AUTH_H_
#define KEEL_SECURITY_PEER_AUTH_H_

#include <cstdint>
#include <set>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "security/principal.h"

namespace keel::security {

absl::StatusOr<Principal> PeerPrincipal(const grpc::AuthContext& auth,
                                        const PrincipalMapper& mapper);

struct ClusterPeerOptions {
  PrincipalMapper mapper;
  // "{id}" is replaced with the node id; the result is compared with the principal string.
  std::string controller_principal = "User:controller-{id}";
  std::string broker_principal = "User:broker-{id}";
};

// "{id}" in `format` replaced with `id`.
std::string FormatPrincipal(const std::string& format, int64_t id);

class ClusterPeerAuthorizer {
 public:
  explicit ClusterPeerAuthorizer(ClusterPeerOptions options) : options_(std::move(options)) {}

  // OK when the caller's certificate maps to controller `voter_id`'s principal and that id
  // is in `voters`.
  grpc::Status AuthorizeVoter(const grpc::ServerContext& context, int64_t voter_id,
                              const std::set<int64_t>& voters, const char* call) const;
  // OK when the caller's certificate maps to broker `broker_id`'s principal.
  grpc::Status AuthorizeBroker(const grpc::ServerContext& context, int64_t broker_id,
                               const char* call) const;

 private:
  grpc::Status Authorize(const grpc::ServerContext& context, const std::string& expected,
                         const char* call) const;
  const ClusterPeerOptions options_;
};

}  // namespace keel::security

#endif  // KEEL_SECURITY_PEER_AUTH_H_

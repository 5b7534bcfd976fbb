// Who is on the other end of a connection, and how a certificate's subject becomes that.
//
// A Principal is Kafka's KafkaPrincipal: a type and a name, printed "User:alice". Every
// listener yields one per connection (gRPC from the peer's verified certificate, the Kafka
// listener from its TLS session, later from SASL), so authorization (ACLs, super.users) can
// be written once against this type. A connection with no credential is User:ANONYMOUS.
//
// PrincipalMapper turns a certificate subject, as an RFC 2253 distinguished name
// ("CN=broker-1,OU=keel,O=Example"), into a principal name with rules in the shape of
// Kafka's ssl.principal.mapping.rules:
//
//   RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, RULE:^CN=([^,]*).*$/$1/, DEFAULT
//
// Rules are tried in order; the first whose pattern matches the whole DN produces the name
// (replacement with $1.. groups, then L lower-cases or U upper-cases it). DEFAULT matches
// anything and yields the subject's CN (Kafka's DEFAULT yields the whole DN; a bare CN is
// what operators of a small cluster expect, so Keel's DEFAULT is `User:<CN>`). A DN no rule
// matches is an error: the connection gets no principal and is refused.
//
// Thread safety: a PrincipalMapper is immutable after Parse and safe to share.
#ifndef KEEL_SECURITY_PRINCIPAL_H_
#define KEEL_SECURITY_PRINCIPAL_H_

#include <regex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace keel::security {

struct Principal {
  std::string type = "User";
  std::string name;

  static Principal User(std::string name) { return Principal{"User", std::move(name)}; }
  static Principal Anonymous() { return User("ANONYMOUS"); }
  std::string ToString() const { return type + ":" + name; }
  bool operator==(const Principal& other) const {
    return type == other.type && name == other.name;
  }
};

class PrincipalMapper {
 public:
  // Parses rules as above; "" means DEFAULT. A malformed rule or pattern is InvalidArgument
  // naming it.
  static absl::StatusOr<PrincipalMapper> Parse(absl::string_view rules);

  // The principal for a certificate subject `dn` (RFC 2253) whose common name is `cn`.
  absl::StatusOr<Principal> Map(const std::string& dn, const std::string& cn) const;

 private:
  struct Rule {
    bool is_default = false;
    std::string pattern_text;
    std::regex pattern;
    std::string replacement;
    char case_change = 0;  // 0, 'L' or 'U'
  };
  std::vector<Rule> rules_;
};

}  // namespace keel::security

#endif  // KEEL_SECURITY_PRINCIPAL_H_

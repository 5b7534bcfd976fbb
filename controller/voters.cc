#include "controller/voters.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace keel::controller {

absl::StatusOr<VoterMap> ParseVoters(absl::string_view spec) {
  VoterMap voters;
  for (absl::string_view element : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    element = absl::StripAsciiWhitespace(element);
    size_t at = element.find('@');
    if (at == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("voter '", element, "' is not of the form id@host:port"));
    }
    uint64_t id = 0;
    if (!absl::SimpleAtoi(element.substr(0, at), &id) || id == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("voter '", element, "' has an invalid node id (want an integer >= 1)"));
    }
    absl::string_view address = element.substr(at + 1);
    size_t colon = address.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(address.substr(colon + 1), &port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("voter '", element, "' has an invalid address (want host:port)"));
    }
    if (!voters.emplace(id, std::string(address)).second) {
      return absl::InvalidArgumentError(absl::StrCat("voter id ", id, " appears twice"));
    }
  }
  if (voters.empty()) return absl::InvalidArgumentError("the voter set is empty");
  return voters;
}

std::string FormatVoters(const VoterMap& voters) {
  return absl::StrJoin(voters, ",", [](std::string* out, const auto& v) {
    absl::StrAppend(out, v.first, "@", v.second);
  });
}

}  // namespace keel::controller

// Parsing of the static voter set, "1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093"
// (the format of KRaft's controller.quorum.voters).
#ifndef KEEL_CONTROLLER_VOTERS_H_
#define KEEL_CONTROLLER_VOTERS_H_

#include <cstdint>
#include <map>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace keel::controller {

// node id -> "host:port". Ordered so every node iterates voters identically.
using VoterMap = std::map<uint64_t, std::string>;

// Fails with InvalidArgument naming the offending element: empty list, a missing '@' or port,
// a non-numeric or zero id, or a duplicated id.
absl::StatusOr<VoterMap> ParseVoters(absl::string_view spec);

// The inverse of ParseVoters.
std::string FormatVoters(const VoterMap& voters);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_VOTERS_H_

#include "controller/raft/storage.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace keel::raft {
namespace {
constexpr char kCompacted[] = "raft: compacted: ";
constexpr char kUnavailable[] = "raft: unavailable: ";
}  // namespace

absl::Status CompactedError(uint64_t index) {
  return absl::OutOfRangeError(absl::StrCat(kCompacted, "index ", index, " is compacted"));
}

absl::Status UnavailableError(uint64_t index) {
  return absl::NotFoundError(absl::StrCat(kUnavailable, "index ", index, " is not available"));
}

bool IsCompacted(const absl::Status& status) {
  return status.code() == absl::StatusCode::kOutOfRange &&
         absl::StartsWith(status.message(), kCompacted);
}

bool IsUnavailable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kNotFound &&
         absl::StartsWith(status.message(), kUnavailable);
}

}  // namespace keel::raft

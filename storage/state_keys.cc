#include "storage/state_keys.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace keel::storage::state_keys {

std::string Image(absl::string_view entity) { return absl::StrCat(kImagePrefix, entity); }

std::string HighWatermark(absl::string_view topic, int32_t partition) {
  return absl::StrCat(kHighWatermarkPrefix, topic, "-", partition);
}

std::string LeaderEpochs(absl::string_view topic, int32_t partition) {
  return absl::StrCat(kLeaderEpochsPrefix, topic, "-", partition);
}

std::string EncodeLeaderEpochs(const std::vector<EpochEntry>& entries) {
  std::string out;
  for (const EpochEntry& e : entries) {
    absl::StrAppend(&out, out.empty() ? "" : ",", e.epoch, ":", e.start_offset);
  }
  return out;
}

absl::StatusOr<std::vector<EpochEntry>> DecodeLeaderEpochs(absl::string_view text) {
  std::vector<EpochEntry> out;
  if (text.empty()) return out;
  for (absl::string_view pair : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(pair, ':');
    EpochEntry e;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &e.epoch) ||
        !absl::SimpleAtoi(parts[1], &e.start_offset) ||
        (!out.empty() &&
         (e.epoch < out.back().epoch || e.start_offset < out.back().start_offset))) {
      return absl::DataLossError(
          absl::StrCat("leader-epoch history \"", text, "\" is malformed at \"", pair, "\""));
    }
    out.push_back(e);
  }
  return out;
}

std::string EncodeInt64(int64_t value) { return std::to_string(value); }

absl::StatusOr<int64_t> DecodeInt64(absl::string_view key, absl::string_view text) {
  int64_t value;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::DataLossError(
        absl::StrCat("state store key ", key, " holds \"", text, "\", not a decimal number"));
  }
  return value;
}

}  // namespace keel::storage::state_keys

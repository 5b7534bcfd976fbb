// The state store's key layout (docs/formats/state-store.md), in one place, with the value
// encodings of the keys the storage layer owns. Keys are '/'-separated paths so that a
// prefix Scan lists one kind of state.
#ifndef KEEL_STORAGE_STATE_KEYS_H_
#define KEEL_STORAGE_STATE_KEYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace keel::storage::state_keys {

// Serialized keel.raft.HardState (term, vote, commit). Sync write before any message that
// depends on it leaves the node.
inline constexpr char kRaftHardState[] = "raft/hard_state";
// Decimal: the last metadata log offset applied to the image under image/.
inline constexpr char kAppliedOffset[] = "meta/applied_offset";
// image/<entity>: serialized keel.metadata.MetadataRecord with the entity's full state.
inline constexpr char kImagePrefix[] = "image/";
// checkpoint/hw/<topic>-<partition>: decimal high watermark.
inline constexpr char kHighWatermarkPrefix[] = "checkpoint/hw/";
// epochs/<topic>-<partition>: leader-epoch history, EncodeLeaderEpochs().
inline constexpr char kLeaderEpochsPrefix[] = "epochs/";

std::string Image(absl::string_view entity);
std::string HighWatermark(absl::string_view topic, int32_t partition);
std::string LeaderEpochs(absl::string_view topic, int32_t partition);

// One leader epoch and the first offset written in it (Kafka's leader-epoch checkpoint).
struct EpochEntry {
  int32_t epoch = 0;
  int64_t start_offset = 0;
  bool operator==(const EpochEntry&) const = default;
};

// "epoch:start_offset" pairs joined by ',' ("0:0,3:120"): readable in a LevelDB dump.
std::string EncodeLeaderEpochs(const std::vector<EpochEntry>& entries);
// DataLoss unless well formed with epochs and start offsets both non-decreasing.
absl::StatusOr<std::vector<EpochEntry>> DecodeLeaderEpochs(absl::string_view text);

std::string EncodeInt64(int64_t value);
absl::StatusOr<int64_t> DecodeInt64(absl::string_view key, absl::string_view text);

}  // namespace keel::storage::state_keys

#endif  // KEEL_STORAGE_STATE_KEYS_H_

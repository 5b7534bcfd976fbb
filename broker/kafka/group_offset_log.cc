#include "broker/kafka/group_offset_log.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/group/offset_record.h"
#include "broker/group/coordinator_router.h"
#include "common/logging.h"
#include "kafka/error_codes.h"

namespace keel::broker::kafka {
namespace {

using group::kOffsetsTopic;
using group::OffsetsPartitionFor;
using keel::kafka::Code;
using keel::kafka::ErrorCode;

// Bytes read per step of a load.
constexpr int64_t kLoadReadBytes = 1 << 20;

}  // namespace

GroupOffsetLog::GroupOffsetLog(DataPlane* data_plane, DataPlane::ReadImage read_image,
                               int64_t commit_timeout_ms)
    : data_plane_(data_plane),
      read_image_(std::move(read_image)),
      commit_timeout_ms_(commit_timeout_ms) {}

absl::Status GroupOffsetLog::StoreOffsets(
    const std::string& group_id,
    const std::map<group::TopicPartition, group::CommittedOffset>& offsets) {
  std::vector<storage::Record> records;
  for (const auto& [tp, o] : offsets) {
    records.push_back({group::EncodeOffsetKey(group_id, tp), group::EncodeOffsetValue(o), {}, 0});
  }
  return Append(group_id, std::move(records));
}

absl::Status GroupOffsetLog::DeleteGroup(const std::string& group_id,
                                         const std::vector<group::TopicPartition>& committed) {
  auto tombstone = [](std::string key) {
    storage::Record r;
    r.key = std::move(key);
    r.null_value = true;
    return r;
  };
  std::vector<storage::Record> records;
  for (const group::TopicPartition& tp : committed) {
    records.push_back(tombstone(group::EncodeOffsetKey(group_id, tp)));
  }
  records.push_back(tombstone(group::EncodeGroupMetadataKey(group_id)));
  return Append(group_id, std::move(records));
}

absl::Status GroupOffsetLog::StoreGroup(const group::GroupSnapshot& snapshot) {
  return Append(snapshot.group_id, {{group::EncodeGroupMetadataKey(snapshot.group_id),
                                     group::EncodeGroupMetadataValue(snapshot), {}, 0}});
}

absl::Status GroupOffsetLog::Append(const std::string& group_id,
                                    std::vector<storage::Record> records) {
  int32_t partitions = 0;
  read_image_([&](const metadata::MetadataImage& image) {
    const metadata::TopicInfo* t = image.TopicByName(kOffsetsTopic);
    if (t != nullptr) partitions = static_cast<int32_t>(t->partitions.size());
  });
  if (partitions == 0) return absl::UnavailableError(absl::StrCat(kOffsetsTopic, " is missing"));
  const int32_t partition = OffsetsPartitionFor(group_id, partitions);
  ProducePartitionResult result;
  data_plane_->ProduceRecords(
      kOffsetsTopic, partition, std::nullopt, ACKS_ALL,
      std::chrono::steady_clock::now() + std::chrono::milliseconds(commit_timeout_ms_),
      [&](const TopicPolicy&, int64_t now_ms, std::vector<storage::Record>* out) {
        for (storage::Record& r : records) r.timestamp_ms = now_ms;
        *out = std::move(records);
        return ValidationError{};
      },
      &result);
  if (result.error() != keel::NONE) {
    return absl::UnavailableError(absl::StrCat("appending to ", kOffsetsTopic, "-", partition,
                                               ": ", keel::ErrorCode_Name(result.error()), " ",
                                               result.error_message()));
  }
  return absl::OkStatus();
}

int16_t GroupOffsetLog::EnsureLoaded(int32_t partition, int32_t partition_count,
                                     int32_t leader_epoch, group::GroupCoordinator* coordinator) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    LoadState& state = partitions_[partition];
    if (state.loaded_epoch == leader_epoch) return 0;
    if (state.loading) return Code(ErrorCode::kCoordinatorLoadInProgress);
    state.loading = true;
  }
  const auto started = std::chrono::steady_clock::now();
  absl::Status loaded = Load(partition, partition_count, coordinator);
  std::lock_guard<std::mutex> lock(mu_);
  LoadState& state = partitions_[partition];
  state.loading = false;
  if (!loaded.ok()) {
    KEEL_LOG_WARN("group coordinator: loading {}-{} failed: {}", kOffsetsTopic, partition,
                  loaded.ToString());
    return Code(ErrorCode::kCoordinatorNotAvailable);
  }
  state.loaded_epoch = leader_epoch;
  KEEL_LOG_INFO("group coordinator: loaded {}-{} at leader epoch {} in {} ms", kOffsetsTopic,
                partition, leader_epoch,
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count());
  return 0;
}

absl::Status GroupOffsetLog::Load(int32_t partition, int32_t partition_count,
                                  group::GroupCoordinator* coordinator) {
  DataPlane::Leadership leadership = data_plane_->CheckLeader(kOffsetsTopic, partition);
  if (leadership.error != keel::NONE || leadership.partition == nullptr) {
    return absl::UnavailableError(absl::StrCat("not the leader: ", leadership.message));
  }
  const storage::Log* log = leadership.partition->log();
  // To the log end, as Kafka loads: what the previous leader acknowledged (acks=all) is in
  // this replica's log even if this leader's high watermark has not caught up yet.
  const int64_t end = log->log_end_offset();
  int64_t offset = log->log_start_offset();
  group::OffsetReplay replay;
  int64_t skipped = 0;
  while (offset < end) {
    auto batches = log->Read(offset, kLoadReadBytes);
    if (!batches.ok()) return batches.status();
    if (batches->empty()) break;
    for (const storage::RecordBatch& b : *batches) {
      for (size_t i = 0; i < b.records.size(); ++i) {
        if (b.OffsetOf(i) < offset) continue;  // compaction leaves gaps: offsets are per record
        if (!replay.Apply(b.records[i].key, b.records[i].value).ok()) ++skipped;
      }
      offset = std::max(offset, b.next_offset());
    }
  }
  if (skipped > 0) {
    KEEL_LOG_WARN("group coordinator: {} record(s) of {}-{} do not decode; skipped", skipped,
                  kOffsetsTopic, partition);
  }
  coordinator->LoadPartition(
      [&](const std::string& group_id) {
        return OffsetsPartitionFor(group_id, partition_count) == partition;
      },
      replay.offsets(), replay.groups());
  return absl::OkStatus();
}

}  // namespace keel::broker::kafka

#include "broker/data_plane.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/produce_validation.h"
#include "broker/record_conversion.h"
#include "common/logging.h"

namespace keel::broker {

namespace {

constexpr int64_t kListLatest = -1;
constexpr int64_t kListEarliest = -2;
// A timestamp lookup reads on from the batch the index found in steps of this size.
constexpr int64_t kListOffsetsReadBytes = 64 << 10;

// Kafka's mapping of a failed log operation to an error code.
keel::ErrorCode StorageErrorCode(const absl::Status& s) {
  if (absl::IsOutOfRange(s)) return keel::OFFSET_OUT_OF_RANGE;
  if (absl::IsDataLoss(s)) return keel::CORRUPT_MESSAGE;
  if (absl::IsInvalidArgument(s)) return keel::CORRUPT_MESSAGE;
  return keel::KAFKA_STORAGE_ERROR;
}

// A per-partition result starting as "nothing known": offsets -1 (replica fetch).
FetchPartitionData* AddPartitionData(FetchTopicData* topic, int32_t partition) {
  FetchPartitionData* pd = topic->add_partitions();
  pd->set_partition(partition);
  pd->set_high_watermark(-1);
  pd->set_log_start_offset(-1);
  pd->set_log_end_offset(-1);
  return pd;
}

// Sets `result`'s error when a request's leader epoch is not the leader's (-1 on fetches
// means unchecked); true if it did.
template <typename Result>
bool RefuseEpoch(int32_t requested, int32_t current, Result* result) {
  if (requested == current) return false;
  const bool stale = requested < current;
  result->set_error(stale ? keel::FENCED_LEADER_EPOCH : keel::UNKNOWN_LEADER_EPOCH);
  result->set_error_message(absl::StrCat("The request's leader epoch ", requested, " is ",
                                         stale ? "older" : "newer", " than the leader's ",
                                         current, "."));
  return true;
}

}  // namespace

DataPlane::DataPlane(DataPlaneOptions options, PartitionManager* partitions,
                     ReadImage read_image, std::function<bool()> active,
                     AppendNotifier* notifier, BrokerMetrics* metrics)
    : options_(options),
      partitions_(partitions),
      read_image_(std::move(read_image)),
      active_(std::move(active)),
      notifier_(notifier),
      metrics_(metrics) {}

int64_t DataPlane::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

DataPlane::Leadership DataPlane::CheckLeader(const std::string& topic, int32_t partition) {
  Leadership out;
  out.leader.set_node_id(-1);
  bool exists = false;
  read_image_([&](const metadata::MetadataImage& image) {
    const metadata::TopicInfo* t = image.TopicByName(topic);
    if (t == nullptr) return;
    auto it = t->partitions.find(partition);
    if (it == t->partitions.end()) return;
    exists = true;
    out.leader_epoch = it->second.leader_epoch;
    out.leader.set_node_id(it->second.leader);
    if (const metadata::BrokerInfo* b = image.Broker(it->second.leader)) {
      if (!b->endpoints.empty()) {
        out.leader.set_address(
            absl::StrCat(b->endpoints[0].host(), ":", b->endpoints[0].port()));
      }
    }
  });
  if (!exists) {
    out.error = keel::UNKNOWN_TOPIC_OR_PARTITION;
    out.message = absl::StrCat("This server does not host this topic-partition: ", topic, "-",
                               partition, ".");
    return out;
  }
  out.partition = partitions_->Get(topic, partition);
  if (out.partition == nullptr || !out.partition->IsLeader() ||
      out.leader.node_id() != options_.broker_id) {
    out.error = keel::NOT_LEADER_OR_FOLLOWER;
    out.message = absl::StrCat("Broker ", options_.broker_id, " is not the leader of ", topic, "-",
                               partition, "; the leader is ",
                               out.leader.node_id() < 0 ? std::string("unknown")
                                                        : absl::StrCat(out.leader.node_id()),
                               ".");
    out.partition = nullptr;
    return out;
  }
  if (!active_()) {
    out.error = keel::NOT_LEADER_OR_FOLLOWER;
    out.message = absl::StrCat("Broker ", options_.broker_id,
                               " is fenced or out of touch with the controller; it does not act "
                               "as the leader of ",
                               topic, "-", partition, ".");
    out.partition = nullptr;
    return out;
  }
  return out;
}

void DataPlane::Produce(const ProduceRequest& request, ProduceResponse* response) {
  const int64_t timeout_ms =
      request.timeout_ms() > 0 ? request.timeout_ms() : options_.default_produce_timeout_ms;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (const ProduceTopicData& topic : request.topics()) {
    ProduceTopicResult* tr = response->add_topics();
    tr->set_topic(topic.topic());
    for (const ProducePartitionData& data : topic.partitions()) {
      ProducePartitionResult* pr = tr->add_partitions();
      pr->set_partition(data.partition());
      pr->set_base_offset(-1);
      pr->set_log_append_time_ms(-1);
      ProducePartition(topic.topic(), data, request.acks(), deadline, pr);
    }
  }
}

void DataPlane::ProducePartition(const std::string& topic, const ProducePartitionData& data,
                                 Acks acks, std::chrono::steady_clock::time_point deadline,
                                 ProducePartitionResult* result) {
  std::optional<int32_t> epoch;
  if (data.has_current_leader_epoch()) epoch = data.current_leader_epoch();
  ProduceRecords(
      topic, data.partition(), epoch, acks, deadline,
      [&data](const TopicPolicy& policy, int64_t now_ms, std::vector<storage::Record>* records) {
        ValidationError v = ValidateProducedRecords(data, policy);
        if (v.ok()) *records = ToStorageRecords(data.records(), now_ms);
        return v;
      },
      result);
}

void DataPlane::ProduceRecords(const std::string& topic, int32_t partition,
                               std::optional<int32_t> current_leader_epoch, Acks acks,
                               std::chrono::steady_clock::time_point deadline,
                               const PrepareRecords& prepare, ProducePartitionResult* result) {
  Leadership l = CheckLeader(topic, partition);
  if (l.Refuse(result)) return;
  if (current_leader_epoch.has_value() &&
      RefuseEpoch(*current_leader_epoch, l.leader_epoch, result)) {
    *result->mutable_leader() = l.leader;
    return;
  }
  const TopicPolicy policy = l.partition->policy();
  const int64_t now_ms = NowMs();
  std::vector<storage::Record> records;
  if (ValidationError v = prepare(policy, now_ms, &records); !v.ok()) {
    result->set_error(v.code);
    result->set_error_message(v.message);
    return;
  }
  if (acks == ACKS_ALL) {
    const size_t isr = l.partition->assignment().isr.size();
    if (static_cast<int64_t>(isr) < policy.min_insync_replicas) {
      result->set_error(keel::NOT_ENOUGH_REPLICAS);
      result->set_error_message(absl::StrCat("The ISR of ", topic, "-", partition, " has ",
                                             isr, " replicas, fewer than min.insync.replicas ",
                                             policy.min_insync_replicas, "."));
      return;
    }
  }
  const int64_t record_count = static_cast<int64_t>(records.size());
  int64_t bytes = 0;
  if (metrics_ != nullptr) {
    for (const storage::Record& r : records) bytes += RecordBytes(r);
  }
  int32_t append_epoch = -1;
  auto info = l.partition->AppendAsLeader(std::move(records), now_ms, &append_epoch);
  if (!info.ok()) {
    if (absl::IsFailedPrecondition(info.status())) {  // leadership moved meanwhile
      result->set_error(keel::NOT_LEADER_OR_FOLLOWER);
    } else {
      result->set_error(StorageErrorCode(info.status()));
      KEEL_LOG_ERROR("append to {}-{} failed: {}", topic, partition, info.status().ToString());
    }
    result->set_error_message(std::string(info.status().message()));
    return;
  }
  notifier_->Notify();
  if (metrics_ != nullptr) metrics_->RecordProduced(topic, record_count, bytes);
  result->set_base_offset(info->base_offset);
  if (acks != ACKS_ALL) return;
  // acks=all: answered once the high watermark (minimum over the ISR) covers the batch, in
  // the leadership that wrote it. A high watermark of a later leadership of this broker says
  // nothing about the batch: as a follower in between, it may have truncated the batch and
  // taken other records at those offsets. The epoch is read on both sides of the high
  // watermark so that both reads fall inside the same leadership.
  while (true) {
    const uint64_t seen = notifier_->generation();
    const bool leading_before = l.partition->IsLeaderAt(append_epoch);
    const int64_t hw = l.partition->high_watermark();
    if (!leading_before || !l.partition->IsLeaderAt(append_epoch)) {
      result->set_error(keel::NOT_LEADER_OR_FOLLOWER);
      result->set_error_message(
          absl::StrCat("Leadership of epoch ", append_epoch,
                       " ended before the ISR had the batch; its outcome is unknown."));
      return;
    }
    if (hw > info->last_offset) break;
    if (!notifier_->WaitChange(seen, deadline) && std::chrono::steady_clock::now() >= deadline) {
      result->set_error(keel::REQUEST_TIMED_OUT);
      result->set_error_message("The ISR did not acknowledge the batch within the timeout.");
      return;
    }
  }
  const TopicPolicy now_policy = l.partition->policy();
  if (static_cast<int64_t>(l.partition->assignment().isr.size()) <
      now_policy.min_insync_replicas) {
    result->set_error(keel::NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    result->set_error_message("The ISR shrank below min.insync.replicas after the append.");
  }
}

void DataPlane::Fetch(const FetchRequest& request, FetchResponse* response,
                      const std::function<bool()>& cancelled) {
  std::vector<FetchedPartition> fetched;
  FetchBatches(request, &fetched, cancelled);
  size_t next = 0;  // `fetched` follows the request's order
  for (const FetchTopic& topic : request.topics()) {
    FetchTopicData* td = response->add_topics();
    td->set_topic(topic.topic());
    for (int i = 0; i < topic.partitions_size() && next < fetched.size(); ++i) {
      FetchedPartition& f = fetched[next++];
      FetchPartitionData* pd = td->add_partitions();
      *pd = std::move(f.data);
      for (const storage::RecordBatch& b : f.batches) {
        RecordBatch* wire = pd->add_batches();
        wire->set_base_offset(b.base_offset);
        wire->set_leader_epoch(b.leader_epoch);
        AppendWireBatch(b, b.base_offset, INT64_MAX, wire);
      }
    }
  }
}

void DataPlane::FetchBatches(const FetchRequest& request, std::vector<FetchedPartition>* out,
                             const std::function<bool()>& cancelled) {
  const int64_t wait_ms = std::clamp<int64_t>(request.max_wait_ms(), 0, options_.max_fetch_wait_ms);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  const int64_t min_bytes = std::max<int64_t>(request.min_bytes(), 1);
  while (true) {
    const uint64_t seen = notifier_->generation();
    out->clear();
    const int64_t bytes = FetchOnce(request, out);
    if (bytes >= min_bytes || std::chrono::steady_clock::now() >= deadline || cancelled()) return;
    bool any_error = false;
    for (const FetchedPartition& f : *out) any_error |= f.data.error() != keel::NONE;
    if (any_error) return;  // errors are answered at once, as Kafka does
    // Wake at least every 100 ms to notice a cancelled call.
    const auto slice = std::min(deadline, std::chrono::steady_clock::now() +
                                              std::chrono::milliseconds(100));
    notifier_->WaitChange(seen, slice);
  }
}

int64_t DataPlane::FetchOnce(const FetchRequest& request, std::vector<FetchedPartition>* out) {
  int64_t budget = request.max_bytes() > 0 ? request.max_bytes() : options_.default_fetch_max_bytes;
  int64_t total = 0;
  for (const FetchTopic& topic : request.topics()) {
    for (const FetchPartition& fp : topic.partitions()) {
      FetchedPartition& f = out->emplace_back();
      f.topic = topic.topic();
      FetchPartitionData* pd = &f.data;
      pd->set_partition(fp.partition());
      pd->set_high_watermark(-1);
      pd->set_log_start_offset(-1);
      pd->set_log_end_offset(-1);
      Leadership l = CheckLeader(topic.topic(), fp.partition());
      if (l.Refuse(pd)) continue;
      if (fp.current_leader_epoch() >= 0 &&
          RefuseEpoch(fp.current_leader_epoch(), l.leader_epoch, pd)) {
        *pd->mutable_leader() = l.leader;
        continue;
      }
      storage::Log* log = l.partition->log();
      const int64_t hw = l.partition->high_watermark();
      const int64_t start = log->log_start_offset();
      const int64_t end = log->log_end_offset();
      pd->set_high_watermark(hw);
      pd->set_log_start_offset(start);
      pd->set_log_end_offset(end);
      if (fp.fetch_offset() < start || fp.fetch_offset() > end) {
        pd->set_error(keel::OFFSET_OUT_OF_RANGE);
        pd->set_error_message(absl::StrCat("Fetch offset ", fp.fetch_offset(),
                                           " is out of range for ", topic.topic(), "-",
                                           fp.partition(), ": the log holds [", start, ", ", end,
                                           ")."));
        continue;
      }
      if (fp.fetch_offset() >= hw || budget <= 0) continue;
      const int64_t partition_max =
          fp.partition_max_bytes() > 0 ? fp.partition_max_bytes()
                                       : options_.default_partition_max_bytes;
      auto batches = log->Read(fp.fetch_offset(), std::min(partition_max, budget));
      if (!batches.ok()) {
        pd->set_error(StorageErrorCode(batches.status()));
        pd->set_error_message(std::string(batches.status().message()));
        continue;
      }
      int64_t partition_bytes = 0;
      int64_t partition_records = 0;
      for (storage::RecordBatch& b : *batches) {
        if (b.base_offset >= hw) break;
        // Keep the offsets in [fetch offset, high watermark). A compacted batch may keep none
        // of its records: it still goes out (its range tells the consumer to move past it).
        if (!storage::TrimBatch(&b, fp.fetch_offset(), hw)) continue;
        int64_t bytes = 0;
        for (const storage::Record& r : b.records) bytes += RecordBytes(r);
        partition_records += static_cast<int64_t>(b.records.size());
        partition_bytes += bytes;
        total += bytes;
        budget -= bytes;
        f.batches.push_back(std::move(b));
      }
      // A long poll gathers again only after finding nothing, so records count once.
      if (metrics_ != nullptr && partition_records > 0) {
        metrics_->RecordFetched(topic.topic(), partition_records, partition_bytes);
      }
    }
  }
  return total;
}

void DataPlane::ListOffsets(const ListOffsetsRequest& request, ListOffsetsResponse* response) {
  for (const ListOffsetsTopic& topic : request.topics()) {
    ListOffsetsTopicResult* tr = response->add_topics();
    tr->set_topic(topic.topic());
    for (const ListOffsetsPartition& lp : topic.partitions()) {
      ListOffsetsPartitionResult* pr = tr->add_partitions();
      pr->set_partition(lp.partition());
      pr->set_offset(-1);
      pr->set_timestamp_ms(-1);
      Leadership l = CheckLeader(topic.topic(), lp.partition());
      if (l.Refuse(pr)) continue;
      storage::Log* log = l.partition->log();
      const int64_t hw = l.partition->high_watermark();
      if (lp.timestamp_ms() == kListEarliest) {
        pr->set_offset(log->log_start_offset());
      } else if (lp.timestamp_ms() == kListLatest) {
        pr->set_offset(hw);
      } else if (lp.timestamp_ms() < 0) {
        pr->set_error(keel::INVALID_REQUEST);
        pr->set_error_message(absl::StrCat("Unknown timestamp ", lp.timestamp_ms(),
                                           ": use -1 (latest), -2 (earliest) or a time in ms."));
      } else {
        auto found = log->OffsetForTimestamp(lp.timestamp_ms());
        if (!found.ok()) {
          pr->set_error(StorageErrorCode(found.status()));
          pr->set_error_message(std::string(found.status().message()));
          continue;
        }
        // The batch index answers at batch granularity; find the exact record.
        // Compaction may have emptied the batch found: read on until a record qualifies.
        int64_t from = *found;
        while (from < hw && pr->offset() < 0) {
          auto batches = log->Read(from, kListOffsetsReadBytes);
          if (!batches.ok() || batches->empty()) break;
          for (const storage::RecordBatch& b : *batches) {
            for (size_t i = 0; i < b.records.size(); ++i) {
              const int64_t offset = b.OffsetOf(i);
              const storage::Record& r = b.records[i];
              if (offset >= *found && offset < hw && r.timestamp_ms >= lp.timestamp_ms()) {
                pr->set_offset(offset);
                pr->set_timestamp_ms(r.timestamp_ms);
                break;
              }
            }
            from = b.next_offset();
            if (pr->offset() >= 0 || from >= hw) break;
          }
        }
        // No record at or after the time below the high watermark: offset -1 (Kafka).
      }
    }
  }
}

void DataPlane::ReplicaFetch(const ReplicaFetchRequest& request, ReplicaFetchResponse* response,
                             const std::function<bool()>& cancelled) {
  const FetchRequest& fetch = request.fetch();
  const int64_t wait_ms = std::clamp<int64_t>(fetch.max_wait_ms(), 0, options_.max_fetch_wait_ms);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (bool first_pass = true;; first_pass = false) {
    const uint64_t seen = notifier_->generation();
    FetchResponse* out = response->mutable_fetch();
    out->Clear();
    const int64_t bytes = ReplicaFetchOnce(request, out, first_pass);
    if (bytes > 0 || std::chrono::steady_clock::now() >= deadline || cancelled()) return;
    bool answer_now = false;  // errors, divergence and high-watermark news go out at once
    for (const auto& t : out->topics()) {
      for (const auto& p : t.partitions()) {
        answer_now |= p.error() != keel::NONE || p.has_diverging_epoch();
      }
    }
    if (answer_now) return;
    const auto slice = std::min(deadline, std::chrono::steady_clock::now() +
                                              std::chrono::milliseconds(100));
    notifier_->WaitChange(seen, slice);
  }
}

int64_t DataPlane::ReplicaFetchOnce(const ReplicaFetchRequest& request, FetchResponse* response,
                                    bool first_pass) {
  const FetchRequest& fetch = request.fetch();
  const int32_t replica = request.replica_id();
  int64_t budget = fetch.max_bytes() > 0 ? fetch.max_bytes() : options_.default_fetch_max_bytes;
  int64_t total = 0;
  bool hw_moved = false;
  const int64_t now_ms = NowMs();
  for (const FetchTopic& topic : fetch.topics()) {
    FetchTopicData* td = response->add_topics();
    td->set_topic(topic.topic());
    for (const FetchPartition& fp : topic.partitions()) {
      FetchPartitionData* pd = AddPartitionData(td, fp.partition());
      Leadership l = CheckLeader(topic.topic(), fp.partition());
      if (l.Refuse(pd)) continue;
      // Replicas always name their epoch: an older one waits for metadata, never reads.
      if (RefuseEpoch(fp.current_leader_epoch(), l.leader_epoch, pd)) continue;
      Partition& p = *l.partition;
      const auto replicas = p.assignment().replicas;
      if (std::find(replicas.begin(), replicas.end(), replica) == replicas.end()) {
        pd->set_error(keel::NOT_LEADER_OR_FOLLOWER);
        pd->set_error_message(absl::StrCat("Broker ", replica, " is not a replica of ",
                                           topic.topic(), "-", fp.partition(), "."));
        continue;
      }
      storage::Log* log = p.log();
      const int64_t start = log->log_start_offset();
      const int64_t end = log->log_end_offset();
      pd->set_log_start_offset(start);
      pd->set_log_end_offset(end);
      // KIP-320: does the follower's last fetched epoch end where the follower thinks?
      if (fp.last_fetched_epoch() >= 0) {
        auto [epoch, epoch_end] = p.EndOffsetForEpoch(fp.last_fetched_epoch());
        if (epoch != fp.last_fetched_epoch() || epoch_end < fp.fetch_offset()) {
          auto* d = pd->mutable_diverging_epoch();
          d->set_epoch(epoch);
          d->set_end_offset(epoch < 0 ? start : epoch_end);
          pd->set_high_watermark(p.high_watermark());
          continue;
        }
      }
      if (fp.fetch_offset() < start || fp.fetch_offset() > end) {
        pd->set_error(keel::OFFSET_OUT_OF_RANGE);
        pd->set_error_message(absl::StrCat("Replica fetch offset ", fp.fetch_offset(),
                                           " is outside [", start, ", ", end, "]."));
        pd->set_high_watermark(p.high_watermark());
        continue;
      }
      if (first_pass) hw_moved |= p.UpdateFollowerPosition(replica, fp.fetch_offset(), now_ms);
      pd->set_high_watermark(p.high_watermark());
      if (fp.fetch_offset() == end || budget <= 0) continue;
      const int64_t partition_max = fp.partition_max_bytes() > 0
                                        ? fp.partition_max_bytes()
                                        : options_.default_partition_max_bytes;
      auto batches = log->Read(fp.fetch_offset(), std::min(partition_max, budget));
      if (!batches.ok()) {
        pd->set_error(StorageErrorCode(batches.status()));
        pd->set_error_message(std::string(batches.status().message()));
        continue;
      }
      for (const storage::RecordBatch& b : *batches) {
        RecordBatch* wire = pd->add_batches();
        wire->set_base_offset(std::max(b.base_offset, fp.fetch_offset()));
        wire->set_leader_epoch(b.leader_epoch);
        const int64_t bytes = AppendWireBatch(b, fp.fetch_offset(), INT64_MAX, wire,
                                              /*keep_reserved_headers=*/true);
        total += bytes;
        budget -= bytes;
      }
    }
  }
  // A moved high watermark completes acks=all produces and is news for consumers.
  if (hw_moved) notifier_->Notify();
  return total;
}

}  // namespace keel::broker

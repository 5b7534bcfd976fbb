// Consumer: reads assigned partitions over BrokerService.Fetch (long poll), as Kafka's
// consumer does with assign() (no group).
//
// Positions. Each assigned partition has a position, the offset of the next record Poll
// returns. A newly assigned partition has none until Seek*; Poll and Position() then resolve
// it with auto.offset.reset (earliest, latest, or none: an error). OFFSET_OUT_OF_RANGE (the
// log start moved past the position, or a truncation) resets the same way.
//
// Poll sends one Fetch to each leader broker of the assigned partitions at once, each waiting
// up to fetch.max.wait.ms for fetch.min.bytes, and returns the records of the first answers
// that carry any (at most max.poll.records). NOT_LEADER_OR_FOLLOWER moves the partition to the
// named leader or refreshes the metadata; so does a broker that cannot be reached.
//
// Group membership (subscribe, committed offsets, rebalances) is a later issue: a coordinator
// will call Assign() with its assignment and read/seed positions through Position()/Seek(),
// which are the whole seam.
//
// Not thread-safe (like Kafka's consumer): one thread uses a Consumer.
#ifndef KEEL_CLIENT_CONSUMER_H_
#define KEEL_CLIENT_CONSUMER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/metadata_cache.h"
#include "client/producer_config.h"
#include "client/topic_partition.h"

namespace keel::client {

struct ConsumerRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ConsumerConfig {
  std::string bootstrap_controllers;      // bootstrap.controllers
  std::string bootstrap_servers;          // bootstrap.servers (brokers; no controllers)
  int64_t fetch_max_wait_ms = 500;        // fetch.max.wait.ms
  int32_t fetch_min_bytes = 1;            // fetch.min.bytes
  int32_t fetch_max_bytes = 52428800;     // fetch.max.bytes
  int32_t max_partition_fetch_bytes = 1048576;  // max.partition.fetch.bytes
  int32_t max_poll_records = 500;         // max.poll.records
  std::string auto_offset_reset = "latest";  // auto.offset.reset: earliest, latest, none
  int64_t request_timeout_ms = 30000;     // request.timeout.ms
  int64_t retry_backoff_ms = 100;         // retry.backoff.ms
  int64_t metadata_max_age_ms = 300000;   // metadata.max.age.ms

  static absl::StatusOr<ConsumerConfig> FromProperties(const Properties& properties);
};

// ListOffsets' special timestamps (Kafka's convention).
inline constexpr int64_t kLatestOffset = -1;
inline constexpr int64_t kEarliestOffset = -2;

class Consumer {
 public:
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(
      const Properties& properties, std::shared_ptr<MetadataCache> metadata = nullptr);
  Consumer(ConsumerConfig config, std::shared_ptr<MetadataCache> metadata);

  // Replaces the assignment; positions of partitions kept are kept.
  void Assign(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> Assignment() const;

  absl::Status Seek(const TopicPartition& tp, int64_t offset);
  absl::Status SeekToBeginning(const std::vector<TopicPartition>& partitions);
  absl::Status SeekToEnd(const std::vector<TopicPartition>& partitions);
  // Each partition to its first record with timestamp >= timestamp_ms (the end if none).
  absl::Status SeekToTimestamp(const std::vector<TopicPartition>& partitions, int64_t timestamp_ms);

  // The next offset Poll returns for `tp` (resolving a missing position).
  absl::StatusOr<int64_t> Position(const TopicPartition& tp);

  // ListOffsets at the partition's leader: kLatestOffset, kEarliestOffset or a time in ms.
  absl::StatusOr<int64_t> OffsetForTime(const TopicPartition& tp, int64_t timestamp_ms,
                                        std::chrono::milliseconds timeout);

  // Records after the positions, waiting up to `timeout` for some. An empty vector after the
  // timeout is not an error. Errors that no retry cures (auto.offset.reset=none and an
  // out-of-range position, an unknown topic past the timeout) are returned.
  absl::StatusOr<std::vector<ConsumerRecord>> Poll(std::chrono::milliseconds timeout);

  // The high watermark the last fetch of `tp` reported (-1 before one).
  int64_t HighWatermark(const TopicPartition& tp) const;

  const ConsumerConfig& config() const { return config_; }
  MetadataCache* metadata() const { return metadata_.get(); }

 private:
  struct PartitionState {
    int64_t position = -1;  // -1: resolve with auto.offset.reset
    int64_t high_watermark = -1;
  };
  // Leader address of `tp` ("" if unknown after a refresh attempt).
  std::string LeaderOf(const TopicPartition& tp, std::chrono::milliseconds timeout);
  absl::Status ResetPosition(const TopicPartition& tp, std::chrono::milliseconds timeout);
  // Up to max.poll.records buffered records, advancing their partitions' positions.
  std::vector<ConsumerRecord> DrainBuffered();
  void DropBuffered(const TopicPartition& tp);

  const ConsumerConfig config_;
  const std::shared_ptr<MetadataCache> metadata_;
  std::map<TopicPartition, PartitionState> assigned_;
  // Fetched records not yet returned (a fetch brings up to max.partition.fetch.bytes per
  // partition; Poll returns max.poll.records). They start at their partitions' positions.
  std::deque<ConsumerRecord> buffered_;
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_CONSUMER_H_

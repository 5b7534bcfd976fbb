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
// Groups. With group.id, Subscribe(topics) or Subscribe(TopicPattern) makes the consumer a
// member of its group (Kafka's classic protocol over GroupService, through
// ConsumerCoordinator): Poll joins, runs the leader's assignor, fires the rebalance callbacks,
// starts each new partition at its committed offset (else auto.offset.reset), auto-commits
// and rejoins when the heartbeat thread or the metadata says so. Assign() and Subscribe()
// exclude each other, as in Kafka. docs/client.md says what is chosen where Kafka has choices.
//
// Not thread-safe (like Kafka's consumer): one thread uses a Consumer; the callbacks run on
// it, inside Poll, CommitSync or Close.
#ifndef KEEL_CLIENT_CONSUMER_H_
#define KEEL_CLIENT_CONSUMER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/metadata_cache.h"
#include "client/consumer_coordinator.h"
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
  // Null (as in Kafka) rather than empty: the matching string is then empty and means
  // nothing. A null value is a tombstone.
  bool null_key = false;
  bool null_value = false;
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
  int64_t metadata_max_age_ms = 300000;   // metadata.max.age.ms (also the topic check of
                                          // a pattern subscription and the leader's)
  // The group's part (group.id, group.instance.id, client.id, session.timeout.ms,
  // heartbeat.interval.ms, max.poll.interval.ms, partition.assignment.strategy).
  GroupMembershipConfig group;
  bool enable_auto_commit = true;         // enable.auto.commit (only with group.id)
  int64_t auto_commit_interval_ms = 5000; // auto.commit.interval.ms

  static absl::StatusOr<ConsumerConfig> FromProperties(const Properties& properties);
};

// ListOffsets' special timestamps (Kafka's convention).
inline constexpr int64_t kLatestOffset = -1;
inline constexpr int64_t kEarliestOffset = -2;

// A subscription by regular expression (ECMAScript syntax; the whole topic name must match,
// as Java's Pattern.matches). Internal topics (names starting "__") never match. Built with
// TopicPattern::Of("orders-.*"), so Subscribe({"a", "b"}) is never mistaken for a pattern.
class TopicPattern {
 public:
  static TopicPattern Of(std::string regex) {
    TopicPattern p;
    p.regex_ = std::move(regex);
    return p;
  }
  const std::string& regex() const { return regex_; }

 private:
  TopicPattern() = default;
  std::string regex_;
};

// Rebalance callbacks (Kafka's ConsumerRebalanceListener), run on the polling thread. Unset
// ones do nothing; an unset on_partitions_lost calls on_partitions_revoked (Kafka's default).
// A callback may call Seek / Position / CommitSync; not Subscribe or Close.
struct RebalanceListener {
  std::function<void(const std::vector<TopicPartition>&)> on_partitions_revoked;
  std::function<void(const std::vector<TopicPartition>&)> on_partitions_assigned;
  std::function<void(const std::vector<TopicPartition>&)> on_partitions_lost;
};

class Consumer {
 public:
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(
      const Properties& properties, std::shared_ptr<MetadataCache> metadata = nullptr);
  // `group_client` may be null: the first Subscribe makes one over `metadata`'s channels.
  Consumer(ConsumerConfig config, std::shared_ptr<MetadataCache> metadata,
           std::shared_ptr<GroupClient> group_client = nullptr);

  ~Consumer();  // Close(), bounded by request.timeout.ms

  // Replaces the assignment; positions of partitions kept are kept. Refused while subscribed
  // (Kafka throws IllegalStateException): Assign then does nothing and AssignChecked says so.
  void Assign(const std::vector<TopicPartition>& partitions);
  absl::Status AssignChecked(const std::vector<TopicPartition>& partitions);

  // Group membership (needs group.id). Replaces any earlier subscription; the next Poll
  // joins. An empty list unsubscribes.
  absl::Status Subscribe(const std::vector<std::string>& topics, RebalanceListener listener = {});
  absl::Status Subscribe(const TopicPattern& pattern, RebalanceListener listener = {});
  // Revokes the partitions (committing first with auto-commit) and leaves the group.
  absl::Status Unsubscribe();
  // The topics subscribed (a pattern's matches as of the last check).
  std::vector<std::string> Subscription() const;

  // Commits the consumed positions of every assigned partition (or `offsets`: the next
  // offset to consume per partition) and waits for the answer.
  absl::Status CommitSync();
  absl::Status CommitSync(const OffsetMap& offsets);
  // Commits the consumed positions without waiting; `callback` runs in a later Poll,
  // CommitSync or Close.
  void CommitAsync(CommitCallback callback = nullptr);
  // The group's committed offset of each partition (-1: none).
  absl::StatusOr<OffsetMap> Committed(const std::vector<TopicPartition>& partitions);

  // Commits (auto-commit), revokes and leaves the group (dynamic members), stops the
  // threads. Idempotent; the consumer is unusable afterwards.
  absl::Status Close();

  // Group state, for tests and tools (-1 / "" outside a group).
  int32_t generation() const;
  std::string member_id() const;
  bool is_leader() const;
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
  // out-of-range position, an unknown topic past the timeout) are returned. Subscribed, it
  // first does the group's work (join, callbacks, auto-commit); a join in progress runs to
  // its end even past `timeout` (it is bounded by max.poll.interval.ms), so the member is
  // not kicked out of the generation it is joining.
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
  // One round of fetches over the assignment (the whole Poll without a group).
  absl::StatusOr<std::vector<ConsumerRecord>> PollAssigned(std::chrono::milliseconds timeout);
  // The group's work before a fetch: topic checks, rejoins, callbacks, auto-commit.
  absl::Status UpdateGroup();
  absl::Status Rebalance();
  // Revokes `partitions` (committing their positions first with auto-commit).
  void Revoke(const std::vector<TopicPartition>& partitions);
  OffsetMap ConsumedPositions(const std::vector<TopicPartition>& partitions) const;
  // The topics a pattern matches now, sorted.
  absl::StatusOr<std::vector<std::string>> MatchPattern();
  std::map<std::string, int32_t> PartitionCounts(const std::set<std::string>& topics);
  absl::Status StartSubscription(RebalanceListener listener);
  // gRPC addresses of brokers for GroupClient: bootstrap.servers, else the unfenced brokers
  // the controllers know.
  absl::StatusOr<std::vector<std::string>> BootstrapBrokers();
  void SetAssignment(const std::vector<TopicPartition>& partitions);

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

  // Group membership; coordinator_ is made on the first Subscribe.
  std::shared_ptr<GroupClient> group_client_;
  std::unique_ptr<ConsumerCoordinator> coordinator_;
  bool subscribed_ = false;
  bool joined_ = false;           // holds a generation's assignment
  bool rejoin_needed_ = false;
  bool closed_ = false;
  std::vector<std::string> topics_;            // sorted
  std::optional<std::regex> pattern_;
  RebalanceListener listener_;
  std::chrono::steady_clock::time_point next_topic_check_;
  std::chrono::steady_clock::time_point next_auto_commit_;
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_CONSUMER_H_

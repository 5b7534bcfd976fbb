// ConsumerCoordinator: one consumer's membership in its group (Kafka's ConsumerCoordinator),
// over GroupClient (which finds the coordinator and retries transport failures).
//
// The poll thread calls JoinGroup (JoinGroup + SyncGroup until a generation's assignment
// arrives; the leader runs the assignor), Commit, FetchCommitted and Leave. A heartbeat
// thread sends Heartbeat every heartbeat.interval.ms while the member is in a generation and
// never joins itself: it records why the member must rejoin (REBALANCE_IN_PROGRESS:
// rebalance, keeping the partitions; ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / FENCED: the
// partitions are lost) and the poll thread acts on it in its next Poll, so rebalance
// callbacks always run on the poll thread, as in Kafka. The heartbeat thread also leaves the
// group when Poll was not called within max.poll.interval.ms (Kafka's poll timeout).
//
// CommitAsync queues commits for a committer thread; their callbacks are handed back to the
// poll thread by RunCommitCallbacks (Kafka runs them inside a later poll/commit).
//
// Thread-safe: mu_ guards the membership fields; no lock is held across a call.
#ifndef KEEL_CLIENT_CONSUMER_COORDINATOR_H_
#define KEEL_CLIENT_CONSUMER_COORDINATOR_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/assignor.h"
#include "client/topic_partition.h"

namespace keel::client {

class GroupClient;

struct GroupMembershipConfig {
  std::string group_id;                           // group.id
  std::optional<std::string> group_instance_id;   // group.instance.id
  std::string client_id = "keel-consumer";        // client.id
  int64_t session_timeout_ms = 45000;             // session.timeout.ms (Kafka 3.0)
  int64_t heartbeat_interval_ms = 3000;           // heartbeat.interval.ms
  int64_t max_poll_interval_ms = 300000;          // max.poll.interval.ms (rebalance timeout)
  std::vector<std::string> assignment_strategies = {"range", "cooperative-sticky"};
  int64_t request_timeout_ms = 30000;
  int64_t retry_backoff_ms = 100;
};

using OffsetMap = std::map<TopicPartition, int64_t>;
using CommitCallback = std::function<void(const OffsetMap&, const absl::Status&)>;

class ConsumerCoordinator {
 public:
  struct JoinResult {
    int32_t generation = -1;
    std::string member_id;
    bool leader = false;
    std::string protocol_name;
    std::vector<TopicPartition> assignment;  // sorted
  };
  // Why the member must rejoin, as the heartbeat thread (or a failed commit) saw it.
  enum class Rejoin { kNone, kRebalance, kLost };
  // The partition count of each of `topics` the leader can see (missing topics left out).
  using PartitionCounts =
      std::function<std::map<std::string, int32_t>(const std::set<std::string>& topics)>;

  // Refuses unknown strategies and an empty list.
  static absl::StatusOr<std::unique_ptr<ConsumerCoordinator>> Create(
      GroupMembershipConfig config, std::shared_ptr<GroupClient> client);
  ConsumerCoordinator(GroupMembershipConfig config, std::shared_ptr<GroupClient> client,
                      std::vector<std::unique_ptr<Assignor>> assignors);
  ~ConsumerCoordinator();  // stops the threads (no LeaveGroup: that is Leave())

  // COOPERATIVE only when every configured assignor is (Kafka 3: "range,cooperative-sticky"
  // is EAGER until "range" is removed).
  RebalanceProtocol protocol() const { return protocol_; }

  // Joins (again) with this subscription and the partitions held now (cooperative), and
  // returns the generation's assignment. Fatal errors (FENCED_INSTANCE_ID,
  // INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, GROUP_MAX_SIZE_REACHED, a bad
  // assignment) are returned; retriable ones are retried until `timeout`.
  absl::StatusOr<JoinResult> JoinGroup(const std::vector<std::string>& topics,
                                       const std::vector<TopicPartition>& owned,
                                       const PartitionCounts& partition_counts,
                                       std::chrono::milliseconds timeout);

  // Takes (and clears) the rejoin reason.
  Rejoin TakeRejoin();
  void RequestRejoin();
  // The poll thread is alive (for max.poll.interval.ms).
  void NotePoll();

  // OffsetCommit in the current generation (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID also
  // request a rejoin, as Kafka's CommitFailedException).
  absl::Status Commit(const OffsetMap& offsets, std::chrono::milliseconds timeout);
  void CommitAsync(OffsetMap offsets, CommitCallback callback);
  // Runs the callbacks of finished async commits (on the caller's thread).
  void RunCommitCallbacks();
  // Waits until every queued async commit finished (or `timeout`).
  void WaitCommits(std::chrono::milliseconds timeout);

  // Committed offsets (-1: none) of `partitions`.
  absl::StatusOr<OffsetMap> FetchCommitted(const std::vector<TopicPartition>& partitions,
                                           std::chrono::milliseconds timeout);

  // LeaveGroup (static members keep their place, as Kafka's close does not leave for them).
  absl::Status Leave(std::chrono::milliseconds timeout);

  // The leader's partition counts at its last assignment (empty for followers): the leader
  // rejoins when the subscribed topics' counts differ.
  std::map<std::string, int32_t> assigned_partition_counts() const;
  std::set<std::string> group_topics() const;  // every member's topics (leader only)
  bool leader() const;
  int32_t generation() const;
  std::string member_id() const;

 private:
  void HeartbeatLoop();
  void CommitLoop();
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LeaderAssign(
      const std::string& protocol_name, const std::vector<MemberSubscription>& members,
      const PartitionCounts& partition_counts);

  const GroupMembershipConfig config_;
  const std::shared_ptr<GroupClient> client_;
  const std::vector<std::unique_ptr<Assignor>> assignors_;
  const RebalanceProtocol protocol_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                 // guarded by mu_
  bool in_generation_ = false;        // guarded by mu_: heartbeats only then
  std::string member_id_;             // guarded by mu_
  int32_t generation_ = -1;           // guarded by mu_
  bool leader_ = false;               // guarded by mu_
  Rejoin rejoin_ = Rejoin::kNone;     // guarded by mu_
  std::chrono::steady_clock::time_point last_poll_;  // guarded by mu_
  std::map<std::string, int32_t> assigned_counts_;   // guarded by mu_
  std::set<std::string> group_topics_;               // guarded by mu_

  struct PendingCommit {
    OffsetMap offsets;
    CommitCallback callback;
    absl::Status status;
  };
  std::deque<PendingCommit> queued_commits_;    // guarded by mu_
  std::deque<PendingCommit> finished_commits_;  // guarded by mu_
  int commits_in_flight_ = 0;                   // guarded by mu_

  std::thread heartbeat_thread_;
  std::thread commit_thread_;
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_CONSUMER_COORDINATOR_H_

// Consumer's group membership: Subscribe, the rebalance as Poll runs it, commits, Close.
// (The conversation with the coordinator is ConsumerCoordinator's; this file decides what the
// consumer does with its answers.)
#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/consumer.h"
#include "client/channels.h"
#include "client/errors.h"
#include "client/group_client.h"

namespace keel::client {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::vector<TopicPartition> Minus(const std::vector<TopicPartition>& a,
                                  const std::vector<TopicPartition>& b) {
  std::vector<TopicPartition> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> Consumer::BootstrapBrokers() {
  std::vector<std::string> brokers = SplitAddresses(config_.bootstrap_servers);
  if (!brokers.empty()) return brokers;
  if (metadata_->admin() == nullptr) {
    return absl::InvalidArgumentError(
        "a group consumer needs bootstrap.servers or bootstrap.controllers");
  }
  auto cluster = metadata_->admin()->DescribeCluster(milliseconds(config_.request_timeout_ms));
  if (!cluster.ok()) return cluster.status();
  for (const auto& b : cluster->brokers()) {
    if (b.fenced() || b.endpoints().empty()) continue;
    brokers.push_back(absl::StrCat(b.endpoints(0).host(), ":", b.endpoints(0).port()));
  }
  if (brokers.empty()) return absl::UnavailableError("no broker is registered and unfenced");
  return brokers;
}

absl::Status Consumer::StartSubscription(RebalanceListener listener) {
  if (closed_) return absl::FailedPreconditionError("the consumer is closed");
  if (config_.group.group_id.empty()) {
    return absl::InvalidArgumentError(
        "InvalidGroupIdException: To use the group management or offset commit APIs, you must "
        "provide a valid group.id in the consumer configuration");
  }
  if (!subscribed_ && !assigned_.empty()) {
    return absl::FailedPreconditionError(
        "IllegalStateException: Subscription to topics, partitions and pattern are mutually "
        "exclusive (assign an empty list first)");
  }
  if (coordinator_ == nullptr) {
    if (group_client_ == nullptr) {
      auto brokers = BootstrapBrokers();
      if (!brokers.ok()) return brokers.status();
      GroupClientOptions options;
      options.bootstrap_brokers = std::move(*brokers);
      options.request_timeout_ms = config_.request_timeout_ms;
      options.retry_backoff_ms = config_.retry_backoff_ms;
      group_client_ = std::make_shared<GroupClient>(std::move(options), metadata_);
    }
    auto coordinator = ConsumerCoordinator::Create(config_.group, group_client_);
    if (!coordinator.ok()) return coordinator.status();
    coordinator_ = std::move(*coordinator);
  }
  listener_ = std::move(listener);
  subscribed_ = true;
  rejoin_needed_ = true;
  next_topic_check_ = Clock::now();
  next_auto_commit_ = Clock::now() + milliseconds(config_.auto_commit_interval_ms);
  return absl::OkStatus();
}

absl::Status Consumer::Subscribe(const std::vector<std::string>& topics,
                                 RebalanceListener listener) {
  if (topics.empty()) return Unsubscribe();
  for (const auto& t : topics) {
    if (t.empty()) return absl::InvalidArgumentError("a subscribed topic name must not be empty");
  }
  if (absl::Status s = StartSubscription(std::move(listener)); !s.ok()) return s;
  pattern_.reset();
  topics_ = topics;
  std::sort(topics_.begin(), topics_.end());
  topics_.erase(std::unique(topics_.begin(), topics_.end()), topics_.end());
  return absl::OkStatus();
}

absl::Status Consumer::Subscribe(const TopicPattern& pattern, RebalanceListener listener) {
  std::regex re;
  try {
    re = std::regex(pattern.regex(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad topic pattern '", pattern.regex(), "': ", e.what()));
  }
  if (absl::Status s = StartSubscription(std::move(listener)); !s.ok()) return s;
  pattern_ = std::move(re);
  topics_.clear();
  return absl::OkStatus();
}

std::vector<std::string> Consumer::Subscription() const { return topics_; }

absl::StatusOr<std::vector<std::string>> Consumer::MatchPattern() {
  if (metadata_->admin() == nullptr) {
    return absl::FailedPreconditionError("a pattern subscription needs bootstrap.controllers");
  }
  auto listed = metadata_->admin()->ListTopics(false, milliseconds(config_.request_timeout_ms));
  if (!listed.ok()) return listed.status();
  std::vector<std::string> out;
  for (const auto& name : listed->names()) {
    if (name.rfind("__", 0) == 0) continue;  // internal topics (exclude.internal.topics)
    if (std::regex_match(name, *pattern_)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, int32_t> Consumer::PartitionCounts(const std::set<std::string>& topics) {
  std::vector<std::string> names(topics.begin(), topics.end());
  // Fresh counts: the leader compares them with what it assigned over.
  (void)metadata_->Refresh(names, milliseconds(config_.request_timeout_ms));
  std::map<std::string, int32_t> out;
  for (const auto& name : names) {
    auto t = metadata_->Cached(name);
    if (t != nullptr && !t->partitions.empty()) {
      out[name] = static_cast<int32_t>(t->partitions.size());
    }
  }
  return out;
}

OffsetMap Consumer::ConsumedPositions(const std::vector<TopicPartition>& partitions) const {
  OffsetMap out;
  for (const auto& tp : partitions) {
    auto it = assigned_.find(tp);
    if (it != assigned_.end() && it->second.position >= 0) out[tp] = it->second.position;
  }
  return out;
}

void Consumer::Revoke(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  if (config_.enable_auto_commit) {
    // Kafka commits what was consumed before giving partitions away; a failure here means
    // the next owner re-reads from the last commit (at least once).
    (void)coordinator_->Commit(ConsumedPositions(partitions), milliseconds(config_.request_timeout_ms));
  }
  if (listener_.on_partitions_revoked) listener_.on_partitions_revoked(partitions);
  std::vector<TopicPartition> kept = Minus(Assignment(), partitions);
  SetAssignment(kept);
}

absl::Status Consumer::UpdateGroup() {
  coordinator_->NotePoll();
  coordinator_->RunCommitCallbacks();
  const auto now = Clock::now();

  if (now >= next_topic_check_) {
    next_topic_check_ = now + milliseconds(config_.metadata_max_age_ms);
    if (pattern_) {
      auto matched = MatchPattern();
      if (matched.ok() && *matched != topics_) {
        topics_ = std::move(*matched);
        rejoin_needed_ = true;
      }
    }
    // The leader watches every member's topics: a partition count that changed (or a topic
    // that appeared) means a new assignment, as Kafka's leader does on a metadata refresh.
    if (joined_ && coordinator_->leader()) {
      if (PartitionCounts(coordinator_->group_topics()) !=
          coordinator_->assigned_partition_counts()) {
        rejoin_needed_ = true;
      }
    }
  }

  switch (coordinator_->TakeRejoin()) {
    case ConsumerCoordinator::Rejoin::kNone:
      break;
    case ConsumerCoordinator::Rejoin::kRebalance:
      rejoin_needed_ = true;
      break;
    case ConsumerCoordinator::Rejoin::kLost: {
      // Another member may own them already: no commit, the lost callback.
      std::vector<TopicPartition> lost = Assignment();
      if (!lost.empty()) {
        if (listener_.on_partitions_lost) {
          listener_.on_partitions_lost(lost);
        } else if (listener_.on_partitions_revoked) {
          listener_.on_partitions_revoked(lost);
        }
      }
      SetAssignment({});
      rejoin_needed_ = true;
      break;
    }
  }

  // Bounded: a cooperative rebalance that revoked partitions takes one more round.
  for (int round = 0; (rejoin_needed_ || !joined_) && round < 3; ++round) {
    if (absl::Status s = Rebalance(); !s.ok()) return s;
  }

  if (config_.enable_auto_commit && joined_ && now >= next_auto_commit_) {
    next_auto_commit_ = now + milliseconds(config_.auto_commit_interval_ms);
    coordinator_->CommitAsync(ConsumedPositions(Assignment()), nullptr);
  }
  return absl::OkStatus();
}

absl::Status Consumer::Rebalance() {
  rejoin_needed_ = false;
  if (pattern_ && !joined_) {
    auto matched = MatchPattern();
    if (!matched.ok()) return matched.status();
    topics_ = std::move(*matched);
  }
  const bool cooperative = coordinator_->protocol() == RebalanceProtocol::kCooperative;
  if (!cooperative) Revoke(Assignment());  // EAGER: give everything up before joining
  std::vector<TopicPartition> owned = Assignment();

  auto joined = coordinator_->JoinGroup(
      topics_, owned, [this](const std::set<std::string>& t) { return PartitionCounts(t); },
      milliseconds(config_.group.max_poll_interval_ms + config_.request_timeout_ms));
  if (!joined.ok()) {
    joined_ = false;
    rejoin_needed_ = true;
    return joined.status();
  }
  joined_ = true;
  const std::vector<TopicPartition>& next = joined->assignment;
  std::vector<TopicPartition> revoked = Minus(owned, next);
  std::vector<TopicPartition> added = Minus(next, owned);
  if (!revoked.empty()) {
    Revoke(revoked);
    // KIP-429: what we gave up is assigned in the next rebalance, which we ask for now.
    rejoin_needed_ = true;
  }
  SetAssignment(next);
  // Positions start at the committed offsets; partitions without one use auto.offset.reset.
  auto committed = coordinator_->FetchCommitted(added, milliseconds(config_.request_timeout_ms));
  if (committed.ok()) {
    for (const auto& [tp, offset] : *committed) {
      if (offset >= 0) (void)Seek(tp, offset);
    }
  } else {
    // Without the committed offsets we would silently skip or repeat records: try again.
    SetAssignment(owned == next ? next : Minus(next, added));
    rejoin_needed_ = true;
    return committed.status();
  }
  if (listener_.on_partitions_assigned) listener_.on_partitions_assigned(added);
  return absl::OkStatus();
}

absl::Status Consumer::Unsubscribe() {
  if (!subscribed_) return absl::OkStatus();
  if (joined_) Revoke(Assignment());
  SetAssignment({});
  absl::Status s = coordinator_->Leave(milliseconds(config_.request_timeout_ms));
  subscribed_ = false;
  joined_ = false;
  topics_.clear();
  pattern_.reset();
  return s;
}

absl::Status Consumer::CommitSync() {
  if (!subscribed_) {
    return absl::FailedPreconditionError("CommitSync needs a group subscription");
  }
  return CommitSync(ConsumedPositions(Assignment()));
}

absl::Status Consumer::CommitSync(const OffsetMap& offsets) {
  if (coordinator_ == nullptr) {
    return absl::FailedPreconditionError("CommitSync needs a group subscription (group.id)");
  }
  coordinator_->RunCommitCallbacks();
  return coordinator_->Commit(offsets, milliseconds(config_.request_timeout_ms));
}

void Consumer::CommitAsync(CommitCallback callback) {
  if (coordinator_ == nullptr) {
    if (callback) {
      callback({}, absl::FailedPreconditionError("CommitAsync needs a group subscription"));
    }
    return;
  }
  coordinator_->CommitAsync(ConsumedPositions(Assignment()), std::move(callback));
}

absl::StatusOr<OffsetMap> Consumer::Committed(const std::vector<TopicPartition>& partitions) {
  if (coordinator_ == nullptr) {
    return absl::FailedPreconditionError("Committed needs a group subscription (group.id)");
  }
  return coordinator_->FetchCommitted(partitions, milliseconds(config_.request_timeout_ms));
}

absl::Status Consumer::Close() {
  if (closed_) return absl::OkStatus();
  absl::Status s;
  if (subscribed_) s = Unsubscribe();
  if (coordinator_ != nullptr) {
    coordinator_->WaitCommits(milliseconds(config_.request_timeout_ms));
    coordinator_->RunCommitCallbacks();
    coordinator_.reset();  // stops the heartbeat and commit threads
  }
  closed_ = true;
  return s;
}

int32_t Consumer::generation() const {
  return coordinator_ == nullptr ? -1 : coordinator_->generation();
}
std::string Consumer::member_id() const {
  return coordinator_ == nullptr ? "" : coordinator_->member_id();
}
bool Consumer::is_leader() const { return coordinator_ != nullptr && coordinator_->leader(); }

}  // namespace keel::client

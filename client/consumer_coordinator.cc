#include "client/consumer_coordinator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/consumer_protocol.h"
#include "client/errors.h"
#include "client/group_client.h"

namespace keel::client {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kProtocolType = kConsumerProtocolType;

// ConsumerProtocol bytes <-> the assignors' types.
std::vector<TopicPartition> ToList(const TopicPartitionsMap& map) {
  std::vector<TopicPartition> out;
  for (const auto& [topic, partitions] : map) {
    for (int32_t p : partitions) out.push_back({topic, p});
  }
  std::sort(out.begin(), out.end());
  return out;
}

TopicPartitionsMap ToMap(const std::vector<TopicPartition>& list) {
  TopicPartitionsMap out;
  for (const auto& tp : list) out[tp.topic].push_back(tp.partition);
  for (auto& [topic, partitions] : out) std::sort(partitions.begin(), partitions.end());
  return out;
}

std::string EncodeSubscriptionBytes(const std::vector<std::string>& topics,
                                    const std::vector<TopicPartition>& owned,
                                    int32_t generation) {
  ConsumerSubscription s;
  s.topics = topics;
  s.owned_partitions = ToMap(owned);
  s.generation_id = generation;
  return EncodeSubscription(s);
}

absl::StatusOr<MemberSubscription> DecodeSubscriptionBytes(const std::string& bytes) {
  auto s = DecodeSubscription(bytes);
  if (!s.ok()) return s.status();
  MemberSubscription m;
  m.topics = std::move(s->topics);
  m.owned_partitions = ToList(s->owned_partitions);
  return m;
}

std::string EncodeAssignmentBytes(const std::vector<TopicPartition>& partitions) {
  ConsumerAssignment a;
  a.partitions = ToMap(partitions);
  return EncodeAssignment(a);
}

absl::StatusOr<std::vector<TopicPartition>> DecodeAssignmentBytes(const std::string& bytes) {
  auto a = DecodeAssignment(bytes);
  if (!a.ok()) return a.status();
  return ToList(a->partitions);
}

milliseconds Remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

RebalanceProtocol CommonProtocol(const std::vector<std::unique_ptr<Assignor>>& assignors) {
  for (const auto& a : assignors) {
    if (a->protocol() != RebalanceProtocol::kCooperative) return RebalanceProtocol::kEager;
  }
  return assignors.empty() ? RebalanceProtocol::kEager : RebalanceProtocol::kCooperative;
}

// Errors after which the member id is no longer valid: its partitions are lost.
bool LosesMembership(keel::ErrorCode e) {
  return e == keel::ILLEGAL_GENERATION || e == keel::UNKNOWN_MEMBER_ID ||
         e == keel::FENCED_INSTANCE_ID;
}

// Errors a join answers that no retry cures.
bool FatalJoinError(keel::ErrorCode e) {
  return e == keel::FENCED_INSTANCE_ID || e == keel::INCONSISTENT_GROUP_PROTOCOL ||
         e == keel::INVALID_SESSION_TIMEOUT || e == keel::GROUP_MAX_SIZE_REACHED ||
         e == keel::INVALID_GROUP_ID;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConsumerCoordinator>> ConsumerCoordinator::Create(
    GroupMembershipConfig config, std::shared_ptr<GroupClient> client) {
  if (config.group_id.empty()) {
    return absl::InvalidArgumentError("InvalidGroupIdException: group.id is required");
  }
  if (config.assignment_strategies.empty()) {
    return absl::InvalidArgumentError("partition.assignment.strategy must name an assignor");
  }
  std::vector<std::unique_ptr<Assignor>> assignors;
  for (const auto& name : config.assignment_strategies) {
    auto a = MakeAssignor(name);
    if (!a.ok()) return a.status();
    assignors.push_back(std::move(*a));
  }
  return std::make_unique<ConsumerCoordinator>(std::move(config), std::move(client),
                                               std::move(assignors));
}

ConsumerCoordinator::ConsumerCoordinator(GroupMembershipConfig config,
                                         std::shared_ptr<GroupClient> client,
                                         std::vector<std::unique_ptr<Assignor>> assignors)
    : config_(std::move(config)),
      client_(std::move(client)),
      assignors_(std::move(assignors)),
      protocol_(CommonProtocol(assignors_)),
      last_poll_(Clock::now()) {
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
  commit_thread_ = std::thread([this] { CommitLoop(); });
}

ConsumerCoordinator::~ConsumerCoordinator() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  heartbeat_thread_.join();
  commit_thread_.join();
}

ConsumerCoordinator::Rejoin ConsumerCoordinator::TakeRejoin() {
  std::lock_guard<std::mutex> lock(mu_);
  Rejoin r = rejoin_;
  rejoin_ = Rejoin::kNone;
  return r;
}

void ConsumerCoordinator::RequestRejoin() {
  std::lock_guard<std::mutex> lock(mu_);
  if (rejoin_ == Rejoin::kNone) rejoin_ = Rejoin::kRebalance;
}

void ConsumerCoordinator::NotePoll() {
  std::lock_guard<std::mutex> lock(mu_);
  last_poll_ = Clock::now();
}

bool ConsumerCoordinator::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}
int32_t ConsumerCoordinator::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}
std::string ConsumerCoordinator::member_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return member_id_;
}
std::map<std::string, int32_t> ConsumerCoordinator::assigned_partition_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return assigned_counts_;
}
std::set<std::string> ConsumerCoordinator::group_topics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return group_topics_;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ConsumerCoordinator::LeaderAssign(const std::string& protocol_name,
                                  const std::vector<MemberSubscription>& members,
                                  const PartitionCounts& partition_counts) {
  const Assignor* assignor = nullptr;
  for (const auto& a : assignors_) {
    if (a->name() == protocol_name) assignor = a.get();
  }
  if (assignor == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the coordinator chose protocol '", protocol_name, "' this consumer did not offer"));
  }
  std::set<std::string> topics;
  for (const auto& m : members) topics.insert(m.topics.begin(), m.topics.end());
  std::map<std::string, int32_t> counts = partition_counts(topics);
  GroupAssignment assignment = assignor->Assign(members, counts);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [member, partitions] : assignment) {
    out.emplace_back(member, EncodeAssignmentBytes(partitions));
  }
  std::lock_guard<std::mutex> lock(mu_);
  assigned_counts_ = std::move(counts);
  group_topics_ = std::move(topics);
  return out;
}

absl::StatusOr<ConsumerCoordinator::JoinResult> ConsumerCoordinator::JoinGroup(
    const std::vector<std::string>& topics, const std::vector<TopicPartition>& owned,
    const PartitionCounts& partition_counts, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string subscription = EncodeSubscriptionBytes(topics, owned, generation());
  absl::Status last = absl::DeadlineExceededError("JoinGroup: no attempt before the timeout");
  auto backoff = [&] {
    std::this_thread::sleep_for(std::min(Remaining(deadline), milliseconds(config_.retry_backoff_ms)));
  };
  // A join answers within the rebalance timeout (the coordinator waits for every member).
  const milliseconds call_timeout(config_.max_poll_interval_ms + config_.request_timeout_ms);
  while (Remaining(deadline).count() > 0) {
    std::string member_id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_generation_ = false;  // no heartbeats while joining (Kafka disables them too)
      member_id = member_id_;
    }
    group::JoinGroupRequest join;
    join.set_group_id(config_.group_id);
    join.set_member_id(member_id);
    if (config_.group_instance_id) join.set_group_instance_id(*config_.group_instance_id);
    join.set_client_id(config_.client_id);
    join.set_session_timeout_ms(static_cast<int32_t>(config_.session_timeout_ms));
    join.set_rebalance_timeout_ms(static_cast<int32_t>(config_.max_poll_interval_ms));
    join.set_protocol_type(kProtocolType);
    for (const auto& a : assignors_) {
      auto* p = join.add_protocols();
      p->set_name(a->name());
      p->set_metadata(subscription);
    }
    auto joined = client_->JoinGroup(join, call_timeout);
    if (!joined.ok()) {
      last = joined.status();
      backoff();
      continue;
    }
    const keel::ErrorCode join_error = joined->error();
    if (join_error == keel::MEMBER_ID_REQUIRED) {  // KIP-394: rejoin at once with the id
      std::lock_guard<std::mutex> lock(mu_);
      member_id_ = joined->member_id();
      continue;
    }
    if (join_error == keel::UNKNOWN_MEMBER_ID) {
      std::lock_guard<std::mutex> lock(mu_);
      member_id_.clear();
      generation_ = -1;
      continue;
    }
    if (join_error != keel::NONE) {
      last = ErrorStatus(join_error, joined->error_message());
      if (FatalJoinError(join_error)) return last;
      backoff();
      continue;
    }

    JoinResult result;
    result.generation = joined->generation_id();
    result.member_id = joined->member_id();
    result.protocol_name = joined->protocol_name();
    result.leader = joined->leader_id() == joined->member_id();
    {
      std::lock_guard<std::mutex> lock(mu_);
      member_id_ = result.member_id;
      generation_ = result.generation;
      leader_ = result.leader;
      if (!result.leader) {
        assigned_counts_.clear();
        group_topics_.clear();
      }
    }

    group::SyncGroupRequest sync;
    sync.set_group_id(config_.group_id);
    sync.set_generation_id(result.generation);
    sync.set_member_id(result.member_id);
    if (config_.group_instance_id) sync.set_group_instance_id(*config_.group_instance_id);
    sync.set_protocol_type(kProtocolType);
    sync.set_protocol_name(result.protocol_name);
    if (result.leader) {
      std::vector<MemberSubscription> members;
      for (const auto& m : joined->members()) {
        auto decoded = DecodeSubscriptionBytes(m.metadata());
        if (!decoded.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "member ", m.member_id(), " sent a bad subscription: ", decoded.status().message()));
        }
        decoded->member_id = m.member_id();
        if (m.has_group_instance_id()) decoded->group_instance_id = m.group_instance_id();
        members.push_back(std::move(*decoded));
      }
      auto assignments = LeaderAssign(result.protocol_name, members, partition_counts);
      if (!assignments.ok()) return assignments.status();
      for (auto& [member, bytes] : *assignments) {
        auto* a = sync.add_assignments();
        a->set_member_id(member);
        a->set_assignment(std::move(bytes));
      }
    }
    auto synced = client_->SyncGroup(sync, call_timeout);
    if (!synced.ok()) {
      last = synced.status();
      backoff();
      continue;
    }
    const keel::ErrorCode sync_error = synced->error();
    if (sync_error != keel::NONE) {
      last = ErrorStatus(sync_error, synced->error_message());
      if (sync_error == keel::FENCED_INSTANCE_ID) return last;
      if (sync_error == keel::UNKNOWN_MEMBER_ID) {
        std::lock_guard<std::mutex> lock(mu_);
        member_id_.clear();
        generation_ = -1;
      }
      if (sync_error != keel::REBALANCE_IN_PROGRESS && !LosesMembership(sync_error)) backoff();
      continue;
    }
    auto assignment = DecodeAssignmentBytes(synced->assignment());
    if (!assignment.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the leader sent a bad assignment: ", assignment.status().message()));
    }
    result.assignment = std::move(*assignment);
    std::sort(result.assignment.begin(), result.assignment.end());
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_generation_ = true;
      rejoin_ = Rejoin::kNone;  // this join answered whatever asked for it
      last_poll_ = Clock::now();
    }
    cv_.notify_all();
    return result;
  }
  return last;
}

void ConsumerCoordinator::HeartbeatLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    // cv_ also wakes the committer; only stop_ cuts the interval short.
    cv_.wait_until(lock, Clock::now() + milliseconds(config_.heartbeat_interval_ms),
                   [&] { return stop_; });
    if (stop_) break;
    if (!in_generation_) continue;
    if (Clock::now() - last_poll_ > milliseconds(config_.max_poll_interval_ms)) {
      // The application stopped polling: leave so the group can go on (Kafka's poll timeout).
      in_generation_ = false;
      rejoin_ = Rejoin::kLost;
      group::LeaveGroupRequest leave;
      leave.set_group_id(config_.group_id);
      auto* m = leave.add_members();
      m->set_member_id(member_id_);
      if (config_.group_instance_id) m->set_group_instance_id(*config_.group_instance_id);
      m->set_reason("consumer poll timeout has expired (max.poll.interval.ms)");
      member_id_.clear();
      generation_ = -1;
      lock.unlock();
      (void)client_->LeaveGroup(leave, milliseconds(config_.request_timeout_ms));
      lock.lock();
      continue;
    }
    group::HeartbeatRequest request;
    request.set_group_id(config_.group_id);
    request.set_generation_id(generation_);
    request.set_member_id(member_id_);
    if (config_.group_instance_id) request.set_group_instance_id(*config_.group_instance_id);
    const int32_t generation = generation_;
    lock.unlock();
    auto answer = client_->Heartbeat(request, milliseconds(config_.request_timeout_ms));
    lock.lock();
    if (!answer.ok() || generation != generation_ || !in_generation_) continue;
    const keel::ErrorCode e = answer->error();
    if (e == keel::REBALANCE_IN_PROGRESS) {
      if (rejoin_ == Rejoin::kNone) rejoin_ = Rejoin::kRebalance;
    } else if (LosesMembership(e)) {
      rejoin_ = Rejoin::kLost;
      in_generation_ = false;
      generation_ = -1;
      if (e == keel::UNKNOWN_MEMBER_ID) member_id_.clear();
    }
  }
}

absl::Status ConsumerCoordinator::Commit(const OffsetMap& offsets, milliseconds timeout) {
  if (offsets.empty()) return absl::OkStatus();
  group::OffsetCommitRequest request;
  request.set_group_id(config_.group_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    request.set_generation_id(generation_);
    request.set_member_id(member_id_);
  }
  if (config_.group_instance_id) request.set_group_instance_id(*config_.group_instance_id);
  group::OffsetCommitTopic* topic = nullptr;
  for (const auto& [tp, offset] : offsets) {
    if (topic == nullptr || topic->topic() != tp.topic) {
      topic = request.add_topics();
      topic->set_topic(tp.topic);
    }
    auto* p = topic->add_partitions();
    p->set_partition(tp.partition);
    p->set_offset(offset);
    p->set_leader_epoch(-1);
  }
  auto answer = client_->OffsetCommit(request, timeout);
  if (!answer.ok()) return answer.status();
  keel::ErrorCode e = answer->error();
  std::string message = answer->error_message();
  for (const auto& t : answer->topics()) {
    for (const auto& p : t.partitions()) {
      if (e == keel::NONE && p.error() != keel::NONE) {
        e = p.error();
        message = absl::StrCat(t.topic(), "-", p.partition());
      }
    }
  }
  if (e == keel::NONE) return absl::OkStatus();
  if (LosesMembership(e) || e == keel::REBALANCE_IN_PROGRESS) {
    std::lock_guard<std::mutex> lock(mu_);
    if (rejoin_ == Rejoin::kNone) rejoin_ = Rejoin::kRebalance;
    return absl::FailedPreconditionError(absl::StrCat(
        "CommitFailedException: ", ErrorText(e, message),
        " (the group rebalanced; the partitions may belong to another member now)"));
  }
  return ErrorStatus(e, message);
}

void ConsumerCoordinator::CommitAsync(OffsetMap offsets, CommitCallback callback) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_commits_.push_back(PendingCommit{std::move(offsets), std::move(callback), {}});
  }
  cv_.notify_all();
}

void ConsumerCoordinator::CommitLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queued_commits_.empty(); });
    if (queued_commits_.empty()) break;  // stop_ and nothing left
    PendingCommit c = std::move(queued_commits_.front());
    queued_commits_.pop_front();
    ++commits_in_flight_;
    lock.unlock();
    c.status = Commit(c.offsets, milliseconds(config_.request_timeout_ms));
    lock.lock();
    --commits_in_flight_;
    finished_commits_.push_back(std::move(c));
    cv_.notify_all();
  }
}

void ConsumerCoordinator::RunCommitCallbacks() {
  std::deque<PendingCommit> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done.swap(finished_commits_);
  }
  for (auto& c : done) {
    if (c.callback) c.callback(c.offsets, c.status);
  }
}

void ConsumerCoordinator::WaitCommits(milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout,
               [&] { return queued_commits_.empty() && commits_in_flight_ == 0; });
}

absl::StatusOr<OffsetMap> ConsumerCoordinator::FetchCommitted(
    const std::vector<TopicPartition>& partitions, milliseconds timeout) {
  OffsetMap out;
  if (partitions.empty()) return out;
  group::OffsetFetchRequest request;
  request.set_group_id(config_.group_id);
  std::map<std::string, group::TopicPartitions*> topics;
  for (const auto& tp : partitions) {
    out[tp] = -1;
    auto*& t = topics[tp.topic];
    if (t == nullptr) {
      t = request.add_topics();
      t->set_topic(tp.topic);
    }
    t->add_partitions(tp.partition);
  }
  auto answer = client_->OffsetFetch(request, timeout);
  if (!answer.ok()) return answer.status();
  if (answer->error() != keel::NONE) return ErrorStatus(answer->error(), answer->error_message());
  for (const auto& o : answer->offsets()) {
    auto it = out.find(TopicPartition{o.topic(), o.partition()});
    if (it != out.end()) it->second = o.offset();
  }
  return out;
}

absl::Status ConsumerCoordinator::Leave(milliseconds timeout) {
  group::LeaveGroupRequest request;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool was_member = in_generation_ || !member_id_.empty();
    in_generation_ = false;
    if (!was_member || config_.group_instance_id) {
      // A static member keeps its place for session.timeout.ms (KIP-345), as Kafka's close.
      return absl::OkStatus();
    }
    request.set_group_id(config_.group_id);
    auto* m = request.add_members();
    m->set_member_id(member_id_);
    m->set_reason("the consumer is being closed");
    member_id_.clear();
    generation_ = -1;
  }
  auto answer = client_->LeaveGroup(request, timeout);
  if (!answer.ok()) return answer.status();
  if (answer->error() != keel::NONE) return ErrorStatus(answer->error(), answer->error_message());
  return absl::OkStatus();
}

}  // namespace keel::client

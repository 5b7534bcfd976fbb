#include "client/admin_client.h"

#include <algorithm>
#include <thread>

#include "absl/strings/match.h"
#include "client/channels.h"
#include "client/errors.h"
#include "metadata/watch_snapshot.h"

namespace keel::client {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  if (it == trailers.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

bool WriteNeverApplied(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string& m = status.error_message();
  // The controller's refusals before proposing (controller_node.cc), and a write that a new
  // leader overwrote. "leadership changed before the write committed; it may or may not have
  // been applied" and "shutting down" are deliberately absent: those may have committed.
  if (absl::StartsWith(m, "NOT_CONTROLLER: this controller is not the leader") ||
      absl::StartsWith(m, "NOT_CONTROLLER: no controller leader is known") ||
      absl::StartsWith(m, "NOT_CONTROLLER: the write was overwritten") ||
      absl::StartsWith(m, "LEADER_NOT_AVAILABLE:")) {
    return true;
  }
  // Transport failures where no request left this process.
  return absl::StrContains(m, "failed to connect") || absl::StrContains(m, "Connection refused") ||
         absl::StrContains(m, "connections to all backends failing");
}

AdminClient::AdminClient(AdminClientOptions options) : options_(std::move(options)) {
  for (const std::string& a : options_.controllers) {
    addresses_.push_back(a);
    channels_.push_back(NewChannel(a));
  }
}

std::shared_ptr<grpc::Channel> AdminClient::NewChannel(const std::string& address) const {
  return options_.channel_factory ? options_.channel_factory(address) : MakeChannel(address);
}

size_t AdminClient::IndexOfLocked(const std::string& address) {
  for (size_t i = 0; i < addresses_.size(); ++i) {
    if (addresses_[i] == address) return i;
  }
  addresses_.push_back(address);
  channels_.push_back(NewChannel(address));
  return addresses_.size() - 1;
}

void AdminClient::NoteLeader(const keel::NodeAddress& leader) {
  if (leader.address().empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  preferred_ = IndexOfLocked(leader.address());
  leader_known_ = true;
}

std::string AdminClient::LeaderAddress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_known_ ? addresses_[preferred_] : "";
}

milliseconds AdminClient::TimeoutOr(milliseconds timeout) const {
  return timeout.count() > 0 ? timeout : milliseconds(options_.default_timeout_ms);
}

grpc::Status AdminClient::Run(Target target, Retry retry, const Call& call, milliseconds timeout) {
  const auto deadline = steady_clock::now() + TimeoutOr(timeout);
  grpc::Status last(grpc::StatusCode::DEADLINE_EXCEEDED, "timed out before any attempt");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (channels_.empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "no controllers given (use --controllers or KEEL_CONTROLLERS)");
    }
  }
  while (steady_clock::now() < deadline) {
    size_t round_size;
    size_t start;
    {
      std::lock_guard<std::mutex> lock(mu_);
      round_size = channels_.size();
      start = preferred_;
    }
    bool redirected = false;
    for (size_t attempt = 0; attempt < round_size; ++attempt) {
      std::shared_ptr<grpc::Channel> channel;
      size_t index;
      {
        std::lock_guard<std::mutex> lock(mu_);
        index = (start + attempt) % channels_.size();
        channel = channels_[index];
      }
      auto remaining = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (remaining.count() <= 0) return last;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::min(remaining, milliseconds(options_.request_timeout_ms)));
      last = call(channel, &context);
      if (!IsRetriable(last)) {
        std::lock_guard<std::mutex> lock(mu_);
        // A write answered (or refused for its content) by this node: it leads.
        preferred_ = index;
        if (target == Target::kLeader) leader_known_ = true;
        return last;
      }
      if (retry == Retry::kNotIdempotent && !WriteNeverApplied(last)) return last;
      std::string leader = Trailer(context, "keel-leader-address");
      if (!leader.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        size_t leader_index = IndexOfLocked(leader);
        leader_known_ = true;
        if (leader_index != index) {
          preferred_ = leader_index;
          redirected = true;
        }
      } else if (target == Target::kLeader) {
        std::lock_guard<std::mutex> lock(mu_);
        if (preferred_ == index) leader_known_ = false;
      }
      if (redirected) break;  // start the next round at the named leader, without a pause
    }
    if (!redirected) {
      auto pause = std::min(milliseconds(options_.retry_backoff_ms),
                            std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()));
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
    }
  }
  return last;
}

// Runs one unary method with the redirect policy and turns the answer into StatusOr.
#define KEEL_ADMIN_CALL(Service, Method, target, retry, request, Response, timeout)       \
  [&]() -> absl::StatusOr<Response> {                                                     \
    Response response;                                                                    \
    grpc::Status status = Run(                                                            \
        target, retry,                                                                    \
        [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) { \
          response.Clear();                                                               \
          return controller::Service::NewStub(channel)->Method(context, request,          \
                                                               &response);                \
        },                                                                                \
        timeout);                                                                         \
    if (!status.ok()) return ToAbsl(status);                                              \
    return response;                                                                      \
  }()

absl::StatusOr<controller::CreateTopicsResponse> AdminClient::CreateTopics(
    const controller::CreateTopicsRequest& request, milliseconds timeout) {
  auto r = KEEL_ADMIN_CALL(AdminService, CreateTopics, Target::kLeader, Retry::kNotIdempotent,
                           request, controller::CreateTopicsResponse, timeout);
  if (r.ok()) NoteLeader(r->leader());
  return r;
}

absl::Status AdminClient::CreateTopic(const std::string& name, int partitions,
                                      int replication_factor,
                                      const std::map<std::string, std::string>& configs,
                                      milliseconds timeout) {
  controller::CreateTopicsRequest request;
  controller::CreatableTopic* topic = request.add_topics();
  topic->set_name(name);
  topic->set_num_partitions(partitions);
  topic->set_replication_factor(replication_factor);
  for (const auto& [k, v] : configs) (*topic->mutable_configs())[k] = v;
  request.set_timeout_ms(static_cast<int32_t>(TimeoutOr(timeout).count()));
  auto response = CreateTopics(request, timeout);
  if (!response.ok()) return response.status();
  for (const auto& result : response->results()) {
    if (result.error() != keel::NONE) return ErrorStatus(result.error(), result.error_message());
  }
  return absl::OkStatus();
}

absl::StatusOr<controller::DeleteTopicsResponse> AdminClient::DeleteTopics(
    const std::vector<std::string>& names, milliseconds timeout) {
  controller::DeleteTopicsRequest request;
  for (const auto& n : names) request.add_names(n);
  request.set_timeout_ms(static_cast<int32_t>(TimeoutOr(timeout).count()));
  auto r = KEEL_ADMIN_CALL(AdminService, DeleteTopics, Target::kLeader, Retry::kNotIdempotent,
                           request, controller::DeleteTopicsResponse, timeout);
  if (r.ok()) NoteLeader(r->leader());
  return r;
}

absl::StatusOr<controller::CreatePartitionsResponse> AdminClient::CreatePartitions(
    const std::string& topic, int new_total_count, milliseconds timeout) {
  controller::CreatePartitionsRequest request;
  request.set_topic(topic);
  request.set_new_total_count(new_total_count);
  request.set_timeout_ms(static_cast<int32_t>(TimeoutOr(timeout).count()));
  auto r = KEEL_ADMIN_CALL(AdminService, CreatePartitions, Target::kLeader,
                           Retry::kNotIdempotent, request, controller::CreatePartitionsResponse,
                           timeout);
  if (r.ok()) NoteLeader(r->leader());
  return r;
}

absl::StatusOr<controller::AlterConfigsResponse> AdminClient::AlterConfigs(
    const std::string& topic, const std::map<std::string, std::string>& set,
    const std::vector<std::string>& remove, milliseconds timeout) {
  controller::AlterConfigsRequest request;
  request.set_topic(topic);
  for (const auto& [k, v] : set) (*request.mutable_set())[k] = v;
  for (const auto& k : remove) request.add_delete_(k);
  auto r = KEEL_ADMIN_CALL(AdminService, AlterConfigs, Target::kLeader, Retry::kIdempotent,
                           request, controller::AlterConfigsResponse, timeout);
  if (r.ok()) NoteLeader(r->leader());
  return r;
}

absl::StatusOr<controller::ListTopicsResponse> AdminClient::ListTopics(bool linearizable,
                                                                       milliseconds timeout) {
  controller::ListTopicsRequest request;
  request.set_linearizable(linearizable);
  return KEEL_ADMIN_CALL(AdminService, ListTopics,
                         linearizable ? Target::kLeader : Target::kAny, Retry::kIdempotent,
                         request, controller::ListTopicsResponse, timeout);
}

absl::StatusOr<controller::DescribeTopicsResponse> AdminClient::DescribeTopics(
    const std::vector<std::string>& names, milliseconds timeout) {
  controller::DescribeTopicsRequest request;
  for (const auto& n : names) request.add_names(n);
  return KEEL_ADMIN_CALL(AdminService, DescribeTopics, Target::kAny, Retry::kIdempotent, request,
                         controller::DescribeTopicsResponse, timeout);
}

absl::StatusOr<controller::DescribeClusterResponse> AdminClient::DescribeCluster(
    milliseconds timeout) {
  controller::DescribeClusterRequest request;
  return KEEL_ADMIN_CALL(AdminService, DescribeCluster, Target::kAny, Retry::kIdempotent,
                         request, controller::DescribeClusterResponse, timeout);
}

absl::StatusOr<controller::DescribeQuorumResponse> AdminClient::DescribeQuorum(
    milliseconds timeout) {
  controller::DescribeQuorumRequest request;
  auto r = KEEL_ADMIN_CALL(QuorumService, DescribeQuorum, Target::kAny, Retry::kIdempotent,
                           request, controller::DescribeQuorumResponse, timeout);
  if (r.ok()) NoteLeader(r->leader());
  return r;
}

absl::StatusOr<controller::DescribeQuorumResponse> AdminClient::DescribeQuorumAt(
    const std::string& address, milliseconds timeout) {
  std::shared_ptr<grpc::Channel> channel;
  {
    std::lock_guard<std::mutex> lock(mu_);
    channel = channels_[IndexOfLocked(address)];
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  controller::DescribeQuorumResponse response;
  grpc::Status status = controller::QuorumService::NewStub(channel)->DescribeQuorum(
      &context, controller::DescribeQuorumRequest(), &response);
  if (!status.ok()) return ToAbsl(status);
  return response;
}

absl::StatusOr<controller::RegisterBrokerResponse> AdminClient::RegisterBroker(
    const controller::RegisterBrokerRequest& request, milliseconds timeout) {
  auto r = KEEL_ADMIN_CALL(BrokerLifecycleService, RegisterBroker, Target::kLeader,
                           Retry::kNotIdempotent, request, controller::RegisterBrokerResponse,
                           timeout);
  if (r.ok()) NoteLeader(r->leader());
  return r;
}

absl::StatusOr<controller::BrokerHeartbeatResponse> AdminClient::BrokerHeartbeat(
    const controller::BrokerHeartbeatRequest& request, milliseconds timeout) {
  auto r = KEEL_ADMIN_CALL(BrokerLifecycleService, BrokerHeartbeat, Target::kLeader,
                           Retry::kIdempotent, request, controller::BrokerHeartbeatResponse,
                           timeout);
  if (r.ok()) NoteLeader(r->leader());
  return r;
}

absl::StatusOr<controller::AlterPartitionResponse> AdminClient::AlterPartition(
    const controller::AlterPartitionRequest& request, milliseconds timeout) {
  auto r = KEEL_ADMIN_CALL(BrokerLifecycleService, AlterPartition, Target::kLeader,
                           Retry::kIdempotent, request, controller::AlterPartitionResponse,
                           timeout);
  if (r.ok()) NoteLeader(r->leader());
  return r;
}

#undef KEEL_ADMIN_CALL

absl::Status AdminClient::WatchMetadata(
    int64_t from_offset, grpc::ClientContext* context,
    const std::function<bool(const controller::WatchMetadataResponse&)>& on_event) {
  std::shared_ptr<grpc::Channel> channel;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (channels_.empty()) return absl::InvalidArgumentError("no controllers given");
    channel = channels_[preferred_];
  }
  controller::WatchMetadataRequest request;
  request.set_from_offset(from_offset);
  auto stub = controller::MetadataService::NewStub(channel);
  auto reader = stub->WatchMetadata(context, request);
  controller::WatchMetadataResponse event;
  grpc::Status broken;
  while (reader->Read(&event)) {
    if (event.has_snapshot() && !metadata::ReadRestOfSnapshot(reader.get(), event.mutable_snapshot())) {
      broken = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream ended inside a snapshot");
      context->TryCancel();
      break;
    }
    if (!on_event(event)) {
      context->TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (!broken.ok()) status = broken;
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    // Try another controller next time.
    std::lock_guard<std::mutex> lock(mu_);
    if (!channels_.empty()) preferred_ = (preferred_ + 1) % channels_.size();
  }
  return ToAbsl(status);
}

}  // namespace keel::client

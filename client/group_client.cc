#include "client/group_client.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/errors.h"

namespace keel::client {
namespace {

namespace pb = keel::group;

// The group's coordinator has to be found (again).
bool CoordinatorMoved(keel::ErrorCode e) {
  return e == keel::NOT_COORDINATOR || e == keel::COORDINATOR_NOT_AVAILABLE;
}

// gRPC takes wall-clock deadlines; ours are on the steady clock.
void SetDeadline(grpc::ClientContext* context, std::chrono::steady_clock::time_point deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(left));
}

}  // namespace

GroupClient::GroupClient(GroupClientOptions options, std::shared_ptr<MetadataCache> cache)
    : options_(std::move(options)), cache_(std::move(cache)) {}

std::shared_ptr<grpc::Channel> GroupClient::Channel(const std::string& address) {
  return cache_ != nullptr ? cache_->Channel(address) : channels_.Get(address);
}

GroupClient::Clock::time_point GroupClient::DeadlineFor(Timeout timeout) const {
  return Clock::now() +
         (timeout.count() > 0 ? timeout : Timeout(options_.request_timeout_ms));
}

bool GroupClient::Backoff(int64_t* backoff_ms, Clock::time_point deadline) const {
  const auto now = Clock::now();
  if (now >= deadline) return false;
  std::this_thread::sleep_for(std::min<Clock::duration>(Timeout(*backoff_ms), deadline - now));
  *backoff_ms = std::min(*backoff_ms * 2, options_.retry_backoff_max_ms);
  return Clock::now() < deadline;
}

std::string GroupClient::CachedCoordinator(const std::string& group_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = coordinators_.find(group_id);
  return it == coordinators_.end() ? "" : it->second;
}

void GroupClient::ForgetCoordinator(const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  coordinators_.erase(group_id);
}

absl::StatusOr<pb::FindCoordinatorResponse> GroupClient::FindCoordinator(
    const std::string& group_id, Timeout timeout) {
  if (options_.bootstrap_brokers.empty()) {
    return absl::InvalidArgumentError("GroupClient: no bootstrap brokers");
  }
  const auto deadline = DeadlineFor(timeout);
  int64_t backoff_ms = options_.retry_backoff_ms;
  pb::FindCoordinatorRequest request;
  request.set_group_id(group_id);
  absl::Status last = absl::DeadlineExceededError("FindCoordinator: no broker answered");
  std::optional<pb::FindCoordinatorResponse> answered;
  size_t index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = bootstrap_next_;
  }
  const size_t brokers = options_.bootstrap_brokers.size();
  // The bootstrap brokers are asked in turn until one answers (starting with the last one
  // that did); COORDINATOR_NOT_AVAILABLE (the offsets topic is being created or its leader
  // elected) is asked again after the backoff.
  for (size_t tried = 0;; ++tried) {
    const std::string& address = options_.bootstrap_brokers[index % brokers];
    grpc::ClientContext context;
    SetDeadline(&context, deadline);
    pb::FindCoordinatorResponse response;
    grpc::Status s =
        pb::GroupService::NewStub(Channel(address))->FindCoordinator(&context, request, &response);
    if (s.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        bootstrap_next_ = index % brokers;
        if (response.error() == keel::NONE) {
          coordinators_[group_id] = response.coordinator().address();
        }
      }
      if (response.error() != keel::COORDINATOR_NOT_AVAILABLE) return response;
      answered = response;
    } else if (!IsRetriable(s)) {
      return ToAbsl(s);  // a bad argument, say: asking elsewhere will not help
    } else {
      last = absl::UnavailableError(absl::StrCat("FindCoordinator at ", address, ": ",
                                                 s.error_message()));
      ++index;
      // A full round of unreachable brokers pauses before the next.
      if ((tried + 1) % brokers != 0 && Clock::now() < deadline) continue;
    }
    if (!Backoff(&backoff_ms, deadline)) break;
  }
  if (answered.has_value()) return *answered;
  return last;
}

absl::StatusOr<std::string> GroupClient::Coordinator(const std::string& group_id,
                                                     Clock::time_point deadline) {
  if (std::string cached = CachedCoordinator(group_id); !cached.empty()) return cached;
  const auto left = std::chrono::duration_cast<Timeout>(deadline - Clock::now());
  if (left.count() <= 0) return absl::DeadlineExceededError("finding the group coordinator");
  absl::StatusOr<pb::FindCoordinatorResponse> found = FindCoordinator(group_id, left);
  if (!found.ok()) return found.status();
  if (found->error() != keel::NONE) return ErrorStatus(found->error(), found->error_message());
  return found->coordinator().address();
}

absl::Status GroupClient::CallCoordinator(const std::string& group_id,
                                          Clock::time_point deadline, const Attempt& attempt,
                                          const ErrorOf& error_of) {
  if (group_id.empty()) return absl::InvalidArgumentError("group_id is empty");
  int64_t backoff_ms = options_.retry_backoff_ms;
  absl::Status last = absl::DeadlineExceededError("no answer from the group coordinator");
  bool answered = false;  // the response holds a (coordinator-error) answer
  while (true) {
    absl::StatusOr<std::string> address = Coordinator(group_id, deadline);
    if (address.ok()) {
      grpc::ClientContext context;
      SetDeadline(&context, deadline);
      grpc::Status s = attempt(Channel(*address), &context);
      if (s.ok()) {
        const keel::ErrorCode e = error_of();
        if (CoordinatorMoved(e)) {
          ForgetCoordinator(group_id);
        } else if (e != keel::COORDINATOR_LOAD_IN_PROGRESS) {
          return absl::OkStatus();
        }
        answered = true;
      } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
        ForgetCoordinator(group_id);  // the broker is gone; another may coordinate now
        last = ToAbsl(s);
        answered = false;
      } else {
        return ToAbsl(s);  // a deadline, a bad argument: not the coordinator's whereabouts
      }
    } else if (absl::IsDeadlineExceeded(address.status()) || absl::IsInvalidArgument(address.status())) {
      return answered ? absl::OkStatus() : address.status();
    } else {
      last = address.status();
    }
    if (!Backoff(&backoff_ms, deadline)) break;
  }
  return answered ? absl::OkStatus() : last;
}

absl::StatusOr<pb::JoinGroupResponse> GroupClient::JoinGroup(const pb::JoinGroupRequest& request,
                                                             Timeout timeout) {
  if (timeout.count() <= 0) {
    const int32_t wait_ms = request.rebalance_timeout_ms() > 0 ? request.rebalance_timeout_ms()
                                                               : request.session_timeout_ms();
    timeout = Timeout(std::max<int64_t>(0, wait_ms) + options_.request_timeout_ms);
  }
  pb::JoinGroupResponse response;
  absl::Status s = CallCoordinator(
      request.group_id(), DeadlineFor(timeout),
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        response.Clear();
        return pb::GroupService::NewStub(channel)->JoinGroup(context, request, &response);
      },
      [&] { return response.error(); });
  if (!s.ok()) return s;
  return response;
}

// The calls below differ only in their types; the macro keeps them one line each.
#define KEEL_GROUP_CALL(Method, Request, Response, group_expr, error_expr)                    \
  absl::StatusOr<pb::Response> GroupClient::Method(const pb::Request& request,                \
                                                   Timeout timeout) {                         \
    pb::Response response;                                                                    \
    absl::Status s = CallCoordinator(                                                         \
        group_expr, DeadlineFor(timeout),                                                     \
        [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {    \
          response.Clear();                                                                   \
          return pb::GroupService::NewStub(channel)->Method(context, request, &response);     \
        },                                                                                    \
        [&] { return error_expr; });                                                          \
    if (!s.ok()) return s;                                                                    \
    return response;                                                                          \
  }

KEEL_GROUP_CALL(SyncGroup, SyncGroupRequest, SyncGroupResponse, request.group_id(),
                response.error())
KEEL_GROUP_CALL(Heartbeat, HeartbeatRequest, HeartbeatResponse, request.group_id(),
                response.error())
KEEL_GROUP_CALL(LeaveGroup, LeaveGroupRequest, LeaveGroupResponse, request.group_id(),
                response.error())
KEEL_GROUP_CALL(OffsetCommit, OffsetCommitRequest, OffsetCommitResponse, request.group_id(),
                response.error())
KEEL_GROUP_CALL(OffsetFetch, OffsetFetchRequest, OffsetFetchResponse, request.group_id(),
                response.error())

#undef KEEL_GROUP_CALL

absl::StatusOr<pb::DescribeGroupsResponse> GroupClient::DescribeGroups(
    const pb::DescribeGroupsRequest& request, Timeout timeout) {
  const auto deadline = DeadlineFor(timeout);
  pb::DescribeGroupsResponse out;
  for (const std::string& group_id : request.group_ids()) {
    pb::DescribeGroupsRequest one;
    one.add_group_ids(group_id);
    pb::DescribeGroupsResponse response;
    absl::Status s = CallCoordinator(
        group_id, deadline,
        [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
          response.Clear();
          return pb::GroupService::NewStub(channel)->DescribeGroups(context, one, &response);
        },
        [&] { return response.groups_size() > 0 ? response.groups(0).error() : keel::NONE; });
    if (!s.ok()) return s;
    for (auto& g : *response.mutable_groups()) *out.add_groups() = std::move(g);
  }
  return out;
}

absl::StatusOr<pb::DeleteGroupsResponse> GroupClient::DeleteGroups(
    const pb::DeleteGroupsRequest& request, Timeout timeout) {
  const auto deadline = DeadlineFor(timeout);
  pb::DeleteGroupsResponse out;
  for (const std::string& group_id : request.group_ids()) {
    pb::DeleteGroupsRequest one;
    one.add_group_ids(group_id);
    pb::DeleteGroupsResponse response;
    absl::Status s = CallCoordinator(
        group_id, deadline,
        [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
          response.Clear();
          return pb::GroupService::NewStub(channel)->DeleteGroups(context, one, &response);
        },
        [&] { return response.results_size() > 0 ? response.results(0).error() : keel::NONE; });
    if (!s.ok()) return s;
    for (auto& r : *response.mutable_results()) *out.add_results() = std::move(r);
  }
  return out;
}

absl::StatusOr<pb::ListGroupsResponse> GroupClient::ListGroups(
    const std::string& broker_address, const pb::ListGroupsRequest& request, Timeout timeout) {
  grpc::ClientContext context;
  SetDeadline(&context, DeadlineFor(timeout));
  pb::ListGroupsResponse response;
  grpc::Status s =
      pb::GroupService::NewStub(Channel(broker_address))->ListGroups(&context, request, &response);
  if (!s.ok()) {
    return absl::Status(ToAbsl(s).code(),
                        absl::StrCat("ListGroups at ", broker_address, ": ", s.error_message()));
  }
  return response;
}

}  // namespace keel::client

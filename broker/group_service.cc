#include "broker/group_service.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "kafka/error_codes.h"

namespace keel::broker {
namespace {

namespace pb = keel::group;

keel::ErrorCode ToKeel(int16_t kafka_code) {
  return keel::ErrorCode_IsValid(kafka_code) ? static_cast<keel::ErrorCode>(kafka_code)
                                             : keel::UNKNOWN_SERVER_ERROR;
}

std::string ErrorText(int16_t kafka_code) {
  return kafka_code == 0 ? "" : std::string(keel::kafka::ErrorName(kafka_code));
}

// A deferred coordinator answer: its callback sets it, the handler's thread waits.
template <class T>
class Deferred {
 public:
  void Set(const T& value) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      value_ = value;
    }
    cv_.notify_all();
  }
  // nullopt when `bound_ms` passed or the caller went away first (the coordinator still
  // completes the request; nobody reads the answer).
  std::optional<T> Wait(grpc::ServerContext* context, int64_t bound_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
    std::unique_lock<std::mutex> lock(mu_);
    while (!value_.has_value()) {
      if (context->IsCancelled() || std::chrono::steady_clock::now() >= deadline) break;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    return value_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;  // guarded by mu_
};

std::optional<std::string> Opt(bool has, const std::string& value) {
  return has ? std::optional<std::string>(value) : std::nullopt;
}

grpc::Status InvalidGroupId() {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "group_id is empty");
}

}  // namespace

grpc::Status GroupServiceImpl::FindCoordinator(grpc::ServerContext*,
                                               const pb::FindCoordinatorRequest* request,
                                               pb::FindCoordinatorResponse* response) {
  if (request->group_id().empty()) return InvalidGroupId();
  group::CoordinatorLocation c = router_->Find(request->group_id(), kGrpcEndpointName);
  response->set_error(ToKeel(c.error_code));
  response->set_error_message(c.error_message);
  response->mutable_coordinator()->set_node_id(c.node_id);
  if (c.error_code == 0) response->mutable_coordinator()->set_address(absl::StrCat(c.host, ":", c.port));
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::JoinGroup(grpc::ServerContext* context,
                                         const pb::JoinGroupRequest* request,
                                         pb::JoinGroupResponse* response) {
  if (request->group_id().empty()) return InvalidGroupId();
  response->set_member_id(request->member_id());
  if (int16_t e = router_->CoordinatorError(request->group_id()); e != 0) {
    response->set_error(ToKeel(e));
    response->set_error_message(ErrorText(e));
    return grpc::Status::OK;
  }
  group::JoinRequest join;
  join.member_id = request->member_id();
  join.group_instance_id =
      Opt(request->has_group_instance_id(), request->group_instance_id());
  join.client_id = request->client_id();
  join.client_host = group::ClientHost(context->peer());
  join.session_timeout_ms = request->session_timeout_ms();
  join.rebalance_timeout_ms = request->rebalance_timeout_ms() > 0
                                  ? request->rebalance_timeout_ms()
                                  : request->session_timeout_ms();
  join.protocol_type = request->protocol_type();
  for (const auto& p : request->protocols()) join.protocols.push_back({p.name(), p.metadata()});
  join.require_known_member_id = true;  // as JoinGroup v4+ (KIP-394)
  const int64_t bound_ms =
      std::max<int64_t>(join.rebalance_timeout_ms,
                        coordinator_->config().initial_rebalance_delay_ms) +
      wait_slack_ms_;
  auto deferred = std::make_shared<Deferred<group::JoinResult>>();
  coordinator_->Join(request->group_id(), std::move(join),
                     [deferred](const group::JoinResult& r) { deferred->Set(r); });
  std::optional<group::JoinResult> result = deferred->Wait(context, bound_ms);
  if (!result.has_value()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "the rebalance did not complete in time; join again");
  }
  response->set_error(ToKeel(result->error_code));
  response->set_error_message(ErrorText(result->error_code));
  response->set_generation_id(result->generation_id);
  response->set_protocol_type(result->protocol_type);
  response->set_protocol_name(result->protocol_name.value_or(""));
  response->set_leader_id(result->leader_id);
  response->set_member_id(result->member_id);
  for (const group::JoinMember& m : result->members) {
    pb::JoinGroupMember* out = response->add_members();
    out->set_member_id(m.member_id);
    if (m.group_instance_id.has_value()) out->set_group_instance_id(*m.group_instance_id);
    out->set_metadata(m.metadata);
  }
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::SyncGroup(grpc::ServerContext* context,
                                         const pb::SyncGroupRequest* request,
                                         pb::SyncGroupResponse* response) {
  if (request->group_id().empty()) return InvalidGroupId();
  if (int16_t e = router_->CoordinatorError(request->group_id()); e != 0) {
    response->set_error(ToKeel(e));
    response->set_error_message(ErrorText(e));
    return grpc::Status::OK;
  }
  group::SyncRequest sync;
  sync.member_id = request->member_id();
  sync.group_instance_id = Opt(request->has_group_instance_id(), request->group_instance_id());
  sync.generation_id = request->generation_id();
  if (!request->protocol_type().empty()) sync.protocol_type = request->protocol_type();
  if (!request->protocol_name().empty()) sync.protocol_name = request->protocol_name();
  for (const auto& a : request->assignments()) sync.assignments[a.member_id()] = a.assignment();
  // A follower waits for the leader's sync; the group ends that wait itself when the member's
  // session or the rebalance expires, so the bound only guards against a lost callback.
  const int64_t bound_ms = coordinator_->config().max_session_timeout_ms + wait_slack_ms_;
  auto deferred = std::make_shared<Deferred<group::SyncResult>>();
  coordinator_->Sync(request->group_id(), sync,
                     [deferred](const group::SyncResult& r) { deferred->Set(r); });
  std::optional<group::SyncResult> result = deferred->Wait(context, bound_ms);
  if (!result.has_value()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "the group's leader did not sync in time; join again");
  }
  response->set_error(ToKeel(result->error_code));
  response->set_error_message(ErrorText(result->error_code));
  response->set_protocol_type(result->protocol_type);
  response->set_protocol_name(result->protocol_name.value_or(""));
  response->set_assignment(result->assignment);
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::Heartbeat(grpc::ServerContext*, const pb::HeartbeatRequest* request,
                                         pb::HeartbeatResponse* response) {
  if (request->group_id().empty()) return InvalidGroupId();
  int16_t e = router_->CoordinatorError(request->group_id());
  if (e == 0) {
    e = coordinator_->Heartbeat(
        request->group_id(),
        {request->member_id(),
         Opt(request->has_group_instance_id(), request->group_instance_id())},
        request->generation_id());
  }
  response->set_error(ToKeel(e));
  response->set_error_message(ErrorText(e));
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::LeaveGroup(grpc::ServerContext*,
                                          const pb::LeaveGroupRequest* request,
                                          pb::LeaveGroupResponse* response) {
  if (request->group_id().empty()) return InvalidGroupId();
  if (int16_t e = router_->CoordinatorError(request->group_id()); e != 0) {
    response->set_error(ToKeel(e));
    response->set_error_message(ErrorText(e));
    return grpc::Status::OK;
  }
  std::vector<group::MemberIdentity> who;
  for (const auto& m : request->members()) {
    who.push_back({m.member_id(), Opt(m.has_group_instance_id(), m.group_instance_id())});
  }
  std::vector<int16_t> errors = coordinator_->Leave(request->group_id(), who);
  for (size_t i = 0; i < who.size() && i < errors.size(); ++i) {
    pb::LeaveGroupMemberResult* out = response->add_members();
    out->set_member_id(who[i].member_id);
    if (who[i].group_instance_id.has_value()) out->set_group_instance_id(*who[i].group_instance_id);
    out->set_error(ToKeel(errors[i]));
  }
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::OffsetCommit(grpc::ServerContext*,
                                            const pb::OffsetCommitRequest* request,
                                            pb::OffsetCommitResponse* response) {
  if (request->group_id().empty()) return InvalidGroupId();
  const int16_t coordinator_error = router_->CoordinatorError(request->group_id());
  response->set_error(ToKeel(coordinator_error));
  response->set_error_message(ErrorText(coordinator_error));
  std::map<group::TopicPartition, int16_t> results;
  if (coordinator_error == 0) {
    std::map<group::TopicPartition, group::CommittedOffset> offsets;
    for (const auto& t : request->topics()) {
      for (const auto& p : t.partitions()) {
        offsets[{t.topic(), p.partition()}] = {p.offset(), p.leader_epoch(),
                                               Opt(p.has_metadata(), p.metadata())};
      }
    }
    results = coordinator_->Commit(
        request->group_id(),
        {request->member_id(),
         Opt(request->has_group_instance_id(), request->group_instance_id())},
        request->generation_id(), offsets);
  }
  for (const auto& t : request->topics()) {
    pb::TopicResult* out = response->add_topics();
    out->set_topic(t.topic());
    for (const auto& p : t.partitions()) {
      int16_t e = coordinator_error;
      if (e == 0) {
        auto it = results.find({t.topic(), p.partition()});
        e = it == results.end() ? 0 : it->second;
      }
      pb::PartitionResult* r = out->add_partitions();
      r->set_partition(p.partition());
      r->set_error(ToKeel(e));
    }
  }
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::OffsetFetch(grpc::ServerContext*,
                                           const pb::OffsetFetchRequest* request,
                                           pb::OffsetFetchResponse* response) {
  if (request->group_id().empty()) return InvalidGroupId();
  if (int16_t e = router_->CoordinatorError(request->group_id()); e != 0) {
    response->set_error(ToKeel(e));
    response->set_error_message(ErrorText(e));
    return grpc::Status::OK;
  }
  std::optional<std::vector<group::TopicPartition>> wanted;
  if (request->topics_size() > 0) {
    wanted.emplace();
    for (const auto& t : request->topics()) {
      for (int32_t p : t.partitions()) wanted->push_back({t.topic(), p});
    }
  }
  std::map<group::TopicPartition, group::CommittedOffset> found =
      coordinator_->FetchOffsets(request->group_id(), wanted);
  std::vector<group::TopicPartition> order;
  if (wanted.has_value()) {
    order = *wanted;  // in the order asked
  } else {
    for (const auto& [tp, o] : found) order.push_back(tp);
  }
  for (const group::TopicPartition& tp : order) {
    const group::CommittedOffset& o = found[tp];
    pb::FetchedOffset* out = response->add_offsets();
    out->set_topic(tp.topic);
    out->set_partition(tp.partition);
    out->set_offset(o.offset);
    out->set_leader_epoch(o.leader_epoch);
    if (o.metadata.has_value()) out->set_metadata(*o.metadata);
  }
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::DescribeGroups(grpc::ServerContext*,
                                              const pb::DescribeGroupsRequest* request,
                                              pb::DescribeGroupsResponse* response) {
  for (const std::string& id : request->group_ids()) {
    pb::GroupDescription* out = response->add_groups();
    out->set_group_id(id);
    const int16_t e = id.empty() ? keel::kafka::Code(keel::kafka::ErrorCode::kInvalidGroupId)
                                 : router_->CoordinatorError(id);
    out->set_error(ToKeel(e));
    out->set_error_message(ErrorText(e));
    if (e != 0) continue;
    std::optional<group::GroupSummary> s = coordinator_->Describe(id);
    if (!s.has_value()) {
      out->set_state(std::string(group::StateName(group::GroupState::kDead)));
      continue;
    }
    out->set_state(std::string(group::StateName(s->state)));
    out->set_protocol_type(s->protocol_type);
    out->set_protocol_name(s->protocol_name);
    out->set_generation_id(s->generation_id);
    out->set_leader_id(s->leader_id);
    for (const group::MemberSummary& m : s->members) {
      pb::GroupMemberDescription* md = out->add_members();
      md->set_member_id(m.member_id);
      if (m.group_instance_id.has_value()) md->set_group_instance_id(*m.group_instance_id);
      md->set_client_id(m.client_id);
      md->set_client_host(m.client_host);
      md->set_metadata(m.metadata);
      md->set_assignment(m.assignment);
    }
  }
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::ListGroups(grpc::ServerContext*,
                                          const pb::ListGroupsRequest* request,
                                          pb::ListGroupsResponse* response) {
  for (const group::GroupSummary& s : coordinator_->List()) {
    const std::string state(group::StateName(s.state));
    if (request->states_size() > 0 &&
        std::none_of(request->states().begin(), request->states().end(),
                     [&](const std::string& f) { return absl::EqualsIgnoreCase(f, state); })) {
      continue;
    }
    // A group is listed by the broker that coordinates it now.
    if (router_->CoordinatorError(s.group_id) != 0) continue;
    pb::ListedGroup* out = response->add_groups();
    out->set_group_id(s.group_id);
    out->set_protocol_type(s.protocol_type);
    out->set_state(state);
    out->set_member_count(static_cast<int32_t>(s.member_count));
  }
  return grpc::Status::OK;
}

grpc::Status GroupServiceImpl::DeleteGroups(grpc::ServerContext*,
                                            const pb::DeleteGroupsRequest* request,
                                            pb::DeleteGroupsResponse* response) {
  for (const std::string& id : request->group_ids()) {
    int16_t e = id.empty() ? keel::kafka::Code(keel::kafka::ErrorCode::kInvalidGroupId)
                           : router_->CoordinatorError(id);
    if (e == 0) e = coordinator_->Delete(id);
    pb::DeleteGroupResult* out = response->add_results();
    out->set_group_id(id);
    out->set_error(ToKeel(e));
  }
  return grpc::Status::OK;
}

}  // namespace keel::broker

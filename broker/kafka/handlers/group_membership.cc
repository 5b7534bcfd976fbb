// JoinGroup v0-7, SyncGroup v0-5, Heartbeat v0-4, LeaveGroup v0-5 over the group
// coordinator (broker/group/). A JoinGroup (and a follower's SyncGroup) waits for the
// rebalance on its connection's thread, as a long-poll Fetch does: the connection handles
// one request at a time, so its responses stay in request order, and other connections go on.
#include "broker/group/group_coordinator.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/group_membership.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::HeartbeatRequest;
using keel::kafka::HeartbeatResponse;
using keel::kafka::JoinGroupRequest;
using keel::kafka::JoinGroupResponse;
using keel::kafka::LeaveGroupRequest;
using keel::kafka::LeaveGroupResponse;
using keel::kafka::SyncGroupRequest;
using keel::kafka::SyncGroupResponse;

class JoinGroupHandler final : public TypedHandler<JoinGroupRequest, JoinGroupResponse> {
 public:
  explicit JoinGroupHandler(BrokerContext* context) : TypedHandler(0, 7), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, JoinGroupRequest& request,
               JoinGroupResponse* response) override {
    Served served;
    response->member_id = request.member_id;
    response->protocol_name = "";
    if (int16_t e = CoordinatorError(*context_, request.group_id); e != 0) {
      response->error_code = e;
      NoteError(e, &served);
      return served;
    }
    group::JoinRequest join;
    join.member_id = request.member_id;
    join.group_instance_id = request.group_instance_id;
    join.client_id = rc.client_id;
    join.client_host = ClientHost(rc.peer);
    join.session_timeout_ms = request.session_timeout_ms;
    // v0 has no rebalance timeout: Kafka uses the session timeout.
    join.rebalance_timeout_ms =
        rc.api_version == 0 || request.rebalance_timeout_ms < 0 ? request.session_timeout_ms
                                                                : request.rebalance_timeout_ms;
    join.protocol_type = request.protocol_type;
    for (const auto& p : request.protocols) join.protocols.push_back({p.name, p.metadata});
    join.require_known_member_id = rc.api_version >= 4;
    auto deferred = std::make_shared<Deferred<group::JoinResult>>();
    context_->groups->Join(request.group_id, std::move(join),
                           [deferred](const group::JoinResult& r) { deferred->Set(r); });
    std::optional<group::JoinResult> result = WaitFor(*deferred, rc);
    if (!result.has_value()) return Served{false, 0};
    response->error_code = result->error_code;
    NoteError(result->error_code, &served);
    response->generation_id = result->generation_id;
    response->protocol_type = result->protocol_type;
    response->protocol_name = result->protocol_name.value_or("");
    if (rc.api_version >= 7 && result->error_code != 0) {
      response->protocol_type.reset();
      response->protocol_name.reset();
    }
    response->leader = result->leader_id;
    response->member_id = result->member_id;
    for (const group::JoinMember& m : result->members) {
      response->members.push_back({m.member_id, m.group_instance_id, m.metadata});
    }
    return served;
  }

 private:
  BrokerContext* const context_;
};

class SyncGroupHandler final : public TypedHandler<SyncGroupRequest, SyncGroupResponse> {
 public:
  explicit SyncGroupHandler(BrokerContext* context) : TypedHandler(0, 5), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, SyncGroupRequest& request,
               SyncGroupResponse* response) override {
    Served served;
    if (int16_t e = CoordinatorError(*context_, request.group_id); e != 0) {
      response->error_code = e;
      NoteError(e, &served);
      return served;
    }
    group::SyncRequest sync;
    sync.member_id = request.member_id;
    sync.group_instance_id = request.group_instance_id;
    sync.generation_id = request.generation_id;
    sync.protocol_type = request.protocol_type;
    sync.protocol_name = request.protocol_name;
    for (const auto& a : request.assignments) sync.assignments[a.member_id] = a.assignment;
    auto deferred = std::make_shared<Deferred<group::SyncResult>>();
    context_->groups->Sync(request.group_id, sync,
                           [deferred](const group::SyncResult& r) { deferred->Set(r); });
    std::optional<group::SyncResult> result = WaitFor(*deferred, rc);
    if (!result.has_value()) return Served{false, 0};
    response->error_code = result->error_code;
    NoteError(result->error_code, &served);
    if (rc.api_version >= 5 && result->error_code == 0) {
      response->protocol_type = result->protocol_type;
      response->protocol_name = result->protocol_name;
    }
    response->assignment = result->assignment;
    return served;
  }

 private:
  BrokerContext* const context_;
};

class HeartbeatHandler final : public TypedHandler<HeartbeatRequest, HeartbeatResponse> {
 public:
  explicit HeartbeatHandler(BrokerContext* context) : TypedHandler(0, 4), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, HeartbeatRequest& request,
               HeartbeatResponse* response) override {
    Served served;
    int16_t e = CoordinatorError(*context_, request.group_id);
    if (e == 0) {
      e = context_->groups->Heartbeat(request.group_id,
                                      {request.member_id, request.group_instance_id},
                                      request.generation_id);
    }
    response->error_code = e;
    NoteError(e, &served);
    return served;
  }

 private:
  BrokerContext* const context_;
};

class LeaveGroupHandler final : public TypedHandler<LeaveGroupRequest, LeaveGroupResponse> {
 public:
  explicit LeaveGroupHandler(BrokerContext* context) : TypedHandler(0, 5), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, LeaveGroupRequest& request,
               LeaveGroupResponse* response) override {
    Served served;
    if (int16_t e = CoordinatorError(*context_, request.group_id); e != 0) {
      response->error_code = e;
      NoteError(e, &served);
      return served;
    }
    std::vector<group::MemberIdentity> who;
    if (rc.api_version < 3) {
      who.push_back({request.member_id, std::nullopt});
    } else {
      for (const auto& m : request.members) who.push_back({m.member_id, m.group_instance_id});
    }
    std::vector<int16_t> errors = context_->groups->Leave(request.group_id, who);
    if (rc.api_version < 3) {
      response->error_code = errors.empty() ? 0 : errors.front();
      NoteError(response->error_code, &served);
      return served;
    }
    for (size_t i = 0; i < who.size() && i < errors.size(); ++i) {
      response->members.push_back({who[i].member_id, who[i].group_instance_id, errors[i]});
      NoteError(errors[i], &served);
    }
    return served;
  }

 private:
  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewJoinGroupHandler(BrokerContext* context) {
  return std::make_unique<JoinGroupHandler>(context);
}
std::unique_ptr<Handler> NewSyncGroupHandler(BrokerContext* context) {
  return std::make_unique<SyncGroupHandler>(context);
}
std::unique_ptr<Handler> NewHeartbeatHandler(BrokerContext* context) {
  return std::make_unique<HeartbeatHandler>(context);
}
std::unique_ptr<Handler> NewLeaveGroupHandler(BrokerContext* context) {
  return std::make_unique<LeaveGroupHandler>(context);
}

}  // namespace keel::broker::kafka

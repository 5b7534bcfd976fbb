// DescribeGroups v0-5, ListGroups v0-4, DeleteGroups v0-2 over the group coordinator. As
// Kafka: an unknown group describes as Dead without an error; members' metadata and
// assignments are shown only for a Stable group; only an Empty group may be deleted.
#include <algorithm>

#include "absl/strings/match.h"
#include "broker/group/group_coordinator.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/group_admin.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::DeleteGroupsRequest;
using keel::kafka::DeleteGroupsResponse;
using keel::kafka::DescribeGroupsRequest;
using keel::kafka::DescribeGroupsResponse;
using keel::kafka::ListGroupsRequest;
using keel::kafka::ListGroupsResponse;

class DescribeGroupsHandler final
    : public TypedHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
 public:
  explicit DescribeGroupsHandler(BrokerContext* context)
      : TypedHandler(0, 5), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, DescribeGroupsRequest& request,
               DescribeGroupsResponse* response) override {
    Served served;
    for (const std::string& id : request.groups) {
      DescribeGroupsResponse::Group& out = response->groups.emplace_back();
      out.group_id = id;
      out.error_code = CoordinatorError(*context_, id);
      NoteError(out.error_code, &served);
      if (out.error_code != 0) continue;
      std::optional<group::GroupSummary> s = context_->groups->Describe(id);
      if (!s.has_value()) {
        out.group_state = std::string(group::StateName(group::GroupState::kDead));
        continue;
      }
      out.group_state = std::string(group::StateName(s->state));
      out.protocol_type = s->protocol_type;
      out.protocol_data = s->protocol_name;
      for (const group::MemberSummary& m : s->members) {
        out.members.push_back({m.member_id, m.group_instance_id, m.client_id, m.client_host,
                               m.metadata, m.assignment});
      }
    }
    return served;
  }

 private:
  BrokerContext* const context_;
};

class ListGroupsHandler final : public TypedHandler<ListGroupsRequest, ListGroupsResponse> {
 public:
  explicit ListGroupsHandler(BrokerContext* context) : TypedHandler(0, 4), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, ListGroupsRequest& request,
               ListGroupsResponse* response) override {
    for (const group::GroupSummary& s : context_->groups->List()) {
      const std::string state(group::StateName(s.state));
      if (!request.states_filter.empty() &&
          std::none_of(request.states_filter.begin(), request.states_filter.end(),
                       [&](const std::string& f) { return absl::EqualsIgnoreCase(f, state); })) {
        continue;
      }
      // A group is listed by the broker that coordinates it now.
      if (CoordinatorError(*context_, s.group_id) != 0) continue;
      response->groups.push_back({s.group_id, s.protocol_type, state, "classic"});
    }
    return Served{};
  }

 private:
  BrokerContext* const context_;
};

class DeleteGroupsHandler final : public TypedHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
 public:
  explicit DeleteGroupsHandler(BrokerContext* context) : TypedHandler(0, 2), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, DeleteGroupsRequest& request,
               DeleteGroupsResponse* response) override {
    Served served;
    for (const std::string& id : request.groups_names) {
      int16_t e = CoordinatorError(*context_, id);
      if (e == 0) e = context_->groups->Delete(id);
      response->results.push_back({id, e});
      NoteError(e, &served);
    }
    return served;
  }

 private:
  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewDescribeGroupsHandler(BrokerContext* context) {
  return std::make_unique<DescribeGroupsHandler>(context);
}
std::unique_ptr<Handler> NewListGroupsHandler(BrokerContext* context) {
  return std::make_unique<ListGroupsHandler>(context);
}
std::unique_ptr<Handler> NewDeleteGroupsHandler(BrokerContext* context) {
  return std::make_unique<DeleteGroupsHandler>(context);
}

}  // namespace keel::broker::kafka

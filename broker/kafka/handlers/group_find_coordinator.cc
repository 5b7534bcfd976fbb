// FindCoordinator v0-4: a group's coordinator is the leader of its partition of
// __consumer_offsets (Kafka's rule, broker/group/coordinator_router.h, which also creates
// the topic on first use); this answers that broker's KAFKA endpoint. Transaction
// coordinators do not exist here (no transactions): COORDINATOR_NOT_AVAILABLE.
#include "broker/group/coordinator_router.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/group_membership.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::FindCoordinatorRequest;
using keel::kafka::FindCoordinatorResponse;

class FindCoordinatorHandler final
    : public TypedHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
 public:
  explicit FindCoordinatorHandler(BrokerContext* context)
      : TypedHandler(0, 4), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, FindCoordinatorRequest& request,
               FindCoordinatorResponse* response) override {
    Served served;
    std::vector<std::string> keys =
        rc.api_version >= 4 ? request.coordinator_keys : std::vector<std::string>{request.key};
    const bool groups = request.key_type == keel::kafka::kCoordinatorKeyTypeGroup;
    for (const std::string& key : keys) {
      FindCoordinatorResponse::Coordinator c = Lookup(key, groups);
      NoteError(c.error_code, &served);
      response->coordinators.push_back(std::move(c));
    }
    if (rc.api_version < 4 && !response->coordinators.empty()) {
      const FindCoordinatorResponse::Coordinator& c = response->coordinators.front();
      response->error_code = c.error_code;
      response->error_message = c.error_message;
      response->node_id = c.node_id;
      response->host = c.host;
      response->port = c.port;
      response->coordinators.clear();
    }
    return served;
  }

 private:
  FindCoordinatorResponse::Coordinator Lookup(const std::string& key, bool groups) {
    FindCoordinatorResponse::Coordinator c;
    c.key = key;
    c.node_id = -1;
    c.port = -1;
    c.error_code = KafkaCode(ErrorCode::kCoordinatorNotAvailable);
    if (!groups) {
      c.error_message = "transactions are not supported";
      return c;
    }
    if (context_->group_router == nullptr) return c;
    group::CoordinatorLocation found = context_->group_router->Find(key, kKafkaEndpointName);
    c.error_code = found.error_code;
    c.error_message = found.error_message;
    c.node_id = found.node_id;
    c.host = found.host;
    c.port = found.port;
    return c;
  }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewFindCoordinatorHandler(BrokerContext* context) {
  return std::make_unique<FindCoordinatorHandler>(context);
}

}  // namespace keel::broker::kafka

// InitProducerId v0-4, for idempotent producers (no transactions: a transactional id is
// refused). Ids come from blocks the active controller hands this broker (ProducerIdBlock,
// KIP-730), so they are unique across brokers, restarts and controller failover.
//
// When no block can be had (no controller reachable, the broker not registered yet, ...) the
// answer is COORDINATOR_LOAD_IN_PROGRESS, Kafka's own answer while its broker waits for the
// next block: not fatal, so librdkafka asks again after 500 ms (rdkafka_idempotence.c,
// rd_kafka_idemp_request_pid_failed) and the Java client retries it as retriable.
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "common/logging.h"
#include "kafka/init_producer_id.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::InitProducerIdRequest;
using keel::kafka::InitProducerIdResponse;

class InitProducerIdHandler final
    : public TypedHandler<InitProducerIdRequest, InitProducerIdResponse> {
 public:
  explicit InitProducerIdHandler(BrokerContext* context) : TypedHandler(0, 4), context_(context) {}

 protected:
  Served Serve(const RequestContext&, InitProducerIdRequest& request,
               InitProducerIdResponse* response) override {
    Served served;
    if (request.transactional_id.has_value()) {
      response->error_code = KafkaCode(ErrorCode::kTransactionalIdAuthorizationFailed);
      NoteError(response->error_code, &served);
      return served;
    }
    // KIP-360: an existing producer bumps its epoch to recover; a new id once it is spent.
    if (request.producer_id >= 0 && request.producer_epoch >= 0 &&
        request.producer_epoch != INT16_MAX - 1) {
      response->producer_id = request.producer_id;
      response->producer_epoch = static_cast<int16_t>(request.producer_epoch + 1);
      return served;
    }
    absl::StatusOr<int64_t> id = context_->producer_ids == nullptr
                                     ? absl::UnavailableError("no producer id source")
                                     : context_->producer_ids->NextId();
    if (!id.ok()) {
      KEEL_LOG_WARN("InitProducerId: {}", id.status().ToString());
      response->producer_id = -1;
      response->producer_epoch = -1;
      response->error_code = KafkaCode(ErrorCode::kCoordinatorLoadInProgress);
      NoteError(response->error_code, &served);
      return served;
    }
    response->producer_id = *id;
    response->producer_epoch = 0;
    return served;
  }

 private:
  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewInitProducerIdHandler(BrokerContext* context) {
  return std::make_unique<InitProducerIdHandler>(context);
}

}  // namespace keel::broker::kafka

// InitProducerId v0-4, for idempotent producers (no transactions: a transactional id is
// refused).
//
// TODO(issue 16): ids come from a per-process counter seeded with the broker id and the
// start time, not from a controller metadata record, so they are unique only while broker
// clocks and ids keep the seeds apart. Deduplication itself is produce's (producer_state.h).
#include <atomic>
#include <chrono>

#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/init_producer_id.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::InitProducerIdRequest;
using keel::kafka::InitProducerIdResponse;

class InitProducerIdHandler final
    : public TypedHandler<InitProducerIdRequest, InitProducerIdResponse> {
 public:
  explicit InitProducerIdHandler(BrokerContext* context)
      : TypedHandler(0, 4), context_(context), next_id_(Seed(context->broker_id)) {}

 protected:
  Served Serve(const RequestContext&, InitProducerIdRequest& request,
               InitProducerIdResponse* response) override {
    Served served;
    if (request.transactional_id.has_value()) {
      response->error_code = KafkaCode(ErrorCode::kTransactionalIdAuthorizationFailed);
      NoteError(response->error_code, &served);
      return served;
    }
    if (request.producer_id >= 0 && request.producer_epoch >= 0) {
      // KIP-360: an existing producer bumps its epoch to recover.
      if (request.producer_epoch == INT16_MAX - 1) {
        response->producer_id = next_id_.fetch_add(1);
        response->producer_epoch = 0;
      } else {
        response->producer_id = request.producer_id;
        response->producer_epoch = static_cast<int16_t>(request.producer_epoch + 1);
      }
      return served;
    }
    response->producer_id = next_id_.fetch_add(1);
    response->producer_epoch = 0;
    return served;
  }

 private:
  // Broker id in the top bits, then the start time in ms: distinct across brokers and
  // across restarts of one broker (while the clock moves forward).
  static int64_t Seed(int32_t broker_id) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    return (static_cast<int64_t>(broker_id & 0xfff) << 50) | ((now_ms & ((1LL << 40) - 1)) << 10);
  }

  BrokerContext* const context_;
  std::atomic<int64_t> next_id_;
};

}  // namespace

std::unique_ptr<Handler> NewInitProducerIdHandler(BrokerContext* context) {
  return std::make_unique<InitProducerIdHandler>(context);
}

}  // namespace keel::broker::kafka

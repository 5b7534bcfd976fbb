// ControllerLogic::AllocateProducerIds: blocks of producer ids for brokers (KIP-730).
#include <limits>

#include "absl/strings/str_cat.h"
#include "controller/logic/controller_logic.h"

namespace keel::controller {

Outcome<ProducerIdsOutcome> ControllerLogic::AllocateProducerIds(
    const metadata::MetadataImage& image, const AllocateProducerIdsRequest& request) {
  const metadata::BrokerInfo* b = image.Broker(request.broker_id());
  if (b == nullptr || b->epoch != request.broker_epoch()) {
    return metadata::ApiError{STALE_BROKER_EPOCH,
                              absl::StrCat("Broker ", request.broker_id(), " epoch ",
                                           request.broker_epoch(),
                                           " is not its current registration.")};
  }
  const int64_t start = image.next_producer_id();
  if (start > std::numeric_limits<int64_t>::max() - kProducerIdBlockSize) {
    return metadata::ApiError{INVALID_REQUEST, "The producer id space is exhausted."};
  }
  ProducerIdsOutcome out;
  out.producer_id_start = start;
  out.producer_id_len = kProducerIdBlockSize;
  metadata::ProducerIdsRecord* r = out.records.add_records()->mutable_producer_ids();
  r->set_broker_id(request.broker_id());
  r->set_broker_epoch(request.broker_epoch());
  r->set_next_producer_id(start + kProducerIdBlockSize);
  return out;
}

}  // namespace keel::controller

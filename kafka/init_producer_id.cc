#include "kafka/init_producer_id.h"

namespace keel::kafka {

void InitProducerIdRequest::Io(FieldIo& io) {
  io.String(transactional_id);
  io.Int32(transaction_timeout_ms);
  if (io.version() >= 3) {
    io.Int64(producer_id);
    io.Int16(producer_epoch);
  }
  io.TaggedFields();
}

void InitProducerIdResponse::Io(FieldIo& io) {
  io.Int32(throttle_time_ms);
  io.Int16(error_code);
  io.Int64(producer_id);
  io.Int16(producer_epoch);
  io.TaggedFields();
}

}  // namespace keel::kafka

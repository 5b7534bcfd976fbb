// Small helpers the handlers share: error-code translation, the KAFKA endpoint of a broker,
// topic ids, and a bounded wait for the followed metadata to show a change.
#ifndef KEEL_BROKER_KAFKA_HANDLERS_COMMON_H_
#define KEEL_BROKER_KAFKA_HANDLERS_COMMON_H_

#include <cstdint>
#include <optional>
#include <string>

#include <grpcpp/support/status.h>

#include "broker/kafka/broker_context.h"
#include "metadata/metadata_image.h"
#include "kafka/error_codes.h"
#include "kafka/keel_errors.h"
#include "kafka/wire.h"
#include "proto/common.pb.h"

namespace keel::broker::kafka {

inline int16_t KafkaCode(keel::ErrorCode code) {
  return static_cast<int16_t>(keel::kafka::FromKeel(code));
}
inline int16_t KafkaCode(keel::kafka::ErrorCode code) { return static_cast<int16_t>(code); }

// The Kafka code for a failed forward to the controller: the controller names its refusal
// ("TOPIC_ALREADY_EXISTS: topic 'x' already exists", controller/metadata/api_error.h), so
// that name's code; REQUEST_TIMED_OUT when no controller answered in time.
int16_t ForwardErrorCode(const grpc::Status& status);

// The broker's KAFKA listener endpoint, if it registered one.
const metadata::Endpoint* KafkaEndpoint(const metadata::BrokerInfo& broker);

// A topic id of the image (16 raw bytes) as Kafka's Uuid; zero if malformed.
keel::kafka::Uuid ToUuid(const std::string& raw_id);

// Waits up to `timeout_ms` until `done(image)` holds for the followed image (polling every
// 20 ms); true if it did. Used after a forwarded admin request, so that the answer reflects
// it in this broker's metadata as it does in Kafka (the controller committed it already).
bool WaitForImage(const BrokerContext& context,
                  const std::function<bool(const metadata::MetadataImage&)>& done,
                  int64_t timeout_ms);

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_HANDLERS_COMMON_H_

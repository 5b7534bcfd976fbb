// Translates Keel's gRPC error codes (proto/common.proto) to the Kafka error codes a Kafka
// client expects, so the listener answers with the code the data plane chose.
#ifndef KEEL_KAFKA_KEEL_ERRORS_H_
#define KEEL_KAFKA_KEEL_ERRORS_H_

#include "kafka/error_codes.h"
#include "proto/common.pb.h"

namespace keel::kafka {

// Same name, Kafka's number. Every keel::ErrorCode has a Kafka twin (keel_errors_test).
ErrorCode FromKeel(keel::ErrorCode code);

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_KEEL_ERRORS_H_

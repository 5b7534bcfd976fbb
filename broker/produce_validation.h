// The checks a partition's produced records pass before they are appended: Kafka's
// LogValidator rules that apply to Keel's record format.
#ifndef KEEL_BROKER_PRODUCE_VALIDATION_H_
#define KEEL_BROKER_PRODUCE_VALIDATION_H_

#include <string>

#include "broker/partition.h"
#include "proto/broker.pb.h"
#include "proto/common.pb.h"

namespace keel::broker {

struct ValidationError {
  keel::ErrorCode code = keel::NONE;
  std::string message;
  bool ok() const { return code == keel::NONE; }
};

// CORRUPT_MESSAGE: no records, or a negative timestamp. MESSAGE_TOO_LARGE: the batch is
// over the topic's max.message.bytes. INVALID_REQUEST: a record with a null key (unset) for
// a compacted topic (the Kafka listener answers INVALID_RECORD there, as Kafka).
ValidationError ValidateProducedRecords(const ProducePartitionData& data,
                                        const TopicPolicy& policy);

}  // namespace keel::broker

#endif  // KEEL_BROKER_PRODUCE_VALIDATION_H_

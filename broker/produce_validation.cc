#include "broker/produce_validation.h"

#include "absl/strings/str_cat.h"
#include "broker/record_conversion.h"

namespace keel::broker {

ValidationError ValidateProducedRecords(const ProducePartitionData& data,
                                        const TopicPolicy& policy) {
  if (data.records_size() == 0) {
    return {keel::CORRUPT_MESSAGE, "The batch has no records."};
  }
  int64_t batch_bytes = 0;
  for (int i = 0; i < data.records_size(); ++i) {
    const Record& r = data.records(i);
    if (r.timestamp_ms() < 0) {
      return {keel::CORRUPT_MESSAGE,
              absl::StrCat("Record ", i, " has a negative timestamp ", r.timestamp_ms(), ".")};
    }
    if (policy.compact && !r.has_key()) {
      // As Kafka: a record without a key has no place in a compacted log.
      return {keel::INVALID_REQUEST,
              absl::StrCat("Record ", i, " has no key; the topic is compacted (cleanup.policy ",
                           "includes compact), so every record needs one.")};
    }
    batch_bytes += RecordBytes(r);
  }
  if (batch_bytes > policy.max_message_bytes) {
    return {keel::MESSAGE_TOO_LARGE,
            absl::StrCat("The batch is ", batch_bytes,
                         " bytes, larger than the topic's max.message.bytes ",
                         policy.max_message_bytes, ".")};
  }
  return {};
}

}  // namespace keel::broker

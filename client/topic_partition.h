// TopicPartition: one partition of one topic, ordered by topic then partition (the order
// Kafka's assignors and the consumer use).
#ifndef KEEL_CLIENT_TOPIC_PARTITION_H_
#define KEEL_CLIENT_TOPIC_PARTITION_H_

#include <cstdint>
#include <string>

namespace keel::client {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator<(const TopicPartition& o) const {
    return topic != o.topic ? topic < o.topic : partition < o.partition;
  }
  bool operator==(const TopicPartition& o) const {
    return topic == o.topic && partition == o.partition;
  }
  bool operator!=(const TopicPartition& o) const { return !(*this == o); }
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_TOPIC_PARTITION_H_

// The Producer's settings, named and defaulted as Kafka's Java producer names them, parsed
// from Kafka-style string properties ("batch.size=16384").
#ifndef KEEL_CLIENT_PRODUCER_CONFIG_H_
#define KEEL_CLIENT_PRODUCER_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/broker.pb.h"

namespace keel::client {

using Properties = std::map<std::string, std::string>;

// "k=v" strings -> properties; an entry without '=' or with an empty key is an error.
absl::StatusOr<Properties> ParseProperties(const std::vector<std::string>& entries);

// "all"/"-1", "1"/"leader", "0"/"none".
absl::StatusOr<broker::Acks> ParseAcks(const std::string& text);

struct ProducerConfig {
  std::string bootstrap_controllers;  // bootstrap.controllers: host:port,... (metadata)
  std::string bootstrap_servers;      // bootstrap.servers: brokers, when no controllers
  int64_t batch_size_bytes = 16384;   // batch.size: per-partition batch bound
  int64_t linger_ms = 5;              // linger.ms: how long a batch waits to fill
  broker::Acks acks = broker::ACKS_ALL;  // acks: all (Kafka 3.0's default), 1, 0
  int32_t retries = 2147483647;       // retries: resends of a batch after retriable errors
  int64_t retry_backoff_ms = 100;     // retry.backoff.ms
  int32_t max_in_flight_requests_per_connection = 5;  // max.in.flight.requests.per.connection
  int64_t delivery_timeout_ms = 120000;  // delivery.timeout.ms: send() to success or failure
  int64_t request_timeout_ms = 30000;    // request.timeout.ms: one Produce call
  int64_t buffer_memory_bytes = 33554432;  // buffer.memory: unsent + unacknowledged bytes
  int64_t max_block_ms = 60000;           // max.block.ms: Send waiting for memory or metadata
  int64_t max_request_size_bytes = 1048576;  // max.request.size: one Produce call's records
  int64_t metadata_max_age_ms = 300000;      // metadata.max.age.ms

  // Unknown keys and bad values are errors (a typo should not silently use a default).
  static absl::StatusOr<ProducerConfig> FromProperties(const Properties& properties);
  // Cross-field checks (positive sizes, delivery.timeout.ms >= linger.ms + request.timeout.ms).
  absl::Status Validate() const;
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_PRODUCER_CONFIG_H_

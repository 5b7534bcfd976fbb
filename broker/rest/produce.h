// Producing for the REST endpoints (v2 and v3): records handed to the shared client::Producer,
// each request waiting for its own records' outcomes (not a Flush, which would wait for every
// other request's records too).
#ifndef KEEL_BROKER_REST_PRODUCE_H_
#define KEEL_BROKER_REST_PRODUCE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/producer.h"

namespace keel::rest {

struct ProduceItem {
  std::optional<std::string> key;
  std::string value;
  int32_t partition = -1;  // -1: the producer's partitioner
  std::vector<std::pair<std::string, std::string>> headers;
};

// Sends every item to `topic` and waits for each outcome (bounded by the producer's
// delivery.timeout.ms). Outcomes are in the items' order.
std::vector<absl::StatusOr<client::RecordMetadata>> ProduceAndWait(
    client::Producer& producer, const std::string& topic, const std::vector<ProduceItem>& items);

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_PRODUCE_H_

// Producing for the REST endpoints (v2 and v3): records handed to the shared client::Producer,
// each request waiting for its own records' outcomes (not a Flush, which would wait for every
// other request's records too).
#ifndef KEEL_BROKER_REST_PRODUCE_H_
#define KEEL_BROKER_REST_PRODUCE_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/producer.h"

namespace keel::rest {

struct ProduceItem {
  std::optional<std::string> key;    // nullopt: a null key
  std::optional<std::string> value;  // nullopt: a null value (a tombstone)
  int32_t partition = -1;  // -1: the producer's partitioner
  std::vector<std::pair<std::string, std::string>> headers;
};

// Records sent one at a time as they arrive (a v3 record stream), their outcomes awaited
// later in any order. Thread-safe; shared by the request's handler and its response writer,
// which may outlive the handler (hence Create returns a shared_ptr).
class ProduceStream : public std::enable_shared_from_this<ProduceStream> {
 public:
  static std::shared_ptr<ProduceStream> Create(client::Producer* producer, std::string topic);

  // Sends `item` now and returns its index. (A record the producer refuses at once gets
  // that error as its outcome.)
  size_t Send(const ProduceItem& item);
  // Waits for the outcome of record `index` (bounded by the producer's delivery.timeout.ms).
  absl::StatusOr<client::RecordMetadata> Wait(size_t index);

 private:
  ProduceStream(client::Producer* producer, std::string topic)
      : producer_(producer), topic_(std::move(topic)) {}

  client::Producer* const producer_;
  const std::string topic_;
  std::mutex mu_;
  std::condition_variable cv_;
  // guarded by mu_; a deque so that slots do not move while callbacks fill them
  std::deque<std::optional<absl::StatusOr<client::RecordMetadata>>> outcomes_;
};

// Sends every item to `topic` and waits for each outcome (bounded by the producer's
// delivery.timeout.ms). Outcomes are in the items' order.
std::vector<absl::StatusOr<client::RecordMetadata>> ProduceAndWait(
    client::Producer& producer, const std::string& topic, const std::vector<ProduceItem>& items);

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_PRODUCE_H_

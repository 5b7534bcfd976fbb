// ProducerIdBlock: producer ids for InitProducerId, taken from blocks the active controller
// hands this broker (KIP-730). The controller commits a ProducerIdsRecord per block before
// answering, so no id is handed out twice, across brokers, restarts and controller failover.
// Ids left in a block when the broker stops are never used (as in Kafka).
//
// Thread safety: thread-safe. The controller is called without the lock held; callers that
// find the block empty while another caller fetches the next one wait for that fetch.
#ifndef KEEL_BROKER_KAFKA_PRODUCER_ID_BLOCK_H_
#define KEEL_BROKER_KAFKA_PRODUCER_ID_BLOCK_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "absl/status/statusor.h"
#include "broker/kafka/controller_admin.h"

namespace keel::broker::kafka {

class ProducerIdBlock {
 public:
  // `admin` outlives this; `broker_epoch` returns this broker's current registration epoch
  // (-1 before it registered).
  ProducerIdBlock(ControllerAdmin* admin, int32_t broker_id,
                  std::function<int64_t()> broker_epoch);

  // The next unused producer id, or Unavailable when no new block could be had (no
  // controller, stale epoch, ...): the caller answers the client with a retriable error.
  absl::StatusOr<int64_t> NextId();

 private:
  // Asks the controller for a block; returns [start, end) or the error.
  absl::StatusOr<std::pair<int64_t, int64_t>> Fetch();

  ControllerAdmin* const admin_;
  const int32_t broker_id_;
  const std::function<int64_t()> broker_epoch_;

  std::mutex mu_;
  std::condition_variable fetched_;
  int64_t next_ = 0;  // [next_, end_) are the ids left in the current block
  int64_t end_ = 0;
  bool fetching_ = false;
  uint64_t fetches_done_ = 0;  // finished fetches, successful or not
  absl::Status last_fetch_;    // the outcome of the last finished fetch
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_PRODUCER_ID_BLOCK_H_

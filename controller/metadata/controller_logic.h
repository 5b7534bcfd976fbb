// ControllerLogic: the active controller's frontend. Each function validates a request
// against the leader's latest image and returns the records to propose (nothing is applied
// here); the caller proposes them and answers once they commit. Pure: no I/O, no clock
// (now_ms is passed in), randomness injected.
#ifndef KEEL_CONTROLLER_METADATA_CONTROLLER_LOGIC_H_
#define KEEL_CONTROLLER_METADATA_CONTROLLER_LOGIC_H_

#include <cstdint>
#include <variant>
#include <vector>

#include "controller/metadata/api_error.h"
#include "controller/metadata/broker_heartbeat_tracker.h"
#include "controller/metadata/metadata_image.h"
#include "proto/controller.pb.h"

namespace keel::controller {

struct TopicsOutcome {
  std::vector<TopicResult> results;  // one per requested topic, Kafka style
  metadata::MetadataRecordBatch records;
};

// Either records to propose or the error that refuses the request.
template <typename T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Outcome(ApiError error) : v_(std::move(error)) {}   // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  const ApiError& status() const { return std::get<ApiError>(v_); }
  T* operator->() { return &std::get<T>(v_); }
  T& operator*() { return std::get<T>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

struct RecordsOutcome {
  metadata::MetadataRecordBatch records;
};

struct HeartbeatOutcome {
  BrokerHeartbeatResponse response;
  metadata::MetadataRecordBatch records;
};

struct AlterPartitionOutcome {
  PartitionDescription partition;  // as it will be once the records apply
  metadata::MetadataRecordBatch records;
};

class ControllerLogic {
 public:
  static TopicsOutcome CreateTopics(const MetadataImage& image, const CreateTopicsRequest& request,
                                    uint64_t random);
  static TopicsOutcome DeleteTopics(const MetadataImage& image, const DeleteTopicsRequest& request);
  static TopicsOutcome CreatePartitions(const MetadataImage& image,
                                        const CreatePartitionsRequest& request, uint64_t random);
  static TopicsOutcome AlterConfigs(const MetadataImage& image, const AlterConfigsRequest& request);

  static Outcome<RecordsOutcome> RegisterBroker(const MetadataImage& image,
                                                BrokerHeartbeatTracker& heartbeats,
                                                const RegisterBrokerRequest& request,
                                                int64_t now_ms);
  static HeartbeatOutcome BrokerHeartbeat(const MetadataImage& image,
                                          BrokerHeartbeatTracker& heartbeats,
                                          const BrokerHeartbeatRequest& request, int64_t now_ms);
  // Fences every unfenced broker whose session lapsed: FENCE, out of every ISR (never
  // below one member), new leaders elected from the remaining ISR.
  static metadata::MetadataRecordBatch FenceExpiredBrokers(const MetadataImage& image,
                                                           const BrokerHeartbeatTracker& heartbeats,
                                                           int64_t now_ms);
  static Outcome<AlterPartitionOutcome> AlterPartition(const MetadataImage& image,
                                                       const AlterPartitionRequest& request);
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_METADATA_CONTROLLER_LOGIC_H_

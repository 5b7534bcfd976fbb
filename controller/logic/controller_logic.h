// ControllerLogic: the active controller's frontend (validate -> records -> propose). Each
// function checks a request against the leader's latest image (committed plus proposed
// records) and returns the records to propose; nothing is applied here. The caller proposes
// the batch as one Raft entry and answers once it commits. Every batch returned applies
// cleanly to that image (each record was applied to a working copy while it was built).
//
// Pure: no I/O, no threads, no clock (now_ms is passed in), randomness injected. The only
// state outside the image is the leader-local BrokerHeartbeatTracker the caller owns.
//
// Errors follow Kafka: per-topic results for the topic operations, an ApiError (code plus
// message) for the rest. ToStatusCode(code) gives the gRPC status at the service edge.
#ifndef KEEL_CONTROLLER_LOGIC_CONTROLLER_LOGIC_H_
#define KEEL_CONTROLLER_LOGIC_CONTROLLER_LOGIC_H_

#include <cstdint>
#include <utility>
#include <variant>
#include <vector>

#include "controller/logic/api_error.h"
#include "controller/logic/broker_heartbeat_tracker.h"
#include "metadata/metadata_image.h"
#include "proto/controller.pb.h"

namespace keel::controller {

// The most partitions one request may create (over all its topics): a bound on the size of
// one Raft entry and of the work one request costs the leader (Kafka's KRaft controller
// bounds records per operation the same way).
inline constexpr int64_t kMaxPartitionsPerRequest = 10000;

struct TopicsOutcome {
  std::vector<TopicResult> results;  // one per requested topic, in request order
  metadata::MetadataRecordBatch records;
};

// Either a value or the ApiError that refuses the request.
template <typename T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Outcome(ApiError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  const ApiError& status() const { return std::get<ApiError>(v_); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() { return std::get<T>(v_); }
  const T& operator*() const { return std::get<T>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

struct RecordsOutcome {
  metadata::MetadataRecordBatch records;
};

struct HeartbeatOutcome {
  BrokerHeartbeatResponse response;  // error, is_caught_up, is_fenced, should_shut_down
  metadata::MetadataRecordBatch records;
};

struct AlterPartitionOutcome {
  PartitionDescription partition;         // as it will be once the records apply
  metadata::MetadataRecordBatch records;  // empty when the ISR is already the requested one
};

class ControllerLogic {
 public:
  // Per topic: INVALID_REQUEST (listed twice), INVALID_TOPIC_EXCEPTION (bad name, or a
  // collision once '.' and '_' are equal), TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS (< 1 or
  // over kMaxPartitionsPerRequest), INVALID_REPLICATION_FACTOR (< 1 or more than the usable
  // brokers), INVALID_CONFIG. Each created topic yields a TopicRecord, its PartitionRecords
  // and its ConfigRecords; validate_only yields no records. `random` seeds topic ids and
  // placement.
  static TopicsOutcome CreateTopics(const metadata::MetadataImage& image,
                                    const CreateTopicsRequest& request, uint64_t random);
  // Per name: UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST (listed twice).
  static TopicsOutcome DeleteTopics(const metadata::MetadataImage& image,
                                    const DeleteTopicsRequest& request);
  // UNKNOWN_TOPIC_OR_PARTITION; INVALID_PARTITIONS unless new_total_count > current count
  // (and within kMaxPartitionsPerRequest); INVALID_REPLICATION_FACTOR when fewer usable
  // brokers than the topic's replication factor.
  static TopicsOutcome CreatePartitions(const metadata::MetadataImage& image,
                                        const CreatePartitionsRequest& request, uint64_t random);
  // UNKNOWN_TOPIC_OR_PARTITION; INVALID_CONFIG (unknown key, bad value); INVALID_REQUEST (a
  // key both set and deleted).
  static TopicsOutcome AlterConfigs(const metadata::MetadataImage& image,
                                    const AlterConfigsRequest& request);

  // A RegisterBrokerRecord (fenced; its epoch becomes its commit offset) preceded, when the
  // id was registered before, by the changes that move the old incarnation's leaderships
  // away. DUPLICATE_BROKER_REGISTRATION while another incarnation of the id holds a live
  // session; INVALID_REQUEST for a negative id or an empty incarnation id. The same
  // incarnation registering again (a retry) gets a new registration, as in KRaft. Starts the
  // broker's session.
  static Outcome<RecordsOutcome> RegisterBroker(const metadata::MetadataImage& image,
                                                BrokerHeartbeatTracker& heartbeats,
                                                const RegisterBrokerRequest& request,
                                                int64_t now_ms);
  // Renews the session and moves the broker through its states: UNFENCE (and leaders for
  // offline partitions whose ISR holds it) once current_metadata_offset reaches its
  // registration offset; FENCE on want_fence; on want_shutdown CONTROLLED_SHUTDOWN_REQUESTED
  // plus the changes moving its leaderships and ISR memberships away, and should_shut_down
  // once it leads nothing (at once if it is fenced). STALE_BROKER_EPOCH (in the response)
  // for an unknown broker or another epoch.
  static HeartbeatOutcome BrokerHeartbeat(const metadata::MetadataImage& image,
                                          BrokerHeartbeatTracker& heartbeats,
                                          const BrokerHeartbeatRequest& request, int64_t now_ms);
  // Fences every unfenced broker whose session lapsed at now_ms: FENCE, out of every ISR
  // (never below one member), new leaders from the remaining ISR (or offline).
  static metadata::MetadataRecordBatch FenceExpiredBrokers(const metadata::MetadataImage& image,
                                                           const BrokerHeartbeatTracker& heartbeats,
                                                           int64_t now_ms);
  // An ISR change requested by a partition leader. Checked in Kafka's order:
  // STALE_BROKER_EPOCH, UNKNOWN_TOPIC_ID / UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH,
  // NOT_LEADER_OR_FOLLOWER, INVALID_UPDATE_VERSION (partition epoch), INVALID_REQUEST (the
  // new ISR omits the leader, repeats a broker, or holds a non-replica or a broker that is
  // unregistered, fenced or shutting down).
  static Outcome<AlterPartitionOutcome> AlterPartition(const metadata::MetadataImage& image,
                                                       const AlterPartitionRequest& request);
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_LOGIC_CONTROLLER_LOGIC_H_

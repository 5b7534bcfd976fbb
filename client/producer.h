// Producer: Kafka's producer over BrokerService.Produce.
//
// Send() puts a record into its partition's open batch and returns; one sender thread sends
// batches to partition leaders. A batch is sent when it reaches batch.size bytes, when it
// has waited linger.ms, on Flush() or Close(). Records are bounded by buffer.memory bytes
// (unsent plus unacknowledged): Send() blocks up to max.block.ms for room, then fails.
//
// Requests. The sender builds one Produce call per leader broker, with every ready partition
// on that broker, up to max.request.size bytes. Consecutive ready batches of one partition go
// in one call as one broker batch (appended atomically), so a busy partition's batches are
// amortised over one round trip while its previous call is out. Up to
// max.in.flight.requests.per.connection calls per broker are out at once, each for other
// partitions.
//
// Ordering guarantee. A partition has at most one call out at a time, and a failed batch is
// retried before any later batch of its partition is sent, so records of one partition are
// appended in Send() order, also across retries and leader moves. (gRPC runs concurrent
// calls on one connection concurrently on the server, unlike Kafka's one-request-at-a-time
// TCP connection, so pipelining one partition's calls would reorder them.) Delivery is
// at-least-once: a call that timed out may have been appended and is sent again.
//
// Retries. Retriable errors (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, NOT_ENOUGH_REPLICAS,
// REQUEST_TIMED_OUT, UNAVAILABLE, ...) resend the batch after retry.backoff.ms, at most
// `retries` times and never after delivery.timeout.ms from Send(). NOT_LEADER_OR_FOLLOWER
// with the leader's address moves the partition there; without it, and after transport
// failures, the topic's metadata is refreshed from the controllers.
//
// Completion. Each record's callback (or future) gets its topic, partition and offset, or the
// error. Callbacks run on the sender thread, in order within a partition; they must be quick
// and must not call Flush() or Close(). The answer itself is handled where gRPC delivers it:
// the partition's next call starts from there, without waiting for the sender thread to be
// scheduled (on a busy machine each thread hand-off costs a scheduling delay).
//
// Thread-safe: any number of threads may Send at once.
#ifndef KEEL_CLIENT_PRODUCER_H_
#define KEEL_CLIENT_PRODUCER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/generic/generic_stub.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/metadata_cache.h"
#include "client/partitioner.h"
#include "client/producer_config.h"
#include "proto/broker.grpc.pb.h"

namespace keel::client {

// Keys and values are bytes or null, as in Kafka: nullopt is null (no key: the sticky
// partition; no value: a tombstone, which deletes its key on a compacted topic), while an
// empty string is present and empty.
struct ProducerRecord {
  std::string topic;
  std::optional<std::string> key;    // nullopt: null (keyless: sticky partition)
  std::optional<std::string> value;  // nullopt: null (a tombstone)
  std::vector<std::pair<std::string, std::string>> headers;
  int32_t partition = -1;  // >= 0: this partition, whatever the key
  int64_t timestamp_ms = 0;  // 0: the broker stamps append time
};

// A record by reference, for callers that already hold its bytes (no copy into a
// ProducerRecord): Send copies them into the batch before it returns, so nothing here needs
// to outlive the call.
struct ProducerRecordView {
  absl::string_view topic;
  std::optional<absl::string_view> key;    // nullopt: null (keyless: sticky partition)
  std::optional<absl::string_view> value;  // nullopt: null (a tombstone)
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  int32_t partition = -1;
  int64_t timestamp_ms = 0;
};

struct RecordMetadata {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

using SendCallback = std::function<void(const absl::StatusOr<RecordMetadata>&)>;

// Counters since the producer started; a consistent snapshot.
struct ProducerMetrics {
  int64_t records_sent = 0;     // acknowledged
  int64_t records_failed = 0;
  int64_t requests = 0;         // Produce calls completed
  int64_t batches_sent = 0;     // batches in acknowledged calls
  int64_t retries = 0;          // batches requeued after a retriable error
  int64_t metadata_refreshes = 0;
  int64_t buffer_used_bytes = 0;
};

class Producer {
 public:
  // Builds the metadata cache from bootstrap.controllers / bootstrap.servers unless given.
  static absl::StatusOr<std::unique_ptr<Producer>> Create(
      const Properties& properties, std::shared_ptr<MetadataCache> metadata = nullptr);
  Producer(ProducerConfig config, std::shared_ptr<MetadataCache> metadata);
  ~Producer();  // Close(infinite-ish): waits for delivery.timeout.ms at most

  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues the record. An error returned here (unknown topic, no room within max.block.ms,
  // record larger than max.request.size or buffer.memory, producer closed) means the record
  // was not queued and `callback` will not be called; otherwise `callback` is called exactly
  // once with the outcome.
  absl::Status Send(ProducerRecord record, SendCallback callback);
  absl::Status Send(const ProducerRecordView& record, SendCallback callback);
  // The same, the outcome (or the immediate error) as a future.
  std::future<absl::StatusOr<RecordMetadata>> Send(ProducerRecord record);

  // Sends every queued batch now and waits until each record sent before the call completed.
  void Flush();
  // Stops accepting records, sends what is queued and waits up to `timeout` for the answers;
  // then fails whatever is left ("producer closed") and stops the sender thread. Returns
  // DeadlineExceeded if records had to be failed. Idempotent.
  absl::Status Close(std::chrono::milliseconds timeout);

  ProducerMetrics metrics() const;
  const ProducerConfig& config() const { return config_; }

 private:
  struct Batch;
  struct PartitionQueue;
  struct Call;
  struct Done;

  using Clock = std::chrono::steady_clock;

  // The partition for `record` among `num_partitions` (-1 with an error if explicit and out
  // of range).
  absl::StatusOr<int32_t> ChoosePartition(const ProducerRecordView& record,
                                          int32_t num_partitions);
  PartitionQueue& QueueLocked(absl::string_view topic, int32_t partition);

  void SenderLoop();
  // Each returns callbacks to run once mu_ is released.
  void HandleCallLocked(Call* call, std::vector<Done>* done);
  void OnCallDone(Call* call, grpc::Status status);
  void ExpireLocked(Clock::time_point now, std::vector<Done>* done);
  std::vector<std::unique_ptr<Call>> DrainLocked(Clock::time_point now,
                                                 std::set<std::string>* refresh);
  Clock::time_point NextWakeLocked(Clock::time_point now) const;
  void FailBatchLocked(Batch* batch, const absl::Status& status, std::vector<Done>* done);
  void FailAllLocked(const absl::Status& status, std::vector<Done>* done);
  void StartCall(Call* call);
  bool IdleLocked() const;
  size_t PooledBufferBytes() const;
  std::string TakeBufferLocked();
  void RecycleBufferLocked(std::string* buffer);

  const ProducerConfig config_;
  const std::shared_ptr<MetadataCache> metadata_;
  StickyPartitioner sticky_;

  mutable std::mutex mu_;
  std::condition_variable sender_cv_;  // work for the sender
  std::condition_variable space_cv_;   // buffer memory freed, or a batch completed (Flush)
  // topic -> queues indexed by partition. Guarded by mu_.
  absl::flat_hash_map<std::string, std::vector<std::unique_ptr<PartitionQueue>>> queues_;
  // Calls started and not yet answered (a forced close cancels them). Guarded by mu_.
  std::set<Call*> out_;
  // Answered calls, freed by the sender thread only (so that it may cancel out_ unlocked).
  std::vector<std::unique_ptr<Call>> finished_;         // guarded by mu_
  std::vector<Done> pending_done_;  // outcomes whose callbacks the sender runs; guarded by mu_
  absl::flat_hash_map<std::string, int> in_flight_per_address_;  // guarded by mu_
  int in_flight_calls_ = 0;                             // guarded by mu_
  std::set<uint64_t> outstanding_batches_;              // ids, guarded by mu_
  uint64_t next_batch_id_ = 1;                          // guarded by mu_
  int64_t buffer_used_bytes_ = 0;                       // guarded by mu_
  int flushing_ = 0;                                    // guarded by mu_
  bool closing_ = false;                                // guarded by mu_
  bool force_close_ = false;                            // guarded by mu_
  bool sender_done_ = false;                            // guarded by mu_
  ProducerMetrics metrics_;                             // guarded by mu_
  std::vector<std::string> free_buffers_;               // batch buffers to reuse, guarded by mu_
  std::set<std::string> refresh_topics_;                // guarded by mu_
  Clock::time_point last_refresh_{};                    // sender thread only
  // Produce goes through the generic stub: the request is written in wire format directly
  // (produce_encoding.h). Calls start on the sender thread and on gRPC's completion threads.
  std::mutex stubs_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::GenericStub>> stubs_;  // stubs_mu_

  std::thread sender_;
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_PRODUCER_H_

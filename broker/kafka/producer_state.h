// ProducerStateTable: the idempotent-producer state of the partitions this broker leads
// (KIP-98): per partition and producer id, the producer epoch and the sequence numbers and
// offsets of its last 5 batches. A retried batch (same epoch, same first and last sequence
// as a remembered one) is answered with its original offset instead of being appended
// again; a gap in the sequence gets OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch
// INVALID_PRODUCER_EPOCH.
//
// Kept in memory on the leader only, per leader epoch: a new leadership starts empty (the
// log's batches do not carry producer ids, so the state is not rebuilt on recovery or on a
// new leader; docs/kafka.md lists this as a known gap). With no state for a producer, any
// sequence is accepted and becomes the start of its state, as Kafka does for a producer
// whose state expired.
//
// Thread safety: all methods are thread-safe (one mutex per partition; never held across
// the append itself). Check and Record are two steps: a batch retried on a second
// connection while the first attempt is still being appended can slip through once.
#ifndef KEEL_BROKER_KAFKA_PRODUCER_STATE_H_
#define KEEL_BROKER_KAFKA_PRODUCER_STATE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace keel::broker::kafka {

struct ProducerBatch {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t first_sequence = -1;
  int32_t record_count = 0;
  int32_t last_sequence() const;  // wraps at INT32_MAX as Kafka's sequences do
};

class ProducerStateTable {
 public:
  static constexpr size_t kBatchesKept = 5;  // Kafka's max.in.flight for idempotence
  static constexpr size_t kMaxProducersPerPartition = 10000;

  enum class Verdict { kAppend, kDuplicate, kOutOfOrder, kFencedEpoch };
  struct Decision {
    Verdict verdict = Verdict::kAppend;
    int64_t base_offset = -1;  // kDuplicate: where the batch was stored
  };

  // What to do with `batch` for topic-partition `key` led in `leader_epoch`.
  Decision Check(const std::pair<std::string, int32_t>& key, int32_t leader_epoch,
                 const ProducerBatch& batch);
  // Remembers an appended batch.
  void Record(const std::pair<std::string, int32_t>& key, int32_t leader_epoch,
              const ProducerBatch& batch, int64_t base_offset);

 private:
  struct Remembered {
    int32_t first_sequence;
    int32_t last_sequence;
    int64_t base_offset;
  };
  struct Producer {
    int16_t epoch = -1;
    std::deque<Remembered> batches;  // oldest first, at most kBatchesKept
  };
  struct Partition {
    std::mutex mu;
    int32_t leader_epoch = -1;                 // guarded by mu
    std::map<int64_t, Producer> producers;     // guarded by mu
  };
  // The partition's state, reset when the leader epoch moved on. Returns it locked.
  std::unique_lock<std::mutex> Lock(const std::pair<std::string, int32_t>& key,
                                    int32_t leader_epoch, Partition** out);

  std::mutex mu_;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<Partition>> partitions_;  // mu_
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_PRODUCER_STATE_H_
